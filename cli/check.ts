import { ConfigError, configVersion, loadRunbookConfig, type RunbookConfig } from '../infra/config';
import { EXIT, UsageError } from './aws';
import { type CommonOptions, type Deps, retryPolicy } from './deps';
import { checkPreconditions, type Precondition } from './discovery/preconditions';

export interface CheckArgs extends CommonOptions {
  readonly config: string;
}

/** The configuration file, checked as synth checks it; a bad file is a usage error naming each key. */
function loadConfig(file: string): RunbookConfig {
  try {
    return loadRunbookConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`--config: ${err.message}`);
    throw err;
  }
}

/** The region the configuration names, unless --region says the same or the configuration names none. */
function regionFor(args: CheckArgs, config: RunbookConfig): string | undefined {
  const own = config.env?.region;
  if (args.region !== undefined && own !== undefined && args.region !== own) {
    throw new UsageError(`--region ${args.region}: the configuration is for ${own} (env.region); leave --region out`);
  }
  return args.region ?? own;
}

function textReport(args: CheckArgs, config: RunbookConfig, results: readonly Precondition[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const mark = (r: Precondition) => (r.ok ? 'ok  ' : r.unchecked ? '??  ' : 'FAIL');
  const failed = results.filter((r) => !r.ok);
  const where = `${config.env ? `${config.env.account}, ${config.env.region}` : 'the default account and region'}`;
  return [
    `Preconditions for ${config.stackName} from ${args.config} (version ${configVersion(config)}) in ${where}:`,
    ...results.map((r) => `  ${mark(r)}  ${r.name.padEnd(width)}  ${r.detail}`),
    '',
    failed.length === 0
      ? `All ${results.length} preconditions hold.`
      : `${results.length - failed.length} of ${results.length} preconditions hold; not yet: ${failed.map((r) => r.name).join(', ')}.`,
    '',
  ].join('\n');
}

/** `check`: every precondition of a change, against the live account (read-only). Exit 0 all hold, 1 one fails, 3 one could not be checked. */
export async function check(deps: Deps, args: CheckArgs): Promise<number> {
  const config = loadConfig(args.config);
  const clients = deps.deploymentClients({ ...args, region: regionFor(args, config) });
  const results = await checkPreconditions(clients, retryPolicy(deps), config);
  if (args.json) {
    deps.stdout.write(`${JSON.stringify({ config: args.config, configVersion: configVersion(config), stackName: config.stackName, ok: results.every((r) => r.ok), preconditions: results }, null, 2)}\n`);
  } else {
    deps.stdout.write(textReport(args, config, results));
  }
  if (results.some((r) => r.unchecked)) return EXIT.aws;
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.notSucceeded;
}

