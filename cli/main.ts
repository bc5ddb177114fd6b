import { parseArgs } from 'node:util';
import { synthesizeRunbook } from '../rehearsal/assembly';
import { SCENARIOS } from '../rehearsal/scenarios';
import { CliError, createClients, EXIT, messageOf, UsageError } from './aws';
import { decide, report, start, watch } from './commands';
import type { PersonName } from '../rehearsal/sim/people';
import type { CommonOptions, Deps } from './deps';
import { createDeploymentClients } from './discovery/clients';
import { DiscoveryError } from './discovery/errors';
import { check } from './check';
import { DEFAULT_OUT, init } from './init';
import { DEFAULT_SCENARIO } from './local';

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly arg?: string;
  readonly description: string;
  /** Parsed, so that its use can be answered with a reason, but not offered in the help. */
  readonly hidden?: boolean;
}

type Values = Readonly<Record<string, string | boolean | undefined>>;

interface Subcommand {
  readonly usage: string;
  readonly summary: string;
  readonly details?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  run(deps: Deps, values: Values, positionals: readonly string[]): Promise<number>;
}

const COMMON: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'machine-readable JSON on stdout (nothing else is written there)' },
  profile: { type: 'string', arg: 'name', description: 'AWS profile, as the AWS CLI takes it (default: AWS_PROFILE, then the default chain)' },
  region: { type: 'string', arg: 'region', description: "AWS region (default: the execution ARN's, else AWS_REGION or the profile's)" },
  help: { type: 'boolean', description: 'show this help' },
};
const INTERVAL: OptionSpec = { type: 'string', arg: 'seconds', description: 'seconds between history polls (default 5)' };
const LOCAL: Readonly<Record<string, OptionSpec>> = {
  local: { type: 'boolean', description: 'run the local rehearsal instead of reading AWS (no account needed)' },
  scenario: { type: 'string', arg: 'name', description: `rehearsal scenario for --local (default ${DEFAULT_SCENARIO}; see below)` },
};
const SCENARIO_LIST = `Scenarios for --local:\n${SCENARIOS.map((s) => `  ${s.name}`).join('\n')}`;
const PERSON_NAMES: readonly PersonName[] = ['requester', 'approver', 'approver-role', 'outsider'];
const ENDPOINT: Readonly<Record<string, OptionSpec>> = {
  'endpoint-url': {
    type: 'string',
    arg: 'url',
    description: "the runbook's endpoint (default: RUNBOOK_ENDPOINT_URL, else the EndpointUrl output of the runbook stack)",
  },
};
const AS: OptionSpec = {
  type: 'string',
  arg: 'person',
  description: `--local: who you are in the simulated account: ${PERSON_NAMES.join(', ')}`,
};
const SIGNED = `Goes through the runbook's endpoint (a Lambda function URL with AWS_IAM auth), signed with your AWS
credentials (SigV4): the runbook records who you are from the signature, never from a flag. Your
identity needs lambda:InvokeFunctionUrl and lambda:InvokeFunction on the endpoint's function.`;

function person(values: Values): PersonName | undefined {
  const as = str(values, 'as');
  if (as === undefined) return undefined;
  if (!(PERSON_NAMES as readonly string[]).includes(as)) throw new UsageError(`--as: expected one of ${PERSON_NAMES.join(', ')}, got ${JSON.stringify(as)}`);
  if (!flag(values, 'local')) throw new UsageError('--as: only with --local (in AWS you are who your credentials say)');
  return as as PersonName;
}

const str = (values: Values, key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
const flag = (values: Values, key: string) => values[key] === true;

function common(values: Values): CommonOptions {
  return { json: flag(values, 'json'), profile: str(values, 'profile'), region: str(values, 'region') };
}

function interval(values: Values): number {
  const text = str(values, 'interval') ?? '5';
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 300) throw new UsageError(`--interval: expected seconds from 1 to 300, got ${JSON.stringify(text)}`);
  return seconds;
}

function oneArn(positionals: readonly string[]): string | undefined {
  if (positionals.length > 1) throw new UsageError(`expected one <executionArn>, got ${positionals.length} arguments`);
  return positionals[0];
}

