import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { RehearsalResult, StateEvent } from '../rehearsal/run';

/** How an execution ended, in Step Functions' words; RUNNING until it has. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/**
 * One thing that happened in an execution, whether it ran in AWS (read from its history) or in the
 * local rehearsal. The progress view and the report read only these.
 */
export type RunEvent =
  | { readonly kind: 'execution-started'; readonly at: string; readonly input: unknown }
  | { readonly kind: 'entered'; readonly at: string; readonly state: string; readonly stateType: string }
  /** `result` is what the task itself answered (before ResultPath), when known. */
  | { readonly kind: 'exited'; readonly at: string; readonly state: string; readonly stateType: string; readonly result?: unknown }
  /** retried: the state's Retry runs it again; caught: its Catch moves on; failed: the error left it. */
  | {
      readonly kind: 'retried' | 'caught' | 'failed';
      readonly at: string;
      readonly state: string;
      readonly stateType: string;
      readonly error?: string;
      readonly cause?: string;
    }
  | { readonly kind: 'execution-succeeded'; readonly at: string; readonly output: unknown }
  | {
      readonly kind: 'execution-failed';
      readonly at: string;
      readonly status: Exclude<ExecutionStatus, 'RUNNING' | 'SUCCEEDED'>;
      readonly error?: string;
      readonly cause?: string;
    };

/** Parent states: their failure is one of a state inside them. */
export const CONTAINER_TYPES: ReadonlySet<string> = new Set(['Parallel', 'Map']);

/** JSON text as a value; text that is not JSON stays text. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface Failure {
  readonly at: string;
  readonly error?: string;
  readonly cause?: string;
}

interface OpenState {
  readonly name: string;
  readonly type: string;
  failure?: Failure;
  result?: unknown;
}

const ENTERED = /^(\w+)StateEntered$/;
const EXITED = /^(\w+)StateExited$/;
const TASK_FAILURES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
  'EvaluationFailed',
]);
const TASK_SUCCESSES = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded']);
const EXECUTION_ENDS: Readonly<Record<string, Exclude<ExecutionStatus, 'RUNNING' | 'SUCCEEDED'>>> = {
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/** The `...EventDetails` object of a history event, whichever kind it is. */
function detailsOf(event: HistoryEvent): { error?: string; cause?: string; output?: string; input?: string; name?: string } {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') return value as Record<string, string>;
  }
  return {};
}

/**
 * Reads `GetExecutionHistory` events (oldest first, page after page, poll after poll) into
 * RunEvents. Step Functions records no "caught" or "retried": a failure followed by the next
 * TaskScheduled of the same state is a retry, by another state's entry a catch, by its parent's
 * failure or the execution's a failure.
 */
export class HistoryReader {
  private readonly open: OpenState[] = [];

  read(events: readonly HistoryEvent[]): RunEvent[] {
    const out: RunEvent[] = [];
    for (const event of events) this.readOne(event, out);
    return out;
  }

