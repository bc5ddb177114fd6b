import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { EXECUTION_INPUT_RULES } from '../handlers/logic/plan-change';
import { ENDPOINT_URL_OUTPUT } from '../infra/config/version';
import type { PersonName } from '../rehearsal/sim/people';
import {
  type AwsClients,
  callAws,
  CliError,
  consoleUrl,
  EXIT,
  isStateMachineArn,
  readHistory,
  readHistorySince,
  regionOf,
  requireExecutionArn,
  stateMachineNameOf,
  UsageError,
} from './aws';
import { type CommonOptions, type Deps, retryPolicy } from './deps';
import { callEndpoint, endpointError, type EndpointAnswer } from './endpoint';
import { HistoryReader, type RunEvent } from './events';
import { DEFAULT_SCENARIO, rehearseEvents, type LocalPeople } from './local';
import { reduceProgress } from './progress';
import { type AuditRecord, buildReport, reportMarkdown } from './report';
import { conclusion, progressView } from './view';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Clients for an execution: in the region its ARN names unless --region says otherwise. */
const clientsFor = (deps: Deps, args: CommonOptions, executionArn: string) => deps.clients({ ...args, region: args.region ?? regionOf(executionArn) });

// ---- the runbook's endpoint ----

/** Where to send a signed request: --endpoint-url, RUNBOOK_ENDPOINT_URL, or the runbook stack's output. */
export interface EndpointOptions {
  readonly endpointUrl?: string;
}

/** A function URL, or a loopback address (the rehearsal's endpoint, a test's). */
const FUNCTION_URL = /^(https:\/\/[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws|http:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5})\/?$/;

/**
 * The endpoint's URL: given, or read from the `EndpointUrl` output of the runbook stack, which is
 * named after its state machine (the stack names the state machine after itself).
 */
async function endpointUrl(deps: Deps, args: EndpointOptions, clients: AwsClients, stateMachineName: string | undefined): Promise<string> {
  const given = args.endpointUrl ?? deps.env.RUNBOOK_ENDPOINT_URL;
  if (given !== undefined) {
    if (!FUNCTION_URL.test(given)) throw new UsageError(`--endpoint-url: expected the runbook's function URL, https://<id>.lambda-url.<region>.on.aws/, got ${JSON.stringify(given)}`);
    return given;
  }
  if (!stateMachineName) throw new UsageError('--endpoint-url: required (or RUNBOOK_ENDPOINT_URL, or a state machine ARN to find the runbook stack by)');
  const stacks = await callAws(() => clients.cloudformation.send(new DescribeStacksCommand({ StackName: stateMachineName })), retryPolicy(deps));
  const url = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === ENDPOINT_URL_OUTPUT)?.OutputValue;
  if (!url) {
    throw new CliError(`the stack ${stateMachineName} has no ${ENDPOINT_URL_OUTPUT} output: deploy this version of the runbook, or give --endpoint-url`, EXIT.aws, 'NoEndpointUrl');
  }
  return url;
}

/** One signed request as the operator, with the credentials of their --profile (or the default chain). */
async function askEndpoint(clients: AwsClients, url: string, path: '/start' | '/approve' | '/reject', body: Record<string, unknown>): Promise<Record<string, unknown>> {
  let credentials: Awaited<ReturnType<AwsClients['credentials']>>;
  try {
    credentials = await clients.credentials();
  } catch (err) {
    throw new CliError(`no AWS credentials to sign the request with: set AWS_PROFILE or use --profile (${err instanceof Error ? err.message : String(err)})`, EXIT.aws, 'NoCredentials');
  }
  const answer = await callEndpoint({ url, path, body, credentials, region: await clients.region() });
  if (answer.status !== 200) throw endpointError(answer);
  return answer.body;
}

// ---- start ----

export interface StartArgs extends CommonOptions, EndpointOptions {
  readonly changeId?: string;
  readonly requestedBy?: string;
  readonly targetImage?: string;
  readonly reason?: string;
  readonly dryRun: boolean;
  readonly stateMachineArn?: string;
  readonly follow: boolean;
  readonly intervalSeconds: number;
  readonly local: boolean;
  readonly scenario?: string;
  /** --local: who starts it (a person of the simulated account). */
  readonly as?: PersonName;
}

