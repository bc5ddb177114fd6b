import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { Json, RunbookAssembly } from './assembly';
import { allStates, assemblyWith } from './assembly';
import { VirtualClock } from './clock';
import { callEndpoint, type EndpointAnswer } from '../cli/endpoint';
import { APPROVAL_STATE } from '../handlers/logic/pending-approval';
import { DATABASE_STATE_NAMES } from '../workflows/database/names';
import { stepStartedBy } from '../workflows/steps';
import { authorizationFor } from './authorization';
import { type CallRecord, type InjectedFault, lambdaEnvironment, taskHandlers } from './dispatch';
import { endpointFunctionOf, endpointTarget, functionUrlServer, hmacKeysOf } from './endpoint';
import { ACCOUNT, FIXTURES, REGION } from './fixtures';
import type { Scenario } from './scenarios';
import { ApiEndpoint } from './sim/api-endpoint';
import { type ApprovalAttempt, type AttemptRecord, tryApprovals } from './sim/approvers';
import { SimulatedDeployment, type World } from './sim/deployment';
import { PEOPLE, personPrincipal } from './sim/people';

export interface StateRecord {
  readonly name: string;
  readonly type: string;
  readonly enteredAt: number;
  exitedAt?: number;
  outcome: 'running' | 'succeeded' | 'failed' | 'caught' | 'retried';
  error?: string;
}

export interface StateEvent {
  readonly kind: 'entered' | 'exited' | 'failed' | 'retried' | 'caught';
  readonly record: StateRecord;
  readonly elapsedSeconds: number;
}

export interface RehearsalResult {
  readonly scenario: string;
  /** The execution's name and input: as typed in the console, or as the runbook's endpoint started it. */
  readonly executionName: string;
  readonly input: Json;
  /** Everyone who tried to answer the approval, and what they were answered. */
  readonly approvalAttempts: readonly AttemptRecord[];
  /** TIMED_OUT: the execution outlived the definition's TimeoutSeconds, which no Catch can handle. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  readonly output: Json | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly states: StateRecord[];
  readonly calls: CallRecord[];
  readonly deployment: SimulatedDeployment;
  readonly metrics: RehearsalMetrics;
}

export interface RehearsalMetrics {
  /** Virtual seconds from start to end of the execution. */
  readonly totalSeconds: number;
  /** Virtual seconds during which at least one AWS operation (or goose) was in progress. */
  readonly awsOperationSeconds: number;
  /** Virtual seconds spent waiting for a person (the approval gate): neither AWS's nor the runbook's. */
  readonly approvalWaitSeconds: number;
  /**
   * Seconds in which the metadata service did not answer: no task running, or its database's
   * endpoint not answering (a rename, a reboot). Clients give up after ~31 s.
   */
  readonly downtimeSeconds: number;
  readonly longestOutageSeconds: number;
  /** Of those, the seconds in which the database endpoint did not answer. */
  readonly databaseUnreachableSeconds: number;
  /** Seconds the service ran on fewer tasks than it had (reduced capacity), but not none. */
  readonly reducedCapacitySeconds: number;
  /**
   * Writes at risk: from the snapshot's start to the upgrade request (what a restore would lose),
   * or, when the database was restored, to the moment the original stopped taking writes (lost).
   * Null when no snapshot was taken.
   */
  readonly writesAtRiskSeconds: number | null;
  /** From the failure (the rollback's start) to the service answering again; null when nothing rolled back. */
  readonly recoverySeconds: number | null;
  /** Billed state transitions: every state entered, plus every retry. */
  readonly stateTransitions: number;
  readonly steps: { step: string; startSeconds: number; durationSeconds: number }[];
  readonly realMilliseconds: number;
}

export interface RehearsalOptions {
  readonly assembly: RunbookAssembly;
  readonly scenario: Scenario;
  readonly fault?: InjectedFault;
  /** Keep every Task call's input and answer in `calls` (the fault matrix replays and derives from them). */
  readonly recordCalls?: boolean;
  readonly onEvent?: (event: StateEvent) => void;
  /** Off only to run a deliberately broken definition (a mutation test). */
  readonly validateDefinition?: boolean;
  /** Called once the execution has started, with its name and input. */
  readonly onStart?: (execution: { readonly name: string; readonly input: Json }) => void;
}

