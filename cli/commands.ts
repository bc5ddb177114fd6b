import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionInputProblems } from '../handlers/logic/plan-change';
import { pendingApproval, sendDecision } from './approval';
import {
  callAws,
  callerArn,
  CliError,
  consoleUrl,
  EXIT,
  isStateMachineArn,
  readHistory,
  readHistorySince,
  regionOf,
  requireExecutionArn,
  UsageError,
} from './aws';
import { type CommonOptions, type Deps, retryPolicy } from './deps';
import { HistoryReader, type RunEvent } from './events';
import { DEFAULT_SCENARIO, rehearseEvents } from './local';
import { reduceProgress } from './progress';
import { type AuditRecord, buildReport, reportMarkdown } from './report';
import { conclusion, progressView } from './view';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Clients for an execution: in the region its ARN names unless --region says otherwise. */
const clientsFor = (deps: Deps, args: CommonOptions, executionArn: string) => deps.clients({ ...args, region: args.region ?? regionOf(executionArn) });

// ---- start ----

export interface StartArgs extends CommonOptions {
  readonly changeId?: string;
  readonly requestedBy?: string;
  readonly targetImage?: string;
  readonly reason?: string;
  readonly dryRun: boolean;
  readonly stateMachineArn?: string;
  readonly follow: boolean;
  readonly intervalSeconds: number;
}

/** The execution input the state machine's validate-input step takes. */
export interface ExecutionInput {
  readonly changeId: string;
  readonly requestedBy: string;
  readonly reason?: string;
  readonly targetImage?: string;
  readonly dryRun?: true;
}

/** Change ids go into execution names, which take [A-Za-z0-9-_] (for CloudWatch Logs) and at most 80 characters. */
export function executionName(changeId: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${changeId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80 - stamp.length - 1)}-${stamp}`;
}

/** Checks the flags as validate-input will check the input, reporting every problem at once. */
export function startRequest(args: StartArgs, env: Deps['env']): { input: ExecutionInput; stateMachineArn: string } {
  const flags: Record<string, string> = { changeId: '--change-id', requestedBy: '--requested-by', reason: '--reason', targetImage: '--target-image', dryRun: '--dry-run' };
  const fields = { changeId: args.changeId, requestedBy: args.requestedBy, reason: args.reason, targetImage: args.targetImage };
  const problems = executionInputProblems(fields, (f) => flags[f] ?? f);
  const stateMachineArn = args.stateMachineArn ?? env.RUNBOOK_STATE_MACHINE_ARN;
  if (stateMachineArn === undefined || !isStateMachineArn(stateMachineArn)) {
    problems.push(`--state-machine-arn: expected the runbook state machine ARN, or RUNBOOK_STATE_MACHINE_ARN set, got ${stateMachineArn === undefined ? 'nothing' : JSON.stringify(stateMachineArn)}`);
  }
  if (problems.length > 0 || !args.changeId || !args.requestedBy || !stateMachineArn) {
    throw new UsageError(problems.length === 1 ? (problems[0] as string) : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
  }
  const input: ExecutionInput = {
    changeId: args.changeId,
    requestedBy: args.requestedBy,
    ...(args.reason !== undefined ? { reason: args.reason } : {}),
    ...(args.targetImage !== undefined ? { targetImage: args.targetImage } : {}),
    ...(args.dryRun ? { dryRun: true as const } : {}),
  };
  return { input, stateMachineArn };
}

export async function start(deps: Deps, args: StartArgs): Promise<number> {
  const { input, stateMachineArn } = startRequest(args, deps.env);
  const { sfn } = deps.clients(args);
  const name = executionName(input.changeId, deps.now());
  const started = await callAws(
    () => sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
    retryPolicy(deps),
    { stateMachineArn },
  );
  const executionArn = started.executionArn;
  if (!executionArn) throw new CliError('StartExecution returned no execution ARN', EXIT.aws, 'NoExecutionArn');
  const url = consoleUrl(executionArn);
  if (!args.follow) {
    if (args.json) deps.stdout.write(json({ executionArn, name, consoleUrl: url, input }));
    else deps.stdout.write(`Started ${name}\n  ${executionArn}\n  ${url}\n`);
    return EXIT.ok;
  }
  if (!args.json) deps.stdout.write(`Started ${name}\n  ${executionArn}\n  ${url}\n\n`);
  const events = await follow(deps, sfn, executionArn, args);
  return conclude(deps, events, { ...args, executionArn }, { name, consoleUrl: url, input });
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
function rehearse(deps: Deps, args: CommonOptions & { scenario?: string }, onChange?: (events: readonly RunEvent[]) => void): Promise<RunEvent[]> {
  const scenario = args.scenario ?? DEFAULT_SCENARIO;
  if (!args.json) deps.stderr.write(`Synthesizing the runbook and rehearsing scenario ${scenario} against a simulated deployment (virtual time)...\n`);
  return rehearseEvents(deps.assembly, scenario, onChange);
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

export interface DecideArgs extends CommonOptions {
  readonly executionArn?: string;
  readonly decision: 'approved' | 'rejected';
  /** --comment for an approval, --reason for a rejection. */
  readonly note?: string;
}

export async function decide(deps: Deps, args: DecideArgs): Promise<number> {
  const executionArn = requireExecutionArn(args.executionArn);
  if (args.decision === 'rejected' && !args.note) throw new UsageError('--reason: required to reject (it is recorded in the history and the report)');
  if (args.note !== undefined && args.note.length > 2000) throw new UsageError(`--${args.decision === 'approved' ? 'comment' : 'reason'}: expected at most 2000 characters, got ${args.note.length}`);
  const { sfn, sts } = clientsFor(deps, args, executionArn);
  const retry = retryPolicy(deps);
  const history = await readHistory(sfn, executionArn, retry);
  const pending = pendingApproval(history);
  if (!pending) {
    const progress = reduceProgress(new HistoryReader().read(history));
    const where = progress.status === 'RUNNING' ? `it is running${progress.currentState ? ` "${progress.currentState}"` : ''}` : `it ended ${progress.status}`;
    throw new CliError(`${executionArn} is not waiting for approval: ${where}`, EXIT.notSucceeded, 'NotWaitingForApproval');
  }
  const by = await callerArn(sts, retry);
  await sendDecision(sfn, pending.taskToken, { decision: args.decision, by, note: args.note }, retry);
  if (args.json) deps.stdout.write(json({ execution: executionArn, decision: args.decision, by, note: args.note ?? null, waitingSince: pending.scheduledAt }));
  else deps.stdout.write(`${args.decision === 'approved' ? 'Approved' : 'Rejected'} as ${by}: ${executionArn}\n`);
  return EXIT.ok;
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