  private readOne(event: HistoryEvent, out: RunEvent[]): void {
    const at = (event.timestamp ?? new Date(0)).toISOString();
    const type = event.type ?? '';
    const details = detailsOf(event);
    const innermost = this.open[this.open.length - 1];
    const entered = ENTERED.exec(type);
    if (entered) {
      if (innermost?.failure) this.caught(out, innermost.failure);
      const stateType = entered[1] as string;
      const state = details.name ?? '';
      this.open.push({ name: state, type: stateType });
      out.push({ kind: 'entered', at, state, stateType });
      return;
    }
    if (EXITED.test(type)) {
      // States left open above it (events this reader did not follow) are dropped with it.
      const index = this.open.map((s) => s.name).lastIndexOf(details.name ?? '');
      const state = this.open[index];
      if (!state) return;
      this.open.length = index + 1;
      if (state.failure) {
        this.caught(out, state.failure);
        return;
      }
      this.open.pop();
      out.push({ kind: 'exited', at, state: state.name, stateType: state.type, ...(state.result !== undefined ? { result: state.result } : {}) });
      return;
    }
    if (TASK_FAILURES.has(type)) {
      if (innermost) innermost.failure = { at, error: details.error, cause: details.cause };
      return;
    }
    if (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled' || type === 'ActivityScheduled') {
      if (innermost?.failure) {
        const { error, cause } = innermost.failure;
        out.push({ kind: 'retried', at, state: innermost.name, stateType: innermost.type, error, cause });
        innermost.failure = undefined;
      }
      return;
    }
    if (TASK_SUCCESSES.has(type)) {
      if (innermost) innermost.result = parseJson(details.output);
      return;
    }
    if (type === 'ParallelStateFailed' || type === 'MapStateFailed') {
      this.failInside(out, at);
      return;
    }
    if (type === 'ExecutionStarted') {
      out.push({ kind: 'execution-started', at, input: parseJson(details.input) });
      return;
    }
    if (type === 'ExecutionSucceeded') {
      out.push({ kind: 'execution-succeeded', at, output: parseJson(details.output) });
      return;
    }
    const status = EXECUTION_ENDS[type];
    if (status) {
      // A failure nothing caught: it ended the execution.
      while (this.open.length > 0) {
        const state = this.open.pop() as OpenState;
        if (state.failure) out.push({ kind: 'failed', state: state.name, stateType: state.type, ...state.failure });
      }
      out.push({ kind: 'execution-failed', at, status, error: details.error, cause: details.cause });
    }
  }

  /** A parent failed: every state still open inside it failed with it, and it has their error. */
  private failInside(out: RunEvent[], at: string): void {
    let inner: Failure | undefined;
    while (this.open.length > 0) {
      const state = this.open[this.open.length - 1] as OpenState;
      if (CONTAINER_TYPES.has(state.type)) {
        state.failure = { ...inner, at };
        return;
      }
      this.open.pop();
      inner ??= state.failure;
      out.push({ kind: 'failed', state: state.name, stateType: state.type, at, ...state.failure });
    }
  }

  /** The innermost state failed and its Catch moved on. */
  private caught(out: RunEvent[], failure: Failure): void {
    const state = this.open.pop() as OpenState;
    out.push({ kind: 'caught', state: state.name, stateType: state.type, ...failure });
  }
}

/**
 * Reads the local rehearsal's state events into RunEvents. Times are the rehearsal's virtual clock,
 * so a rehearsed run reads like one in AWS.
 */
export class RehearsalReader {
  private startedAtMs: number | undefined;
  private input: unknown;

  /** The execution's input, once it started (typed in the console, or written by the runbook's endpoint). */
  started(input: unknown): void {
    this.input = input;
  }

  read(event: StateEvent): RunEvent[] {
    const { record, kind } = event;
    const out: RunEvent[] = [];
    if (this.startedAtMs === undefined) {
      // The first event is the first state's entry: its elapsed time places the start.
      this.startedAtMs = record.enteredAt - event.elapsedSeconds * 1000;
      out.push({ kind: 'execution-started', at: this.iso(0), input: this.input });
    }
    const base = { state: record.name, stateType: record.type };
    if (kind === 'entered') out.push({ kind, at: new Date(record.enteredAt).toISOString(), ...base });
    else if (kind === 'exited') out.push({ kind, at: this.iso(event.elapsedSeconds), ...base });
    else out.push({ kind, at: this.iso(event.elapsedSeconds), ...base, ...(record.error ? { error: record.error } : {}) });
    return out;
  }

  /** The execution's end, from the rehearsal's result. */
  finish(result: RehearsalResult): RunEvent[] {
    const at = this.iso(result.metrics.totalSeconds);
    if (result.status === 'SUCCEEDED') return [{ kind: 'execution-succeeded', at, output: result.output }];
    return [{ kind: 'execution-failed', at, status: result.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED', error: result.error ?? undefined, cause: result.cause ?? undefined }];
  }

  private iso(elapsedSeconds: number): string {
    return new Date((this.startedAtMs ?? 0) + Math.round(elapsedSeconds * 1000)).toISOString();
  }
}