/** The runbook's endpoint refused to start the scenario's execution: nothing ran. */
export class RehearsalNotStarted extends Error {
  constructor(readonly answer: EndpointAnswer) {
    super(`the runbook's endpoint refused to start the execution (HTTP ${answer.status}): ${String(answer.body.message ?? answer.body.Message ?? '')}`);
    this.name = 'RehearsalNotStarted';
  }
}

/** Who answers the approval, in turn: the scenario's attempts, or its short form. */
export function approvalAttemptsOf(world: World): readonly ApprovalAttempt[] {
  if (world.approvals) return world.approvals;
  if (world.approval === 'timeout') return [];
  return [{ by: 'approver', decision: world.approval === 'reject' ? 'reject' : 'approve' }];
}

/**
 * Step Functions' hard limits for a Standard execution, enforced on the virtual clock (the
 * interpreter knows only real time): past its TimeoutSeconds an execution ends TIMED_OUT, and past
 * 25,000 history events it fails; neither can be caught, so neither may ever happen to the runbook.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html ("Maximum execution
 * history size: 25,000 events ... If the execution history reaches this quota, the execution fails").
 */
export const HISTORY_EVENT_QUOTA = 25_000;
/** A Standard execution's longest run (the same quotas page): "1 year". */
const ONE_YEAR_SECONDS = 365 * 24 * 3600;
/** The rehearsal's name for the quota failure (AWS reports it as an execution failure of its own). */
export const HISTORY_QUOTA_ERROR = 'ExecutionHistoryQuotaExceeded';

/** History events a state adds when it is entered and left: a Task also schedules, starts and ends its work. */
function historyEventsOf(type: string): number {
  return type === 'Task' ? 5 : 2;
}

/**
 * Runs the synthesized state machine with a real ASL interpreter against a simulated deployment.
 * Wait states pass instantly in real time and charge the virtual clock their full duration.
 */