/** approve and reject: the same request, with a comment or a reason. */
function decideWith(deps: Deps, values: Values, positionals: readonly string[], decision: 'approved' | 'rejected', noteFlag: 'comment' | 'reason'): Promise<number> {
  return decide(deps, {
    ...common(values),
    executionArn: oneArn(positionals),
    decision,
    note: str(values, noteFlag),
    endpointUrl: str(values, 'endpoint-url'),
    local: flag(values, 'local'),
    scenario: str(values, 'scenario'),
    as: person(values),
  });
}

const COMMANDS: Readonly<Record<string, Subcommand>> = {
  start: {
    usage: 'start --change-id <id> [--target-image <image>] [--reason <text>] [--dry-run] [--state-machine-arn <arn> | --endpoint-url <url>] [--no-follow]  |  start --local --change-id <id> [--scenario <name>] [--as <person>]',
    summary: "start the migration for a change through the runbook's endpoint, as your AWS identity, then follow it like watch",
    details: `The flags are checked as the state machine checks its input, before anything is sent to AWS.
The execution is named after the change: CHG-123-20261124T150301Z. Its requester is you, verified.
${SIGNED}
--local starts the rehearsal of --scenario the same way, through its loopback endpoint, as --as (default requester).

${SCENARIO_LIST}`,
    options: {
      'change-id': { type: 'string', arg: 'id', description: 'the change ticket, e.g. CHG-1234 (used in snapshot names and tags)' },
      'requested-by': { type: 'string', arg: 'who', description: 'no longer taken: the requester is who signed the request', hidden: true },
      'target-image': { type: 'string', arg: 'image', description: 'move the service to this image first, e.g. netflixoss/metaflow_metadata_service:v2.5.1' },
      reason: { type: 'string', arg: 'text', description: 'why, in one line (shown to approvers, kept in the report)' },
      'dry-run': { type: 'boolean', description: 'run the read-only checks and report the plan; change nothing' },
      'state-machine-arn': { type: 'string', arg: 'arn', description: 'the runbook state machine, whose stack names the endpoint (default: RUNBOOK_STATE_MACHINE_ARN)' },
      ...ENDPOINT,
      'no-follow': { type: 'boolean', description: 'print the execution and return at once' },
      interval: INTERVAL,
      ...LOCAL,
      as: AS,
    },
    run: (deps, values, positionals) => {
      if (positionals.length > 0) throw new UsageError(`start takes no arguments, got ${JSON.stringify(positionals[0])}`);
      return start(deps, {
        ...common(values),
        changeId: str(values, 'change-id'),
        requestedBy: str(values, 'requested-by'),
        targetImage: str(values, 'target-image'),
        reason: str(values, 'reason'),
        dryRun: flag(values, 'dry-run'),
        stateMachineArn: str(values, 'state-machine-arn'),
        endpointUrl: str(values, 'endpoint-url'),
        follow: !flag(values, 'no-follow'),
        intervalSeconds: interval(values),
        local: flag(values, 'local'),
        scenario: str(values, 'scenario'),
        as: person(values),
      });
    },
  },
  watch: {
    usage: 'watch <executionArn> [--interval <seconds>]  |  watch --local [--scenario <name>]',
    summary: 'follow an execution step by step until it ends (exit 0 if it succeeded, 1 if not)',
    details: `One line per guide step: pending, running, succeeded, failed or skipped, with its time.\nRollback steps appear once they run. The last line says whether the change was rolled back.\n\n${SCENARIO_LIST}`,
    options: { interval: INTERVAL, ...LOCAL },
    run: (deps, values, positionals) =>
      watch(deps, { ...common(values), executionArn: oneArn(positionals), intervalSeconds: interval(values), local: flag(values, 'local'), scenario: str(values, 'scenario') }),
  },
  approve: {
    usage: 'approve <executionArn> [--comment <text>] [--endpoint-url <url>]  |  approve --local [--scenario <name>] [--as <person>] [--comment <text>]',
    summary: 'approve the change an execution is waiting on ("Wait for approval"), as your AWS identity',
    details: `${SIGNED}
The endpoint refuses callers outside the configured approvers and, unless configured otherwise, the
requester: the refusal's reason is printed (exit 1) and the execution keeps waiting for an approver.
--local rehearses --scenario and answers its approval request as --as (default approver), through its loopback endpoint.

${SCENARIO_LIST}`,
    options: { comment: { type: 'string', arg: 'text', description: 'kept with the approval in the history and the report' }, ...ENDPOINT, ...LOCAL, as: AS },
    run: (deps, values, positionals) => decideWith(deps, values, positionals, 'approved', 'comment'),
  },
  reject: {
    usage: 'reject <executionArn> --reason <text> [--endpoint-url <url>]  |  reject --local --reason <text> [--scenario <name>] [--as <person>]',
    summary: 'reject the change an execution is waiting on, as your AWS identity: the run ends, nothing is changed',
    details: `${SIGNED}
The requester may withdraw their own change this way; others must be approvers when approvers are configured.

${SCENARIO_LIST}`,
    options: { reason: { type: 'string', arg: 'text', description: 'why (required): kept in the history and the report' }, ...ENDPOINT, ...LOCAL, as: AS },
    run: (deps, values, positionals) => decideWith(deps, values, positionals, 'rejected', 'reason'),
  },
  report: {
    usage: 'report <executionArn> [--format md|json]  |  report --local [--scenario <name>] [--format md|json]',
    summary: 'the audit record of an execution: who, when, every step, versions, snapshot, rollback, outcome',
    details: `Markdown (default) includes a Mermaid flowchart of the steps coloured by outcome; JSON is for a ticketing system.\n\n${SCENARIO_LIST}`,
    options: { format: { type: 'string', arg: 'md|json', description: 'md (default) or json' }, ...LOCAL },
    run: (deps, values, positionals) => {
      const format = str(values, 'format') ?? 'md';
      if (format !== 'md' && format !== 'json') throw new UsageError(`--format: expected md or json, got ${JSON.stringify(format)}`);
      return report(deps, { ...common(values), executionArn: oneArn(positionals), format, local: flag(values, 'local'), scenario: str(values, 'scenario') });
    },
  },
  init: {
    usage:
      'init [--cluster <name> [--service <name>]] [--service-security-group <sg-id>] [--out <file.json>] [--force] [--stack-name <name>] [--use-load-balancer]',
    summary: "write the runbook's configuration from an existing Metaflow deployment, read from the account",
    details: `Finds the metadata service (the service whose task definition maps port 8082 and sets MF_METADATA_DB_HOST),
its container, the DB instance or Aurora cluster that variable names, the network, an internal load
balancer's URLs, and whether the deployment came from CloudFormation, the Terraform modules or the console.
Prints every value with where it was read. Read-only: it changes nothing in the account.
When two services qualify, or nothing does, it stops (exit 1) and lists the candidates.`,
    options: {
      cluster: { type: 'string', arg: 'name', description: 'the ECS cluster to look in (default: every cluster of the region)' },
      service: { type: 'string', arg: 'name', description: 'the metadata service, when the cluster has two candidates (needs --cluster)' },
      'service-security-group': { type: 'string', arg: 'sg-id', description: 'the service group the runbook admits itself on, when the service has several' },
      out: { type: 'string', arg: 'file.json', description: `where to write the configuration (default ${DEFAULT_OUT})` },
      force: { type: 'boolean', description: 'replace --out if it exists' },
      'stack-name': { type: 'string', arg: 'name', description: "the runbook stack's name (default MetaflowMigrationRunbook)" },
      'use-load-balancer': { type: 'boolean', description: "write the internal load balancer's URLs instead of calling the task's IP" },
    },
    run: (deps, values, positionals) => {
      if (positionals.length > 0) throw new UsageError(`init takes no arguments, got ${JSON.stringify(positionals[0])}`);
      return init(deps, {
        ...common(values),
        cluster: str(values, 'cluster'),
        service: str(values, 'service'),
        serviceSecurityGroup: str(values, 'service-security-group'),
        stackName: str(values, 'stack-name'),
        out: str(values, 'out') ?? DEFAULT_OUT,
        force: flag(values, 'force'),
        useLoadBalancer: flag(values, 'use-load-balancer'),
      });
    },
  },
  check: {
    usage: 'check [--config <file.json>]',
    summary: 'report every precondition of a change against the live account, before starting one',
    details: `Reads the deployment the configuration names (read-only) and reports, each by name:
credentials (the configured account), service-steady, db-available, db-security-group (the database admits
the service), service-security-group (the service's group admits the runbook's handlers), ssl-mode
(MF_METADATA_DB_SSL_MODE set where PostgreSQL forces SSL), kms-key (the key a restore needs),
snapshot-quota (room for one more manual snapshot) and stack-version (the stack deployed from this file).
Exit 0 when all hold, 1 when one fails, 3 when one could not be checked.`,
    options: { config: { type: 'string', arg: 'file.json', description: `the configuration deployed (default ${DEFAULT_OUT}, where init writes it)` } },
    run: (deps, values, positionals) => {
      if (positionals.length > 0) throw new UsageError(`check takes no arguments, got ${JSON.stringify(positionals[0])}`);
      return check(deps, { ...common(values), config: str(values, 'config') ?? DEFAULT_OUT });
    },
  },
};

