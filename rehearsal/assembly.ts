import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadRunbookConfig, type RunbookConfig } from '../infra/config';
import { RunbookStack } from '../infra/runbook-stack';
import { ACCOUNT, REGION } from './sim/deployment';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json> }> };

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
  // Asset metadata tells which bundled directory belongs to which function (the CLI turns it on too).
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  new RunbookStack(app, config.stackName, { config, env: { account: ACCOUNT, region: REGION } });
  const assembly = app.synth();
  const template = assembly.getStackByName(config.stackName).template as Template;
  return { config, template, outdir, ...resolveRunbook(template, outdir) };
}

/** An assembly synthesized earlier (the test suite synthesizes once for all its workers). */
export function readRunbookAssembly(outdir: string, configPath = DEFAULT_CONFIG): RunbookAssembly {
  const config = loadRunbookConfig(configPath);
  const template = JSON.parse(readFileSync(path.join(outdir, `${config.stackName}.template.json`), 'utf8')) as Template;
  return { config, template, outdir, ...resolveRunbook(template, outdir) };
}

/**
 * Resolves the `Fn::Join` CloudFormation builds the definition with: function ARNs, region,
 * account and partition become the values they would have in the simulated account.
 */
export function resolveRunbook(template: Template, outdir: string): Pick<RunbookAssembly, 'definition' | 'lambdaBundles'> {
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (!machine?.Properties) throw new Error('the template has no state machine');
  const lambdaBundles = new Map<string, { logicalId: string; bundle: string }>();
  const resolve = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const ref = value.Ref;
      if (ref === 'AWS::Region') return REGION;
      if (ref === 'AWS::AccountId') return ACCOUNT;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      const getAtt = value['Fn::GetAtt'];
      if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') {
        const logicalId = getAtt[0];
        const fn = template.Resources[logicalId];
        const assetPath = fn?.Metadata?.['aws:asset:path'];
        if (fn?.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') throw new Error(`cannot resolve ${logicalId}`);
        const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
        lambdaBundles.set(arn, { logicalId, bundle: path.join(outdir, assetPath, 'index.js') });
        return arn;
      }
      const join = value['Fn::Join'];
      if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(resolve).join(join[0]);
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)} in the definition`);
  };
  const definition = JSON.parse(resolve(machine.Properties.DefinitionString as Json)) as Record<string, Json>;
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
