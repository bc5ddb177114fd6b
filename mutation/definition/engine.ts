import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, fixtureConfig, type Json, type RunbookAssembly, readRunbookAssembly, synthesizeRunbook, type WrittenAssembly, writtenAssembly } from '../../rehearsal/assembly';
import { rehearse } from '../../rehearsal/run';
import { VARIANTS, type VariantName } from '../proposed-scenarios';
import type { Baseline, Check } from './checks';
import { jsonClone } from './operators';

/** Where each variant's cloud assembly was synthesized, and from which configuration file. */
export type AssemblyPaths = Record<VariantName, { written: WrittenAssembly; settingsPath: string }>;

/** Synthesizes the runbook once per configuration variant (seconds each); workers read the results. */
export function synthesizeVariants(): { assemblies: Record<VariantName, RunbookAssembly>; paths: AssemblyPaths } {
  const example = JSON.parse(readFileSync(DEFAULT_CONFIG, 'utf8')) as Record<string, unknown>;
  const assemblies = {} as Record<VariantName, RunbookAssembly>;
  const paths = {} as AssemblyPaths;
  for (const [name, configure] of Object.entries(VARIANTS) as [VariantName, (typeof VARIANTS)[VariantName]][]) {
    const config = name === 'default' ? DEFAULT_CONFIG : path.join(os.tmpdir(), `runbook-mutation-${process.pid}-${name}.json`);
    if (name !== 'default') writeFileSync(config, JSON.stringify(configure(example)));
    const assembly = synthesizeRunbook({ settingsPath: config });
    assemblies[name] = assembly;
    paths[name] = { written: writtenAssembly(assembly), settingsPath: config };
  }
  return { assemblies, paths };
}

export function readVariants(paths: AssemblyPaths): Record<VariantName, RunbookAssembly> {
  const out = {} as Record<VariantName, RunbookAssembly>;
  for (const [name, p] of Object.entries(paths) as [VariantName, AssemblyPaths[VariantName]][]) {
    out[name] = { ...readRunbookAssembly(p.written), config: fixtureConfig({ fixture: p.written.fixture, settingsPath: p.settingsPath }) };
  }
  return out;
}

/** Choice rules' type tests: aws-local-stepfunctions 3.0.0 evaluates every one of them written with `false` as false. */
const TYPE_TESTS = ['IsPresent', 'IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];

/**
 * The definition as AWS evaluates it, for the interpreter: `{ Variable, IsPresent: false }` becomes
 * `{ Not: { Variable, IsPresent: true } }` (likewise for the other type tests). Without this, the
 * interpreter never takes a rule such as "No task is running" (`IsPresent: false`), and a guard
 * could point at any element unnoticed. Same meaning in AWS, so the mutants are judged as deployed.
 */
export function asAwsEvaluates(definition: Record<string, Json>): Record<string, Json> {
  const fix = (rule: Record<string, Json>): Record<string, Json> => {
    const test = TYPE_TESTS.find((t) => rule[t] === false);
    if (test) {
      const { Next, Variable } = rule;
      return { Not: { Variable, [test]: true } as Json, ...(Next === undefined ? {} : { Next }) };
    }
    for (const key of ['And', 'Or']) if (Array.isArray(rule[key])) rule[key] = (rule[key] as Record<string, Json>[]).map(fix) as Json;
    if (rule.Not && typeof rule.Not === 'object') rule.Not = fix(rule.Not as Record<string, Json>);
    return rule;
  };
  const copy = jsonClone(definition);
  const walk = (owner: Record<string, Json>) => {
    for (const state of Object.values(owner.States as Record<string, Record<string, Json>>)) {
      if (Array.isArray(state.Choices)) state.Choices = (state.Choices as Record<string, Json>[]).map(fix) as Json;
      for (const branch of (state.Branches ?? []) as Record<string, Json>[]) walk(branch);
    }
  };
  walk(copy);
  return copy;
}

export interface CheckRun {
  readonly violations: string[];
  readonly baseline: Baseline;
  readonly realMilliseconds: number;
}

/**
 * One rehearsal of a check on `definition` (the variant's own when not given). The rehearsal ends
 * a run that outlives the definition's TimeoutSeconds or the history quota as AWS would, on the
 * virtual clock, so an endless loop ends TIMED_OUT or FAILED and is judged like any other outcome.
 */
export async function runCheck(check: Check, assembly: RunbookAssembly, definition: Record<string, Json> = assembly.definition): Promise<CheckRun> {
  const started = performance.now();
  const staged = asAwsEvaluates(check.fixture ? check.fixture(definition, assembly) : definition);
  const result = await rehearse({
    assembly: { ...assembly, definition: staged },
    scenario: check.scenario,
    fault: check.fault,
    // A mutant may leave states unreachable, which the interpreter's validation would refuse outright.
    validateDefinition: definition === assembly.definition,
  });
  return {
    violations: check.judge(result),
    baseline: { status: result.status, error: result.error, cause: result.cause, entered: [...new Set(result.states.map((s) => s.name))] },
    realMilliseconds: performance.now() - started,
  };
}
