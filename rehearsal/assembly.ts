import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { parseRunbookConfig, type RunbookConfig } from '../infra/config';
import { readJsonFile } from '../infra/config/load';
import { RunbookStack } from '../infra/runbook-stack';
import { nestedStates } from '../workflows/asl';
import { ACCOUNT, DEFAULT_FIXTURE, FIXTURES, type FixtureName, REGION } from './fixtures';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json> }> };

/** What the rehearsal executes: the synthesized definition and the bundled handler code. */
export interface RunbookAssembly {
  /** The deployment fixture the configuration describes (rehearsal/fixtures.ts). */
  readonly fixture: FixtureName;
  readonly config: RunbookConfig;
  readonly template: Template;
  readonly outdir: string;
  /** The state machine definition exactly as synthesized, with CloudFormation tokens resolved. */
  readonly definition: Record<string, Json>;
  /** Lambda ARN (as it appears in the definition) → the bundled `index.js` CDK produced for it. */
  readonly lambdaBundles: Map<string, { logicalId: string; bundle: string }>;
}

export const DEFAULT_CONFIG = path.join(__dirname, '..', 'config', 'example.json');

export interface SynthesisOptions {
  readonly fixture?: FixtureName;
  /**
   * A configuration file whose settings (waits, approval, migration, notifications) the rehearsal
   * uses on the fixture's deployment; its `deployment` and `env` are the fixture's.
   */
  readonly settingsPath?: string;
  /** Settings over those (a scenario's), merged key by key within each section. */
  readonly settings?: ScenarioSettings;
  /** An assembly whose handler bundles this one takes, instead of bundling (the code is the same). */
  readonly bundlesFrom?: RunbookAssembly;
}

/** Settings a scenario needs other than its deployment's (the approvers, say), as a configuration file writes them. */
export type ScenarioSettings = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** `over`'s sections merged into `base`'s, key by key. */
function mergeSettings(base: Record<string, unknown>, over: ScenarioSettings = {}): Record<string, unknown> {
  const out = { ...base };
  for (const [section, values] of Object.entries(over)) {
    const before = out[section];
    out[section] = before && typeof before === 'object' && !Array.isArray(before) ? { ...before, ...values } : values;
  }
  return out;
}

/** The configuration a fixture is rehearsed with: its own deployment, and the settings of `settingsPath` and `settings`. */
export function fixtureConfig(options: SynthesisOptions = {}): RunbookConfig {
  const fixture = FIXTURES[options.fixture ?? DEFAULT_FIXTURE];
  const fromFile = options.settingsPath ? (readJsonFile(options.settingsPath) as Record<string, unknown>) : {};
  const { deployment: _d, env: _e, ...rest } = fromFile;
  return parseRunbookConfig(mergeSettings({ ...fixture.config, ...rest }, options.settings), options.settingsPath ?? `the ${fixture.name} fixture`);
}

/** The first assembly of this process: its bundles serve every later one (the handler code is the same). */
let bundled: RunbookAssembly | undefined;

const variants = new WeakMap<RunbookAssembly, Map<string, RunbookAssembly>>();

/**
 * The assembly a scenario runs on: `assembly` itself, or, when the scenario needs other settings
 * (approvers configured, say), the same deployment synthesized again with them over its own,
 * reusing its handler bundles. Synthesized once per assembly and settings.
 */
export function assemblyWith(assembly: RunbookAssembly, settings: ScenarioSettings | undefined): RunbookAssembly {
  if (!settings || Object.keys(settings).length === 0) return assembly;
  const { deployment: _d, env: _e, ...own } = assembly.config as unknown as Record<string, unknown>;
  const merged = mergeSettings(own, settings);
  if (JSON.stringify(merged) === JSON.stringify(own)) return assembly;
  const known = variants.get(assembly) ?? new Map<string, RunbookAssembly>();
  variants.set(assembly, known);
  const key = JSON.stringify(settings);
  let variant = known.get(key);
  if (!variant) {
    variant = synthesizeRunbook({ fixture: assembly.fixture, settings: merged as ScenarioSettings, bundlesFrom: assembly });
    known.set(key, variant);
  }
  return variant;
}

/**
 * `cdk synth`, in process, into a fresh cloud assembly under `.cdk.out.rehearsal/`. Bundling the
 * handlers takes seconds; it is done once per process and reused by the fixtures synthesized after.
 */
