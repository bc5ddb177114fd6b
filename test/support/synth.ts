import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import example from '../../config/example.json';
import { parseRunbookConfig, type RunbookConfig } from '../../infra/config';
import { RunbookStack } from '../../infra/runbook-stack';

/** The account and region the resolved definition pretends to be deployed in. */
export const TEST_ACCOUNT = '123456789012';
export const TEST_REGION = 'eu-west-1';

/** What `resolveTokens` (and so `resolveDefinition`) puts where the template has `Fn::GetAtt [<LogicalId>, Arn]` of a Lambda function. */
export const lambdaArnFor = (logicalId: string) => `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${logicalId}`;

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Region': TEST_REGION,
  'AWS::AccountId': TEST_ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

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

/**
 * The value a CloudFormation expression would have in account 123456789012, eu-west-1: literal
 * strings, pseudo parameters, `Fn::GetAtt [<Lambda function>, Arn]` (see `lambdaArnFor`) and
 * `Fn::Join` over those. Anything else throws, so a new kind of reference is noticed, not mangled.
 */
export function resolveTokens(template: Template, value: unknown): string {
  const lambdas = new Set(Object.keys(template.findResources('AWS::Lambda::Function')));
  const resolve = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
    if (token.Ref !== undefined && token.Ref in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[token.Ref] as string;
    const getAtt = token['Fn::GetAtt'];
    if (getAtt && getAtt[1] === 'Arn' && lambdas.has(getAtt[0])) return lambdaArnFor(getAtt[0]);
    const join = token['Fn::Join'];
    if (join) return join[1].map(resolve).join(join[0]);
    throw new Error(`resolveTokens: no value for ${JSON.stringify(part)}`);
  };
  return resolve(value);
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