function optionHelp(options: Readonly<Record<string, OptionSpec>>): string {
  const rows = Object.entries(options)
    .filter(([, o]) => !o.hidden)
    .map(([name, o]) => [`--${name}${o.arg ? ` <${o.arg}>` : ''}`, o.description] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

export function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `Usage: npm run runbook -- <command> [options]

Operate the Metaflow metadata-service migration runbook (AWS Step Functions) with your own AWS credentials.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Options for every command:
${optionHelp(COMMON)}

Run \`npm run runbook -- <command> --help\` for a command's options.
start, approve and reject go through the runbook's endpoint, signed with your AWS credentials.
Exit codes: 0 done (execution SUCCEEDED), 1 execution failed/aborted/timed out, not waiting for approval, or the
endpoint refused you (not an approver, or the requester) (init: no single deployment found, candidates listed;
check: a precondition failed), 2 bad flags, 3 AWS error.
`;
}

export function commandHelp(name: string): string {
  const c = COMMANDS[name] as Subcommand;
  return `Usage: npm run runbook -- ${c.usage}

${c.summary[0]?.toUpperCase()}${c.summary.slice(1)}.${c.details ? `\n${c.details}` : ''}

Options:
${optionHelp({ ...c.options, ...COMMON })}
`;
}

function parse(command: Subcommand, argv: readonly string[]): { values: Values; positionals: string[] } {
  const options = Object.fromEntries(Object.entries({ ...command.options, ...COMMON }).map(([name, o]) => [name, { type: o.type }]));
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (err) {
    // parseArgs names the offending flag in its message.
    throw new UsageError(messageOf(err));
  }
}

/** Runs one command line; every error ends as a message and an exit code, never a stack trace. */
export async function main(argv: readonly string[], deps: Deps): Promise<number> {
  const [name, ...rest] = argv;
  const wantsJson = rest.includes('--json');
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      deps.stdout.write(topic && COMMANDS[topic] ? commandHelp(topic) : topHelp());
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; expected one of: ${Object.keys(COMMANDS).join(', ')}`);
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      deps.stdout.write(commandHelp(name));
      return EXIT.ok;
    }
    return await command.run(deps, values, positionals);
  } catch (err) {
    const error = err instanceof CliError ? err : new CliError(`unexpected error: ${messageOf(err)}`, EXIT.aws, 'Unexpected');
    const hint = error instanceof UsageError ? `\nSee: npm run runbook -- ${name && COMMANDS[name] ? `${name} ` : ''}--help` : '';
    deps.stderr.write(`error: ${error.message}${hint}\n`);
    const candidates = error instanceof DiscoveryError ? { candidates: error.candidates } : {};
    if (wantsJson) deps.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message, ...candidates } })}\n`);
    return error.exitCode;
  }
}

/** The real world: process streams, the environment, the operator's credentials. */
export function processDeps(): Deps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    clients: createClients,
    deploymentClients: createDeploymentClients,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
    assembly: () => synthesizeRunbook(),
    throttling: { attempts: 6, baseMs: 500 },
  };
}

if (require.main === module) {
  main(process.argv.slice(2), processDeps()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${messageOf(err)}\n`);
      process.exitCode = EXIT.aws;
    },
  );
}
