import type { VirtualClock } from '../clock';
import { AwsError } from './aws-error';

/** A history event as GetExecutionHistory answers it (API casing; timestamps in epoch seconds on the wire). */
export interface SimHistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly type: string;
  readonly timestamp: number;
  readonly [details: string]: unknown;
}

/** What an approval task received: SendTaskSuccess's output, or SendTaskFailure's error and cause. */
export type TaskAnswer = { readonly kind: 'success'; readonly output: string } | { readonly kind: 'failure'; readonly error: string; readonly cause: string };

/** The Step Functions API's limits on an answer (API reference, SendTaskSuccess and SendTaskFailure). */
const MAX_OUTPUT_BYTES = 262_144;
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/**
 * The runbook's own state machine as its callers see it: ListExecutions for the state machine's
 * single-flight check; and for the runbook's endpoint, StartExecution, GetExecutionHistory and
 * SendTaskSuccess/Failure on the approval's task token. The history holds what the endpoint reads
 * (the execution's start with its input, and the approval task: entered, scheduled with its
 * parameters, started, answered), not every state the interpreter runs.
 */
export class SimulatedStepFunctions {
  /** What StartExecution was asked to start, once. */
  started: { readonly name: string; readonly input: string; readonly executionArn: string } | undefined;
  private readonly events: SimHistoryEvent[] = [];
  private readonly open = new Map<string, { resource: string; resourceType: string }>();
  private readonly answers = new Map<string, TaskAnswer>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly stateMachineArn: string,
    private readonly self: () => string,
    private readonly others: readonly string[],
    /** The rehearsing execution is missing from ListExecutions (eventual consistency). */
    private readonly selfNotListed = false,
  ) {}

  listExecutions(p: Record<string, unknown>): unknown {
    if (p.StatusFilter !== 'RUNNING') throw new AwsError('Sfn.InvalidArnException', 'only RUNNING is simulated');
    if (p.StateMachineArn !== this.stateMachineArn) throw new AwsError('Sfn.StateMachineDoesNotExistException', `State Machine Does Not Exist: '${String(p.StateMachineArn)}'`);
    // Most recent first (API reference: "Results are sorted by time, with the most recent execution first").
    const listed = this.selfNotListed ? this.others : [this.self(), ...this.others];
    return { Executions: listed.map((Name) => ({ Name, Status: 'RUNNING', ExecutionArn: this.executionArn(Name) })) };
  }

  /** The rehearsing execution's ARN. */
  executionArn(name = this.self()): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  startExecution(p: Record<string, unknown>): unknown {
    if (p.stateMachineArn !== this.stateMachineArn) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(p.stateMachineArn)}'`);
    const name = String(p.name ?? '');
    if (!/^[\w-]{1,80}$/.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const input = typeof p.input === 'string' ? p.input : '{}';
    try {
      JSON.parse(input);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    if (this.started) throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${this.executionArn(this.started.name)}'`);
    this.started = { name, input, executionArn: this.executionArn(name) };
    return { executionArn: this.started.executionArn, startDate: this.clock.now / 1000 };
  }

  /** The execution began (however it was started): its first history event. */
  recordStart(input: string, roleArn: string): void {
    this.push('ExecutionStarted', { executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn } });
  }

  /** A `.waitForTaskToken` task of `state` began: the token is open until answered or timed out. */
  openTask(state: string, input: unknown, resourceType: string, resource: string, parameters: unknown, token: string, timeoutSeconds: number | null): void {
    this.push('TaskStateEntered', { stateEnteredEventDetails: { name: state, input: JSON.stringify(input) } });
    this.push('TaskScheduled', { taskScheduledEventDetails: { resourceType, resource, region: this.stateMachineArn.split(':')[3], parameters: JSON.stringify(parameters), ...(timeoutSeconds === null ? {} : { timeoutInSeconds: timeoutSeconds }) } });
    this.push('TaskStarted', { taskStartedEventDetails: { resourceType, resource } });
    this.open.set(token, { resourceType, resource });
  }

  /** The answer a token received, if any. */
  answerFor(token: string): TaskAnswer | undefined {
    return this.answers.get(token);
  }

  /** Nobody answered in time: the token closes. */
  timeOut(token: string): void {
    const task = this.open.get(token);
    if (!task) return;
    this.open.delete(token);
    this.push('TaskTimedOut', { taskTimedOutEventDetails: { ...task, error: 'States.Timeout' } });
  }

  getExecutionHistory(p: Record<string, unknown>): unknown {
    if (p.executionArn !== this.executionArn()) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(p.executionArn)}'`);
    const max = typeof p.maxResults === 'number' && p.maxResults > 0 ? Math.min(p.maxResults, 1000) : 100;
    const ordered = p.reverseOrder === true ? [...this.events].reverse() : this.events;
    const from = typeof p.nextToken === 'string' ? Number(p.nextToken) : 0;
    if (!Number.isInteger(from) || from < 0 || from > ordered.length) throw new AwsError('InvalidToken', 'Invalid Token: the nextToken is not one this history gave');
    const page = ordered.slice(from, from + max).map((e) => (p.includeExecutionData === false ? withoutData(e) : e));
    return { events: page, ...(from + max < ordered.length ? { nextToken: String(from + max) } : {}) };
  }

  sendTaskSuccess(p: Record<string, unknown>): unknown {
    const token = this.openToken(p.taskToken);
    const output = typeof p.output === 'string' ? p.output : '';
    if (Buffer.byteLength(output) > MAX_OUTPUT_BYTES) throw new AwsError('ValidationException', `output: Member must have length less than or equal to ${MAX_OUTPUT_BYTES}`);
    try {
      JSON.parse(output);
    } catch {
      throw new AwsError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    this.close(token, { kind: 'success', output }, 'TaskSucceeded', { taskSucceededEventDetails: { output, outputDetails: { truncated: false } } });
    return {};
  }

  sendTaskFailure(p: Record<string, unknown>): unknown {
    const token = this.openToken(p.taskToken);
    const error = typeof p.error === 'string' ? p.error : '';
    const cause = typeof p.cause === 'string' ? p.cause : '';
    if (error.length > MAX_ERROR || cause.length > MAX_CAUSE) throw new AwsError('ValidationException', `error: at most ${MAX_ERROR} characters; cause: at most ${MAX_CAUSE}`);
    this.close(token, { kind: 'failure', error, cause }, 'TaskFailed', { taskFailedEventDetails: { error, cause } });
    return {};
  }

  private openToken(value: unknown): string {
    const token = typeof value === 'string' ? value : '';
    if (token === '') throw new AwsError('InvalidToken', 'Invalid Token: the task token is empty');
    if (!this.open.has(token)) throw new AwsError('TaskDoesNotExist', 'Task Does Not Exist: the task was answered, timed out, or never existed');
    return token;
  }

  private close(token: string, answer: TaskAnswer, type: string, details: Record<string, unknown>): void {
    const task = this.open.get(token);
    this.open.delete(token);
    this.answers.set(token, answer);
    const [key, value] = Object.entries(details)[0] as [string, Record<string, unknown>];
    this.push(type, { [key]: { ...task, ...value } });
  }

  private push(type: string, details: Record<string, unknown>): void {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, type, timestamp: this.clock.now / 1000, ...details });
  }
}

/** GetExecutionHistory without includeExecutionData leaves out inputs, outputs and parameters. */
function withoutData(event: SimHistoryEvent): SimHistoryEvent {
  return JSON.parse(JSON.stringify(event, (key, value: unknown) => (['input', 'output', 'parameters'].includes(key) ? undefined : value))) as SimHistoryEvent;
}