export function synthesizeRunbook(options: SynthesisOptions = {}): RunbookAssembly {
  const config = fixtureConfig(options);
  // Inside the project, so the bundles resolve the AWS SDK from its node_modules as the runtime would.
  const parent = path.join(__dirname, '..', '.cdk.out.rehearsal');
  mkdirSync(parent, { recursive: true });
  const outdir = mkdtempSync(path.join(parent, 'assembly-'));
  removeAtExit(outdir);
  // Asset metadata tells which bundled directory belongs to which function (the CLI turns it on too).
  // CloudFormation validation takes seconds and only writes a report; `cdk synth` still runs it.
  const bundles = options.bundlesFrom ?? bundled;
  const context: Record<string, unknown> = { 'aws:cdk:enable-asset-metadata': true, ...(bundles ? { 'aws:cdk:bundling-stacks': [] } : {}) };
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  // Bundling happens as the functions are constructed.
  const assembly = withoutBundlingLines(() => {
    new RunbookStack(app, config.stackName, { config, env: { account: ACCOUNT, region: REGION } });
    return app.synth();
  });
  const template = assembly.getStackByName(config.stackName).template as Template;
  const resolved = resolveRunbook(template, bundles?.outdir ?? outdir);
  const made: RunbookAssembly = { fixture: options.fixture ?? DEFAULT_FIXTURE, config, template, outdir, ...resolved };
  if (bundles) reuseBundles(made, bundles);
  else bundled = made;
  return made;
}

/**
 * The CDK announces each bundle on stderr ("Bundling asset …"): noise in a rehearsal's output and in
 * test logs. Other writes pass through, and a failed bundling still throws with esbuild's message.
 */
function withoutBundlingLines<T>(synth: () => T): T {
  const write = process.stderr.write;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' && /^Bundling asset \S+\.\.\.\n?$/.test(chunk) ? true : (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest)) as typeof process.stderr.write;
  try {
    return synth();
  } finally {
    process.stderr.write = write;
  }
}

/** Functions are named by their construct path, the same in every fixture: take the bundles already built. */
function reuseBundles(assembly: RunbookAssembly, from: RunbookAssembly): void {
  const byLogicalId = new Map([...from.lambdaBundles.values()].map((b) => [b.logicalId, b.bundle]));
  for (const [arn, entry] of assembly.lambdaBundles) {
    const bundle = byLogicalId.get(entry.logicalId);
    if (!bundle) throw new Error(`no bundle for function ${entry.logicalId}`);
    assembly.lambdaBundles.set(arn, { logicalId: entry.logicalId, bundle });
  }
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

/** Written by a process that synthesized assemblies, for another to read (the test suite's global setup). */
export interface WrittenAssembly {
  readonly fixture: FixtureName;
  readonly outdir: string;
  /** The assembly whose handler bundles every one uses (the first, which bundled). */
  readonly bundledIn: string;
}

export function writtenAssembly(assembly: RunbookAssembly): WrittenAssembly {
  return { fixture: assembly.fixture, outdir: assembly.outdir, bundledIn: (bundled ?? assembly).outdir };
}

/** An assembly synthesized earlier (the test suite synthesizes once for all its workers). */
export function readRunbookAssembly(written: WrittenAssembly): RunbookAssembly {
  const config = fixtureConfig({ fixture: written.fixture });
  const read = (dir: string) => {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> };
    const stack = Object.values(manifest.artifacts).find((a) => a.type === 'aws:cloudformation:stack');
    return JSON.parse(readFileSync(path.join(dir, stack?.properties?.templateFile as string), 'utf8')) as Template;
  };
  const template = read(written.outdir);
  const made: RunbookAssembly = { fixture: written.fixture, config, template, outdir: written.outdir, ...resolveRunbook(template, written.outdir) };
  if (written.bundledIn !== written.outdir) {
    const base = read(written.bundledIn);
    reuseBundles(made, { ...made, lambdaBundles: resolveRunbook(base, written.bundledIn).lambdaBundles });
  }
  return made;
}

/** Where the resolved definition says a Lambda function lives: a made-up ARN named after its logical id. */
export const lambdaArnFor = (logicalId: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** A resource's physical name: its own name property when the template sets it, else its logical id. */
function physicalName(resources: Template['Resources'], logicalId: string, property: string): string {
  const named = resources[logicalId]?.Properties?.[property];
  return typeof named === 'string' ? named : logicalId;
}

type Reference = (resources: Template['Resources'], logicalId: string) => string;
const roleName: Reference = (r, id) => physicalName(r, id, 'RoleName');
const topicArn: Reference = (_r, id) => `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
const keyArn: Reference = (_r, id) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
const stateMachineArn: Reference = (r, id) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physicalName(r, id, 'StateMachineName')}`;
const logGroupName: Reference = (r, id) => physicalName(r, id, 'LogGroupName');

/**
 * What `Ref` and `Fn::GetAtt` give for each kind of resource the stack references, in the simulated
 * account. Names are logical ids unless the template names the resource (an SNS topic is always its
 * logical id: the definition has always been resolved so).
 */
const REFERENCES: Readonly<Record<string, { ref?: Reference; attributes?: Readonly<Record<string, Reference>> }>> = {
  'AWS::SNS::Topic': { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: (_r, id) => id } },
  'AWS::Lambda::Function': { ref: (_r, id) => id, attributes: { Arn: (_r, id) => lambdaArnFor(id) } },
  'AWS::IAM::Role': {
    ref: roleName,
    attributes: { Arn: (r, id) => `arn:aws:iam::${ACCOUNT}:role/${rolePath(r, id)}${roleName(r, id)}`, RoleId: (_r, id) => `AROA${id}` },
  },
  'AWS::IAM::ManagedPolicy': { ref: (r, id) => `arn:aws:iam::${ACCOUNT}:policy/${physicalName(r, id, 'ManagedPolicyName')}` },
  'AWS::KMS::Key': { ref: (_r, id) => id, attributes: { Arn: keyArn, KeyId: (_r, id) => id } },
  'AWS::StepFunctions::StateMachine': { ref: stateMachineArn, attributes: { Arn: stateMachineArn, Name: (r, id) => physicalName(r, id, 'StateMachineName') } },
  'AWS::CloudWatch::Alarm': {
    ref: (r, id) => physicalName(r, id, 'AlarmName'),
    attributes: { Arn: (r, id) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${physicalName(r, id, 'AlarmName')}` },
  },
  'AWS::Logs::LogGroup': { ref: logGroupName, attributes: { Arn: (r, id) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logGroupName(r, id)}:*` } },
};

