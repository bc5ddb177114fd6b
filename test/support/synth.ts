import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import example from '../../config/example.json';
import { parseRunbookConfig, type RunbookConfig } from '../../infra/config';
import { RunbookStack } from '../../infra/runbook-stack';
import { type Template as AssemblyTemplate, lambdaArnFor, resolveTokens as resolveAssemblyTokens } from '../../rehearsal/assembly';
import { ACCOUNT, REGION } from '../../rehearsal/sim/deployment';

/** The account and region the resolved definition pretends to be deployed in: the rehearsal's. */
export const TEST_ACCOUNT = ACCOUNT;
export const TEST_REGION = REGION;
export { lambdaArnFor };

/** A state of an Amazon States Language definition, as far as the tests read it. */
export interface AslState {
  readonly Type: string;
  readonly Comment?: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Retry?: ReadonlyArray<{ ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number }>;
  readonly Catch?: ReadonlyArray<{ ErrorEquals: string[]; Next: string; ResultPath?: string | null }>;
  readonly Choices?: ReadonlyArray<Record<string, unknown>>;
  readonly Default?: string;
  readonly Next?: string;
  readonly Branches?: ReadonlyArray<AslDefinition>;
  readonly [key: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly Comment?: string;
  readonly [key: string]: unknown;
}

/** A CloudFormation expression's value in the simulated account (see rehearsal/assembly.ts). */
export function resolveTokens(template: Template, value: unknown): string {
  return resolveAssemblyTokens(template.toJSON().Resources as AssemblyTemplate['Resources'], value);
}

/** The state machine's DefinitionString, tokens resolved (see `resolveTokens`), as a JS object. */
export function resolveDefinition(template: Template): AslDefinition {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected exactly one state machine, found ${machines.length}`);
  return JSON.parse(resolveTokens(template, machines[0]?.Properties?.DefinitionString)) as AslDefinition;
}

export interface SynthesizedRunbook {
  /** The parsed configuration the stack was built from, defaults applied. */
  readonly config: RunbookConfig;
  readonly stack: RunbookStack;
  readonly template: Template;
  readonly definition: AslDefinition;
}

const cache = new Map<string, SynthesizedRunbook>();

/**
 * The runbook stack for config/example.json with top-level keys replaced by `overrides`.
 * Synthesis bundles every handler with esbuild (seconds), so each configuration is built once per
 * test file (jest gives every file its own module registry) and shared by the tests that read it.
 */
export function synthRunbook(overrides: Record<string, unknown> = {}): SynthesizedRunbook {
  const key = JSON.stringify(overrides);
  const cached = cache.get(key);
  if (cached) return cached;
  const config = parseRunbookConfig({ ...example, ...overrides }, 'config/example.json with test overrides');
  // CDK's built-in CloudFormation validation takes seconds and only writes a report that
  // Template.fromStack throws away; `cdk synth` still runs it.
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new RunbookStack(app, config.stackName, { config, env: config.env });
  const template = Template.fromStack(stack);
  const built = { config, stack, template, definition: resolveDefinition(template) };
  cache.set(key, built);
  return built;
}
