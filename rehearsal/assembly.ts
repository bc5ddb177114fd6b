import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadRunbookConfig, type RunbookConfig } from '../infra/config';
import { RunbookStack } from '../infra/runbook-stack';
import { ACCOUNT, REGION } from './sim/deployment';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json> }> };

/** What the rehearsal executes: the synthesized definition and the bundled handler code. */
export interface RunbookAssembly {
  readonly config: RunbookConfig;
  readonly template: Template;
  readonly outdir: string;
  /** The state machine definition exactly as synthesized, with CloudFormation tokens resolved. */
  readonly definition: Record<string, Json>;
  /** Lambda ARN (as it appears in the definition) → the bundled `index.js` CDK produced for it. */
  readonly lambdaBundles: Map<string, { logicalId: string; bundle: string }>;
}

export const DEFAULT_CONFIG = path.join(__dirname, '..', 'config', 'example.json');

/** `cdk synth`, in process, into a fresh cloud assembly under `.cdk.out.rehearsal/`. */
export function synthesizeRunbook(configPath = DEFAULT_CONFIG): RunbookAssembly {
  const config = loadRunbookConfig(configPath);
  // Inside the project, so the bundles resolve the AWS SDK from its node_modules as the runtime would.
  const parent = path.join(__dirname, '..', '.cdk.out.rehearsal');
  mkdirSync(parent, { recursive: true });
  const outdir = mkdtempSync(path.join(parent, 'assembly-'));
  removeAtExit(outdir);
  // Asset metadata tells which bundled directory belongs to which function (the CLI turns it on too).
  // CloudFormation validation takes seconds and only writes a report; `cdk synth` still runs it.
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true }, builtinCloudFormationValidation: false });
  new RunbookStack(app, config.stackName, { config, env: { account: ACCOUNT, region: REGION } });
  const assembly = app.synth();
  const template = assembly.getStackByName(config.stackName).template as Template;
  return { config, template, outdir, ...resolveRunbook(template, outdir) };
}

const toRemove = new Set<string>();

/** The process that synthesized an assembly removes it when it ends, so rehearsals leave nothing behind. */
function removeAtExit(dir: string): void {
  if (toRemove.size === 0) {
    process.once('exit', () => {
      for (const d of toRemove) rmSync(d, { recursive: true, force: true });
    });
  }
  toRemove.add(dir);
}

/** An assembly synthesized earlier (the test suite synthesizes once for all its workers). */
export function readRunbookAssembly(outdir: string, configPath = DEFAULT_CONFIG): RunbookAssembly {
  const config = loadRunbookConfig(configPath);
  const template = JSON.parse(readFileSync(path.join(outdir, `${config.stackName}.template.json`), 'utf8')) as Template;
  return { config, template, outdir, ...resolveRunbook(template, outdir) };
}

/** Where the resolved definition says a Lambda function lives: a made-up ARN named after its logical id. */
export const lambdaArnFor = (logicalId: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * The value a CloudFormation expression would have in the simulated account: literal strings,
 * pseudo parameters, Lambda ARNs (see `lambdaArnFor`), SNS topic references, and `Fn::Join` over
 * those. Anything else throws, so a new kind of reference is noticed, not mangled.
 */
export function resolveTokens(resources: Template['Resources'], value: unknown): string {
  const resolve = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const token = (part ?? {}) as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
    if (token.Ref !== undefined) {
      const pseudo = PSEUDO_PARAMETERS[token.Ref];
      if (pseudo) return pseudo;
      if (resources[token.Ref]?.Type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${token.Ref}`;
    }
    const getAtt = token['Fn::GetAtt'];
    if (getAtt && getAtt[1] === 'Arn' && resources[getAtt[0]]?.Type === 'AWS::Lambda::Function') return lambdaArnFor(getAtt[0]);
    const join = token['Fn::Join'];
    if (join) return join[1].map(resolve).join(join[0]);
    throw new Error(`cannot resolve ${JSON.stringify(part)}`);
  };
  return resolve(value);
}

/** The definition with its tokens resolved, and the bundled code of every function it calls. */
export function resolveRunbook(template: Template, outdir: string): Pick<RunbookAssembly, 'definition' | 'lambdaBundles'> {
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (!machine?.Properties) throw new Error('the template has no state machine');
  const definition = JSON.parse(resolveTokens(template.Resources, machine.Properties.DefinitionString)) as Record<string, Json>;
  const lambdaBundles = new Map<string, { logicalId: string; bundle: string }>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type === 'AWS::Lambda::Function' && typeof assetPath === 'string') {
      lambdaBundles.set(lambdaArnFor(logicalId), { logicalId, bundle: path.join(outdir, assetPath, 'index.js') });
    }
  }
  return { definition, lambdaBundles };
}

/** Every state of the definition, nested Parallel branches included, by name. */
export function allStates(definition: Record<string, Json>): Map<string, Record<string, Json>> {
  const out = new Map<string, Record<string, Json>>();
  const walk = (states: Json) => {
    for (const [name, state] of Object.entries(states as Record<string, Record<string, Json>>)) {
      out.set(name, state);
      for (const branch of (state.Branches ?? []) as Record<string, Json>[]) walk(branch.States as Json);
    }
  };
  walk(definition.States as Json);
  return out;
}

export type { Json };