/** A role's path as its ARN carries it: `/service-role/` becomes `service-role/`; none for `/`. */
function rolePath(resources: Template['Resources'], logicalId: string): string {
  const path = resources[logicalId]?.Properties?.Path;
  return typeof path === 'string' ? path.replace(/^\//, '') : '';
}

/**
 * The value a CloudFormation expression would have in the simulated account: literal strings,
 * pseudo parameters, `Ref` and `Fn::GetAtt` of the resources in `REFERENCES` (Lambda ARNs as
 * `lambdaArnFor` makes them, SNS topic ARNs, IAM roles, KMS keys...), `Fn::Join` and `Fn::Sub` over
 * those. Anything else throws, so a new kind of reference is noticed, not mangled.
 */
export function resolveTokens(resources: Template['Resources'], value: unknown): string {
  const reference = (logicalId: string, attribute?: string): string => {
    const pseudo = attribute === undefined ? PSEUDO_PARAMETERS[logicalId] : undefined;
    if (pseudo) return pseudo;
    const kind = REFERENCES[resources[logicalId]?.Type ?? ''];
    const resolver = attribute === undefined ? kind?.ref : kind?.attributes?.[attribute];
    if (!resolver) throw new Error(`cannot resolve ${attribute === undefined ? `Ref ${logicalId}` : `Fn::GetAtt ${logicalId}.${attribute}`}`);
    return resolver(resources, logicalId);
  };
  const resolve = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const token = (part ?? {}) as {
      Ref?: string;
      'Fn::GetAtt'?: [string, string] | string;
      'Fn::Join'?: [string, unknown[]];
      'Fn::Sub'?: string | [string, Record<string, unknown>];
    };
    if (token.Ref !== undefined) return reference(token.Ref);
    const getAtt = token['Fn::GetAtt'];
    if (getAtt) {
      const [logicalId, attribute] = typeof getAtt === 'string' ? (getAtt.split(/\.(.*)/s) as [string, string]) : getAtt;
      return reference(logicalId, attribute);
    }
    const join = token['Fn::Join'];
    if (join) return join[1].map(resolve).join(join[0]);
    const sub = token['Fn::Sub'];
    if (sub !== undefined) {
      const [text, variables] = typeof sub === 'string' ? [sub, {}] : sub;
      // ${Name} is a variable, a pseudo parameter or a Ref; ${Name.Attr} a GetAtt; ${!Literal} stays ${Literal}.
      return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, bang: string, name: string) => {
        if (bang) return `\${${name}}`;
        if (name in variables) return resolve(variables[name]);
        const [logicalId, attribute] = name.split(/\.(.*)/s) as [string, string | undefined];
        return reference(logicalId, attribute || undefined);
      });
    }
    throw new Error(`cannot resolve ${JSON.stringify(part)}`);
  };
  return resolve(value);
}

/** Every CloudFormation expression inside `value` (a policy document, a condition) resolved as `resolveTokens` does. */
export function resolveTokensDeep(resources: Template['Resources'], value: unknown): Json {
  if (Array.isArray(value)) return value.map((v) => resolveTokensDeep(resources, v));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) return resolveTokens(resources, value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTokensDeep(resources, v)]));
  }
  return value as Json;
}

/** The definition with its tokens resolved, and the bundled code (under `bundles`) of every function it calls. */
export function resolveRunbook(template: Template, bundles: string): Pick<RunbookAssembly, 'definition' | 'lambdaBundles'> {
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (!machine?.Properties) throw new Error('the template has no state machine');
  const definition = JSON.parse(resolveTokens(template.Resources, machine.Properties.DefinitionString)) as Record<string, Json>;
  const lambdaBundles = new Map<string, { logicalId: string; bundle: string }>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type === 'AWS::Lambda::Function' && typeof assetPath === 'string') {
      lambdaBundles.set(lambdaArnFor(logicalId), { logicalId, bundle: path.join(bundles, assetPath, 'index.js') });
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
      for (const nested of nestedStates(state as Parameters<typeof nestedStates<Json>>[0])) walk(nested);
    }
  };
  walk(definition.States as Json);
  return out;
}

export type { Json };