/** What the endpoint's POST /start takes; it adds the caller as the verified requester. */
export interface StartRequest {
  readonly changeId: string;
  readonly reason?: string;
  readonly targetImage?: string;
  readonly dryRun?: true;
}

/** Checks the flags as the endpoint and validate-input will, reporting every problem at once. */
export function startRequest(args: StartArgs, env: Deps['env']): { body: StartRequest; stateMachineArn?: string } {
  const problems: string[] = [];
  const check = (flag: string, value: string | undefined, ok: (v: string) => boolean, expected: string, required = false) => {
    if (value === undefined) {
      if (required) problems.push(`${flag}: expected ${expected}, got nothing`);
    } else if (!ok(value)) problems.push(`${flag}: expected ${expected}, got ${JSON.stringify(value)}`);
  };
  // The input's own rules, as validate-input checks them; the requester is the endpoint's to write.
  const field = (flag: string, value: string | undefined, rule: (typeof EXECUTION_INPUT_RULES)['changeId' | 'reason' | 'targetImage']) => check(flag, value, rule.ok, rule.expected, rule.required);
  field('--change-id', args.changeId, EXECUTION_INPUT_RULES.changeId);
  if (args.requestedBy !== undefined) {
    problems.push("--requested-by: not taken any more: the runbook's endpoint records who you are from your signed request (your AWS identity)");
  }
  field('--target-image', args.targetImage, EXECUTION_INPUT_RULES.targetImage);
  field('--reason', args.reason, EXECUTION_INPUT_RULES.reason);
  const stateMachineArn = args.stateMachineArn ?? env.RUNBOOK_STATE_MACHINE_ARN;
  const endpointGiven = (args.endpointUrl ?? env.RUNBOOK_ENDPOINT_URL) !== undefined;
  if (!args.local) {
    check('--state-machine-arn', stateMachineArn, isStateMachineArn, 'the runbook state machine ARN, or RUNBOOK_STATE_MACHINE_ARN set (or --endpoint-url)', !endpointGiven);
  }
  if (problems.length > 0 || !args.changeId) {
    throw new UsageError(problems.length === 1 ? (problems[0] as string) : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
  }
  const body: StartRequest = {
    changeId: args.changeId,
    ...(args.reason !== undefined ? { reason: args.reason } : {}),
    ...(args.targetImage !== undefined ? { targetImage: args.targetImage } : {}),
    ...(args.dryRun ? { dryRun: true as const } : {}),
  };
  return { body, stateMachineArn };
}

export async function start(deps: Deps, args: StartArgs): Promise<number> {
  const { body, stateMachineArn } = startRequest(args, deps.env);
  if (args.local) {
    const view = progressView(deps, { json: args.json });
    let announced = false;
    const events = await rehearse(
      deps,
      args,
      (seen) => {
        const input = seen[0]?.kind === 'execution-started' ? (seen[0].input as { requestedBy?: unknown }) : undefined;
        if (!announced && input && !args.json) deps.stdout.write(`Started in the rehearsal, through its endpoint, as ${String(input.requestedBy)} (verified)\n\n`);
        announced ||= input !== undefined;
        view.update(reduceProgress(seen));
      },
      { startedBy: args.as ?? 'requester', input: { ...body } },
    );
    return conclude(deps, events, args);
  }
  const clients = deps.clients(args);
  const url = await endpointUrl(deps, args, clients, stateMachineArn?.split(':').pop());
  const started = await askEndpoint(clients, url, '/start', { ...body });
  const executionArn = typeof started.executionArn === 'string' ? started.executionArn : undefined;
  const name = String(started.name ?? '');
  if (!executionArn) throw new CliError("the runbook's endpoint answered without an execution ARN", EXIT.aws, 'NoExecutionArn');
  const link = consoleUrl(executionArn);
  const by = String(started.requestedBy ?? '');
  if (!args.follow) {
    if (args.json) deps.stdout.write(json({ executionArn, name, consoleUrl: link, requestedBy: by, input: body }));
    else deps.stdout.write(`Started ${name} as ${by} (verified)\n  ${executionArn}\n  ${link}\n`);
    return EXIT.ok;
  }
  if (!args.json) deps.stdout.write(`Started ${name} as ${by} (verified)\n  ${executionArn}\n  ${link}\n\n`);
  const { sfn } = clientsFor(deps, args, executionArn);
  const events = await follow(deps, sfn, executionArn, args);
  return conclude(deps, events, { ...args, executionArn }, { name, consoleUrl: link, requestedBy: by, input: body });
}

// ---- watch ----

export interface WatchArgs extends CommonOptions {
  readonly executionArn?: string;
  readonly intervalSeconds: number;
  readonly local: boolean;
  readonly scenario?: string;
}

/** Polls the history until the execution ends, updating the view after every poll. */
async function follow(deps: Deps, sfn: SFNClient, executionArn: string, args: CommonOptions & { intervalSeconds: number }): Promise<RunEvent[]> {
  const view = progressView(deps, { json: args.json, executionArn });
  const reader = new HistoryReader();
  const events: RunEvent[] = [];
  let lastId = 0;
  for (;;) {
    const fresh = await readHistorySince(sfn, executionArn, lastId, retryPolicy(deps));
    lastId = fresh[fresh.length - 1]?.id ?? lastId;
    events.push(...reader.read(fresh));
    const progress = reduceProgress(events, deps.now().toISOString());
    view.update(progress);
    if (progress.status !== 'RUNNING') return events;
    await deps.sleep(args.intervalSeconds * 1000);
  }
}

/** Prints how the execution ended; exit 0 only when it succeeded. */
function conclude(deps: Deps, events: readonly RunEvent[], args: CommonOptions & { executionArn?: string }, extra: Record<string, unknown> = {}): number {
  const record = buildReport(events, { executionArn: args.executionArn });
  if (args.json) {
    const { execution, status, outcome, rolledBack, summary, steps } = record;
    deps.stdout.write(json({ ...extra, execution, status, outcome, rolledBack, summary, steps }));
  } else {
    deps.stdout.write(`\n${conclusion(record)}\n`);
  }
  return record.status === 'SUCCEEDED' ? EXIT.ok : EXIT.notSucceeded;
}

/**
 * The local rehearsal of `--scenario` as events, each handed to `onChange` as it happens: what an
 * execution's history gives, without an AWS account.
 */
function rehearse(
  deps: Deps,
  args: CommonOptions & { scenario?: string },
  onChange?: (events: readonly RunEvent[]) => void,
  people?: LocalPeople,
): Promise<RunEvent[]> {
  const scenario = args.scenario ?? DEFAULT_SCENARIO;
  if (!args.json) deps.stderr.write(`Synthesizing the runbook and rehearsing scenario ${scenario} against a simulated deployment (virtual time)...\n`);
  return rehearseEvents(deps.assembly, scenario, onChange, people);
}

export async function watch(deps: Deps, args: WatchArgs): Promise<number> {
  if (args.local) {
    const view = progressView(deps, { json: args.json });
    return conclude(deps, await rehearse(deps, args, (events) => view.update(reduceProgress(events))), args);
  }
  const executionArn = requireExecutionArn(args.executionArn);
  if (!args.json) deps.stdout.write(`Following ${executionArn}\n  ${consoleUrl(executionArn)}\n\n`);
  const { sfn } = clientsFor(deps, args, executionArn);
  return conclude(deps, await follow(deps, sfn, executionArn, args), { ...args, executionArn });
}

// ---- approve / reject ----

export interface DecideArgs extends CommonOptions, EndpointOptions {
  readonly executionArn?: string;
  readonly decision: 'approved' | 'rejected';
  /** --comment for an approval, --reason for a rejection. */
  readonly note?: string;
  readonly local: boolean;
  readonly scenario?: string;
  /** --local: who answers (a person of the simulated account). */
  readonly as?: PersonName;
}

/** The endpoint's answer to an approval or rejection, printed; exit 0. */
function decided(deps: Deps, args: DecideArgs, answer: Record<string, unknown>): void {
  const by = String(answer.by ?? '');
  const execution = String(answer.execution ?? args.executionArn ?? '');
  if (args.json) deps.stdout.write(json({ execution, decision: args.decision, by, verified: true, note: args.note ?? null, waitingSince: answer.waitingSince ?? null }));
  else deps.stdout.write(`${args.decision === 'approved' ? 'Approved' : 'Rejected'} as ${by} (verified by the runbook's endpoint): ${execution}\n`);
}

/**
 * Approves or rejects through the runbook's endpoint, signed with the operator's credentials: the
 * endpoint finds the task token, checks the caller against the approvers and the requester, and
 * answers with its attestation. A refusal prints the endpoint's reason and exits 1.
 */
export async function decide(deps: Deps, args: DecideArgs): Promise<number> {
  if (args.decision === 'rejected' && !args.note) throw new UsageError('--reason: required to reject (it is recorded in the history and the report)');
  if (args.note !== undefined && args.note.length > 2000) throw new UsageError(`--${args.decision === 'approved' ? 'comment' : 'reason'}: expected at most 2000 characters, got ${args.note.length}`);
  if (args.local) return decideLocal(deps, args);
  const executionArn = requireExecutionArn(args.executionArn);
  const clients = clientsFor(deps, args, executionArn);
  const url = await endpointUrl(deps, args, clients, stateMachineNameOf(executionArn));
  const body = args.decision === 'approved' ? { executionArn, ...(args.note !== undefined ? { comment: args.note } : {}) } : { executionArn, reason: args.note };
  decided(deps, args, await askEndpoint(clients, url, args.decision === 'approved' ? '/approve' : '/reject', body));
  return EXIT.ok;
}

/**
 * --local: the rehearsal of --scenario runs until its approval request, which this command answers
 * as --as (a person of the simulated account) through the rehearsal's function URL, with the same
 * signed request; then the rehearsal runs to its end.
 */
async function decideLocal(deps: Deps, args: DecideArgs): Promise<number> {
  const as = args.as ?? 'approver';
  let answer: EndpointAnswer | undefined;
  const events = await rehearse(deps, args, undefined, {
    approvals: [{ by: as, decision: args.decision === 'approved' ? 'approve' : 'reject' }],
    note: args.note,
    answered: (a) => {
      answer = a;
    },
  });
  if (!answer) throw new CliError(`the rehearsal of ${args.scenario ?? DEFAULT_SCENARIO} never asked for an approval`, EXIT.notSucceeded, 'NotWaitingForApproval');
  if (answer.status !== 200) {
    const refusal = endpointError(answer);
    deps.stderr.write(`error: ${refusal.message}\n`);
    conclude(deps, events, args);
    return refusal.exitCode;
  }
  decided(deps, args, answer.body);
  return conclude(deps, events, args);
}

// ---- report ----

export interface ReportArgs extends CommonOptions {
  readonly executionArn?: string;
  readonly format: 'md' | 'json';
  readonly local: boolean;
  readonly scenario?: string;
}

async function reportEvents(deps: Deps, args: ReportArgs): Promise<{ events: RunEvent[]; executionArn?: string }> {
  if (args.local) return { events: await rehearse(deps, args) };
  const executionArn = requireExecutionArn(args.executionArn);
  const { sfn } = clientsFor(deps, args, executionArn);
  return { events: new HistoryReader().read(await readHistory(sfn, executionArn, retryPolicy(deps))), executionArn };
}

export async function report(deps: Deps, args: ReportArgs): Promise<number> {
  const { events, executionArn } = await reportEvents(deps, args);
  const record: AuditRecord = buildReport(events, { executionArn });
  if (record.status === 'RUNNING' && !args.json) deps.stderr.write('The execution is still running: this report is partial.\n');
  deps.stdout.write(args.json || args.format === 'json' ? json(record) : reportMarkdown(record));
  return EXIT.ok;
}
