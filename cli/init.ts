import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { ConfigError, parseRunbookConfig, type RunbookConfig, runbookConfigSchema } from '../infra/config';
import { CliError, EXIT, UsageError } from './aws';
import { type CommonOptions, type Deps, retryPolicy } from './deps';
import { type Discovery, discover } from './discovery/discover';

export const DEFAULT_OUT = 'config/deployment.json';

export interface InitArgs extends CommonOptions {
  readonly cluster?: string;
  readonly service?: string;
  readonly serviceSecurityGroup?: string;
  readonly stackName?: string;
  readonly out: string;
  readonly force: boolean;
  readonly useLoadBalancer: boolean;
}

const deploymentShape = runbookConfigSchema.shape.deployment.shape;

/** A flag's value checked by the configuration key it fills, so the flag and the file accept the same. */
function checkFlag(problems: string[], flag: string, value: string | undefined, schema: z.ZodType): void {
  if (value === undefined) return;
  const result = schema.safeParse(value);
  if (!result.success) problems.push(`${flag}: ${result.error.issues[0]?.message ?? 'invalid'}, got ${JSON.stringify(value)}`);
}

/** Every flag problem at once, before any AWS call. */
export function checkInitArgs(args: InitArgs): void {
  const problems: string[] = [];
  checkFlag(problems, '--cluster', args.cluster, deploymentShape.clusterName);
  checkFlag(problems, '--service', args.service, deploymentShape.serviceName);
  checkFlag(problems, '--service-security-group', args.serviceSecurityGroup, deploymentShape.serviceSecurityGroupId);
  checkFlag(problems, '--stack-name', args.stackName, runbookConfigSchema.shape.stackName);
  if (args.service !== undefined && args.cluster === undefined) problems.push('--service: needs --cluster too (the cluster the service runs in)');
  if (!args.out.endsWith('.json')) problems.push(`--out: expected a .json file, got ${JSON.stringify(args.out)}`);
  else if (!existsSync(path.dirname(path.resolve(args.out)))) problems.push(`--out: the directory ${path.dirname(args.out)} does not exist`);
  else if (existsSync(args.out) && !args.force) problems.push(`--out: ${args.out} exists; pass --force to replace it`);
  if (problems.length > 0) throw new UsageError(problems.length === 1 ? (problems[0] as string) : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
}

/** The configuration file's content: the discovered settings with every default spelled out, validated. */
export function configFrom(discovery: Discovery, stackName: string | undefined): RunbookConfig {
  const raw = { ...discovery.settings, ...(stackName !== undefined ? { stackName } : {}) };
  try {
    return parseRunbookConfig(raw, 'the discovered configuration');
  } catch (err) {
    // Discovery only writes what the schema accepts; a problem here is a bug worth reporting as it is.
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.aws, 'InvalidDiscoveredConfig');
    throw err;
  }
}

function textReport(discovery: Discovery, config: RunbookConfig, out: string): string {
  const width = Math.max(...discovery.findings.map((f) => f.key.length));
  const value = (v: Discovery['findings'][number]['value']) => (Array.isArray(v) ? v.join(', ') : String(v));
  const db = discovery.database;
  const lines = [
    `Found a ${discovery.kind} Metaflow deployment in account ${config.env?.account}, ${config.env?.region}: ` +
      `${db.kind === 'aurora' ? 'Aurora cluster' : 'DB instance'} ${db.identifier} (${db.engine} ${db.engineVersion}).`,
    '',
    ...discovery.findings.flatMap((f) => [`  ${f.key.padEnd(width)}  ${value(f.value)}`, `  ${''.padEnd(width)}    from ${f.source}`]),
  ];
  if (discovery.notes.length > 0) lines.push('', 'Notes:', ...discovery.notes.map((n) => `  - ${n}`));
  lines.push(
    '',
    `Wrote ${out} (it passes validation). Next:`,
    `  npx cdk synth -c config=${out}`,
    `  npx cdk deploy -c config=${out}`,
    `  npm run runbook -- check --config ${out}`,
  );
  if (db.kind === 'aurora') lines.push('', 'The state machine does not support Aurora clusters yet: synth stops with a message saying so.');
  return `${lines.join('\n')}\n`;
}

/** `init`: discover the deployment (read-only), write a configuration file, report what was found and from where. */
export async function init(deps: Deps, args: InitArgs): Promise<number> {
  checkInitArgs(args);
  const clients = deps.deploymentClients(args);
  const discovery = await discover(clients, retryPolicy(deps), args);
  const config = configFrom(discovery, args.stackName);
  writeFileSync(args.out, `${JSON.stringify(config, null, 2)}\n`);
  if (args.json) {
    const { settings: _, ...report } = discovery;
    deps.stdout.write(`${JSON.stringify({ configPath: args.out, config, ...report }, null, 2)}\n`);
  } else {
    deps.stdout.write(textReport(discovery, config, args.out));
  }
  return EXIT.ok;
}