export async function rehearse(opts: RehearsalOptions): Promise<RehearsalResult> {
  const realStart = Date.now();
  const clock = new VirtualClock();
  const { scenario } = opts;
  const assembly = assemblyWith(opts.assembly, scenario.settings);
  const deployment = new SimulatedDeployment(clock, FIXTURES[assembly.fixture], assembly.config, scenario.world, hmacKeysOf(assembly));
  refuseWhatTheInterpreterGetsWrong(assembly.definition);
  const api = await ApiEndpoint.get();
  api.target = deployment;
  const authorization = authorizationFor(assembly);
  authorization.deployment = deployment;
  api.authorizer = authorization.authorizer;
  const url = await functionUrlServer();
  url.target = endpointTarget(assembly, api, authorization);
  lambdaEnvironment(api, REGION);
  const calls: CallRecord[] = [];
  const states = allStates(assembly.definition);
  const realNow = Date.now;
  const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${assembly.config.stackName}`;
  const approvalAttempts: AttemptRecord[] = [];
  try {
    await deployment.boot();
    // Event timestamps, and the endpoint's attestations, are taken from Date.now: on the virtual clock.
    Date.now = () => clock.now;
    // Named after the scenario and the virtual start: a rehearsal is the same every time, down to
    // the attestations the endpoint MACs over the execution's ARN.
    const consoleName = `${scenario.name.slice(0, 60)}-${clock.iso().replace(/[-:]|\.\d{3}/g, '')}`;
    const { name: executionName, input } = await start(scenario, url.url, deployment, consoleName);
    deployment.executionName = executionName;
    deployment.sfn.recordStart(JSON.stringify(input), authorization.principals.stateMachine.roleArn);
    opts.onStart?.({ name: executionName, input });
    const endpointFunction = endpointFunctionOf(assembly).arn;
    deployment.sns.approvers = async (token) => {
      const attempts = approvalAttemptsOf(scenario.world);
      approvalAttempts.push(
        ...(await tryApprovals(attempts, token, {
          url: url.url,
          region: REGION,
          executionArn: deployment.sfn.executionArn(),
          clock,
          sfn: deployment.sfn,
          authorizer: authorization.authorizer,
          principalOf: (person) => personPrincipal(person, endpointFunction, stateMachineArn),
        })),
      );
    };
    const startedAt = clock.now;
    const validationOptions = opts.validateDefinition === false ? { noValidate: true } : { checkArn: false };
    const machine = new StateMachine(assembly.definition as never, { validationOptions });
    const waitTimeOverrides = new Proxy({} as Record<string, number>, {
      get: (_target, name) => {
        const state = typeof name === 'string' ? states.get(name) : undefined;
        if (state?.Type !== 'Wait') return undefined;
        clock.advance(Number(state.Seconds ?? 0));
        return 0;
      },
    });
    const retryIntervalOverrides = Object.fromEntries([...states].filter(([, s]) => s.Retry).map(([n]) => [n, 0]));
    const timeoutSeconds = typeof assembly.definition.TimeoutSeconds === 'number' ? assembly.definition.TimeoutSeconds : undefined;
    /**
     * A Task that will never be answered and has no TimeoutSeconds: AWS ends the execution only at
     * its own TimeoutSeconds, or at a Standard execution's one-year limit (aws-behaviour.md).
     */
    const stuck = (state: string) => {
      const deadline = startedAt + 1000 * (timeoutSeconds ?? ONE_YEAR_SECONDS);
      clock.advance(Math.max(0, (deadline - clock.now) / 1000) + 1);
      stop('TIMED_OUT', 'States.Timeout', `The execution ran longer than its TimeoutSeconds (${timeoutSeconds ?? ONE_YEAR_SECONDS} s), stuck in "${state}"`);
    };
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskHandlers({ assembly, deployment, clock, apiEndpoint: api, fault: opts.fault, calls, recordCalls: opts.recordCalls, stuck: (state) => stuck(state) }) as never,
        waitTimeOverrides,
        retryIntervalOverrides,
      },
      context: {
        StateMachine: { Id: stateMachineArn, Name: assembly.config.stackName },
        Execution: { Id: deployment.sfn.executionArn(), Name: executionName },
        // The approval's task token: the simulated Step Functions takes answers for it.
        Task: { Token: `rehearsal-task-token-${executionName}` },
        State: {
          get EnteredTime() {
            return clock.iso();
          },
        },
      },
    });
    const records: StateRecord[] = [];
    const open = new Map<string, StateRecord>();
    let transitions = 0;
    let historyEvents = 2;
    let error: string | null = null;
    let cause: string | null = null;
    let status: RehearsalResult['status'] = 'SUCCEEDED';
    /** Ends the execution as AWS would, once: the interpreter stops at its next step. */
    let stopped = false;
    const stop = (how: 'TIMED_OUT' | 'FAILED', why: string, what: string) => {
      if (stopped) return;
      stopped = true;
      status = how;
      error = why;
      cause = what;
      execution.abort();
    };
    const consume = (async () => {
      for await (const event of execution.eventLogs) {
        const at = event.timestamp;
        const elapsedSeconds = (at - startedAt) / 1000;
        if (timeoutSeconds !== undefined && elapsedSeconds > timeoutSeconds) {
          stop('TIMED_OUT', 'States.Timeout', `The execution ran longer than its TimeoutSeconds (${timeoutSeconds} s)`);
        }
        if (historyEvents > HISTORY_EVENT_QUOTA) {
          stop('FAILED', HISTORY_QUOTA_ERROR, `The execution history passed ${HISTORY_EVENT_QUOTA} events`);
        }
        if (event.type === 'StateEntered') {
          transitions++;
          historyEvents += historyEventsOf(event.state.type);
          const record: StateRecord = { name: event.state.name, type: event.state.type, enteredAt: at, outcome: 'running' };
          records.push(record);
          open.set(record.name, record);
          opts.onEvent?.({ kind: 'entered', record, elapsedSeconds });
        } else if (event.type === 'StateExited' || event.type === 'StateFailed' || event.type === 'StateCaught' || event.type === 'StateRetried') {
          const record = open.get(event.state.name);
          if (!record) continue;
          if (event.type === 'StateRetried') {
            transitions++;
            historyEvents += 3;
            record.outcome = 'retried';
            record.exitedAt = undefined;
            opts.onEvent?.({ kind: 'retried', record, elapsedSeconds });
            continue;
          }
          if (event.type === 'StateFailed') {
            // Kept open: a retry runs it again; otherwise this is when it ended.
            record.error = event.Error;
            record.outcome = 'failed';
            record.exitedAt = at;
            continue;
          }
          record.exitedAt = at;
          record.outcome = event.type === 'StateCaught' ? 'caught' : 'succeeded';
          open.delete(record.name);
          opts.onEvent?.({ kind: event.type === 'StateCaught' ? 'caught' : 'exited', record, elapsedSeconds });
        } else if (event.type === 'ExecutionFailed' && !stopped) {
          error = event.Error;
          cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
        }
      }
    })();
    let output: Json | null = null;
    try {
      output = (await execution.result) as Json;
    } catch (err) {
      if (err instanceof ExecutionAbortedError && stopped) {
        // Stopped by the limits above: the status and error are already set.
      } else if (err instanceof ExecutionError) {
        status = 'FAILED';
      } else throw err;
    }
    await consume;
    for (const record of open.values()) {
      record.exitedAt ??= clock.now;
      if (record.outcome === 'running') record.outcome = 'failed';
      opts.onEvent?.({ kind: 'failed', record, elapsedSeconds: (clock.now - startedAt) / 1000 });
    }
    Date.now = realNow;
    return {
      scenario: scenario.name,
      executionName,
      input,
      approvalAttempts,
      status,
      output,
      error,
      cause,
      states: records,
      calls,
      deployment,
      metrics: measure(records, deployment, startedAt, clock.now, transitions, Date.now() - realStart),
    };
  } finally {
    Date.now = realNow;
    api.target = undefined;
    api.caller = undefined;
    url.target = undefined;
    await deployment.shutdown();
  }
}

/**
 * The execution's name and input. Started by a person through the runbook's endpoint (the
 * scenario's `startedBy`): the endpoint names it and writes the input, with the requester it
 * verified; otherwise as typed in the console, input and all.
 */
async function start(scenario: Scenario, url: string, deployment: SimulatedDeployment, consoleName: string): Promise<{ name: string; input: Json }> {
  const by = scenario.world.startedBy;
  if (!by) return { name: consoleName, input: scenario.input as Json };
  const { requestedBy: _typed, ...body } = scenario.input;
  const person = PEOPLE[by];
  const answer = await callEndpoint({
    url,
    path: '/start',
    body,
    credentials: { accessKeyId: person.accessKeyId, secretAccessKey: person.secretAccessKey, sessionToken: person.sessionToken },
    region: REGION,
    now: () => new Date(Date.now()),
  });
  const started = deployment.sfn.started;
  if (answer.status !== 200 || !started) throw new RehearsalNotStarted(answer);
  return { name: started.name, input: JSON.parse(started.input) as Json };
}

function measure(
  records: StateRecord[],
  deployment: SimulatedDeployment,
  start: number,
  end: number,
  transitions: number,
  realMilliseconds: number,
): RehearsalMetrics {
  const clip = (a: number, b: number) => [Math.max(a, start), Math.min(b, end)] as const;
  // Union of the AWS operations' intervals.
  const intervals = deployment.operations.map((o) => clip(o.start, o.end)).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let busy = 0;
  let cursor = start;
  for (const [a, b] of intervals) {
    if (b <= cursor) continue;
    busy += b - Math.max(a, cursor);
    cursor = b;
  }
  // The service is down where no task runs or its database does not answer; both timelines are
  // step functions of time, merged here.
  const tasks = deployment.ecs.runningTimeline;
  const db = deployment.rds.reachability;
  const at = (t: number) => ({
    running: [...tasks].reverse().find((p) => p.at <= t)?.running ?? 0,
    reachable: [...db].reverse().find((p) => p.at <= t)?.reachable ?? true,
  });
  const edges = [...new Set([start, ...tasks.map((p) => p.at), ...db.map((p) => p.at)].filter((t) => t >= start && t < end))].sort((a, b) => a - b);
  let downtime = 0;
  let longest = 0;
  let outage = 0;
  let unreachable = 0;
  let reduced = 0;
  edges.forEach((t, i) => {
    const length = (edges[i + 1] ?? end) - t;
    const { running, reachable } = at(t);
    if (!reachable) unreachable += length;
    if (running > 0 && running < deployment.originalDesiredCount) reduced += length;
    if (running === 0 || !reachable) {
      downtime += length;
      outage += length;
      longest = Math.max(longest, outage);
    } else outage = 0;
  });
  const entered = (name: string) => records.find((r) => r.name === name)?.enteredAt;
  const names = DATABASE_STATE_NAMES[deployment.originalCluster ? 'cluster' : 'instance'];
  const snapshotAt = entered(names.snapshot);
  const restored = deployment.database().restored;
  const writesEnd = restored ? entered(names.swap) : entered('Upgrade the database schema');
  const rollbackAt = entered('Roll back');
  const answeredAt = records.find((r) => r.name === 'Check the service answers after the rollback' && r.outcome === 'succeeded')?.exitedAt;
  return {
    totalSeconds: (end - start) / 1000,
    awsOperationSeconds: busy / 1000,
    approvalWaitSeconds:
      records.filter((r) => r.name === APPROVAL_STATE).reduce((sum, r) => sum + ((r.exitedAt ?? end) - r.enteredAt), 0) / 1000,
    downtimeSeconds: downtime / 1000,
    longestOutageSeconds: longest / 1000,
    databaseUnreachableSeconds: unreachable / 1000,
    reducedCapacitySeconds: reduced / 1000,
    writesAtRiskSeconds: snapshotAt !== undefined && writesEnd !== undefined ? (writesEnd - snapshotAt) / 1000 : null,
    recoverySeconds: rollbackAt !== undefined && answeredAt !== undefined ? (answeredAt - rollbackAt) / 1000 : null,
    stateTransitions: transitions,
    steps: groupSteps(records, start, end),
    realMilliseconds,
  };
}

function groupSteps(records: StateRecord[], start: number, end: number): RehearsalMetrics['steps'] {
  const steps: { step: string; startSeconds: number; durationSeconds: number }[] = [];
  let current: { step: string; at: number } | undefined;
  const close = (at: number) => {
    if (current) steps.push({ step: current.step, startSeconds: (current.at - start) / 1000, durationSeconds: (at - current.at) / 1000 });
  };
  for (const r of records) {
    const step = stepStartedBy(r.name)?.title;
    if (step && step !== current?.step) {
      close(r.enteredAt);
      current = { step, at: r.enteredAt };
    }
  }
  close(end);
  return steps;
}

/**
 * Definitions the interpreter would run differently from AWS are refused, not rehearsed:
 * aws-local-stepfunctions 3.0.0 never matches a type test whose value is false (`IsPresent: false`
 * is always false there, and true in AWS when the field is absent). Write `Not(IsPresent)`.
 */
export function refuseWhatTheInterpreterGetsWrong(definition: Record<string, Json>): void {
  const tests = ['IsPresent', 'IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];
  const found: string[] = [];
  const walk = (rule: Record<string, Json>, state: string) => {
    for (const key of ['And', 'Or']) for (const r of (rule[key] as Record<string, Json>[] | undefined) ?? []) walk(r, state);
    if (rule.Not) walk(rule.Not as Record<string, Json>, state);
    for (const t of tests) if (rule[t] === false) found.push(`"${state}": ${t}: false on ${String(rule.Variable)}`);
  };
  for (const [name, state] of allStates(definition)) {
    for (const rule of (state.Choices ?? []) as Record<string, Json>[]) walk(rule, name);
  }
  if (found.length > 0) throw new Error(`the local interpreter evaluates these Choice rules wrong (write Not(...) instead): ${found.join('; ')}`);
}
