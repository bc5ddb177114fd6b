import { assemblyWith, type Json, type RunbookAssembly, readRunbookAssembly, synthesizeRunbook, type WrittenAssembly, writtenAssembly } from '../../rehearsal/assembly';
import type { FixtureName } from '../../rehearsal/fixtures';
import { rehearse } from '../../rehearsal/run';
import type { Baseline, Check } from './checks';

/** Synthesizes the runbook for one deployment (seconds); workers read the result. */
export function synthesize(fixture: FixtureName): { assembly: RunbookAssembly; written: WrittenAssembly } {
  const assembly = synthesizeRunbook({ fixture });
  return { assembly, written: writtenAssembly(assembly) };
}

export function readAssembly(written: WrittenAssembly): RunbookAssembly {
  return readRunbookAssembly(written);
}

export interface CheckRun {
  readonly violations: string[];
  readonly baseline: Baseline;
  readonly realMilliseconds: number;
}

/**
 * One rehearsal of a check on the real definition, or on `mutate`'s copy of it. The rehearsal ends a
 * run that outlives the definition's TimeoutSeconds or the history quota as AWS would, on the
 * virtual clock, so an endless loop ends TIMED_OUT or FAILED and is judged like any other outcome. No
 * operator writes a Choice type test (`IsPresent: false` and the like, which the interpreter gets
 * wrong and rehearse() refuses), so a mutant is rehearsed as it is.
 *
 * A scenario with settings of its own (approvers configured, say) runs on the runbook synthesized
 * with them (assemblyWith), so the mutant is applied to that definition: handing rehearse() the
 * mutated base definition would have it synthesize the variant again and rehearse the real one.
 * Undefined when the mutant does not apply to the definition the check runs on.
 */
export async function runCheck(check: Check, assembly: RunbookAssembly, mutate?: (definition: Record<string, Json>) => Record<string, Json> | undefined): Promise<CheckRun | undefined> {
  const started = performance.now();
  const on = assemblyWith(assembly, check.scenario.settings);
  const definition = mutate ? mutate(on.definition) : on.definition;
  if (definition === undefined) return undefined;
  const result = await rehearse({
    // `on` already carries the scenario's settings, so rehearse() runs it as given.
    assembly: { ...on, definition },
    scenario: check.scenario,
    fault: check.fault,
    // A mutant may leave states unreachable, which the interpreter's validation would refuse outright.
    validateDefinition: definition === on.definition,
  });
  return {
    violations: check.judge(result),
    baseline: { status: result.status, error: result.error, cause: result.cause, entered: [...new Set(result.states.map((s) => s.name))] },
    realMilliseconds: performance.now() - started,
  };
}
