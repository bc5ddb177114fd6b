import { GUIDE_STEPS, stepStartedBy } from '../workflows/steps';
import { CONTAINER_TYPES, type ExecutionStatus, type RunEvent } from './events';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepProgress {
  readonly id: string;
  readonly title: string;
  readonly onFailureOnly: boolean;
  readonly status: StepStatus;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Until the end, or until `now` while the step runs. */
  readonly elapsedSeconds?: number;
  /** The error the step failed with. */
  readonly error?: string;
  /** How often a state of the step was run again by its Retry. */
  readonly retries: number;
}

export interface Progress {
  readonly status: ExecutionStatus;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly input?: unknown;
  /** The execution's output (SUCCEEDED) */
  readonly output?: unknown;
  /** The execution's error and cause (FAILED, ABORTED, TIMED_OUT). */
  readonly error?: string;
  readonly cause?: string;
  /** The innermost state entered and not yet left, while the execution runs. */
  readonly currentState?: string;
  /** Every guide step, in the guide's order. */
  readonly steps: readonly StepProgress[];
}

type MutableStep = { -readonly [K in keyof StepProgress]: StepProgress[K] };

/**
 * Per guide step: pending until the state that starts it is entered, running until another step
 * starts, then succeeded unless a state in it failed. A step the run went past without starting is
 * skipped (the snapshot and the upgrade when the schema is already up to date). A failure inside a
 * Parallel is the step's that was running; a Catch that moves on within a step (a wait's "not yet")
 * is no failure, one that leaves the step (a rejected approval) is, and the Fail state that ends a
 * rolled-back run is not.
 */
export function reduceProgress(events: readonly RunEvent[], now?: string): Progress {
  const steps: MutableStep[] = GUIDE_STEPS.map((s) => ({ id: s.id, title: s.title, onFailureOnly: s.onFailureOnly === true, status: 'pending', retries: 0 }));
  const stepOfState = new Map<string, number>();
  const openStates: string[] = [];
  let current = -1;
  /** The error a Task's Catch just handled: the step failed if the catch leads out of it. */
  let caught: { index: number; at: string; error: string | undefined } | undefined;
  /** Where each error was last caught: a run may end with it after its Catch recorded more (a rejection's check). */
  const caughtIn = new Map<string, number>();
  let status: ExecutionStatus = 'RUNNING';
  const run: { -readonly [K in keyof Progress]?: Progress[K] } = {};

  const fail = (index: number | undefined, at: string, error: string | undefined) => {
    const step = index === undefined ? undefined : steps[index];
    if (!step || step.status === 'failed') return;
    step.status = 'failed';
    step.error = error;
    if (index === current) step.endedAt = at;
  };
  const endCurrent = (at: string) => {
    const step = steps[current];
    if (step?.status === 'running') step.status = 'succeeded';
    if (step && step.endedAt === undefined) step.endedAt = at;
  };
  const leave = (state: string) => {
    const i = openStates.lastIndexOf(state);
    if (i >= 0) openStates.splice(i, 1);
  };
  const skipPendingBefore = (index: number) => {
    steps.forEach((s, i) => {
      if (i < index && s.status === 'pending' && !s.onFailureOnly) s.status = 'skipped';
    });
  };

  for (const event of events) {
    switch (event.kind) {
      case 'execution-started':
        run.startedAt = event.at;
        run.input = event.input;
        break;
      case 'entered': {
        openStates.push(event.state);
        const started = stepStartedBy(event.state);
        const index = started ? GUIDE_STEPS.indexOf(started) : -1;
        if (caught && index >= 0 && index !== caught.index) fail(caught.index, caught.at, caught.error);
        caught = undefined;
        if (index >= 0 && index !== current) {
          endCurrent(event.at);
          current = index;
          const step = steps[index] as MutableStep;
          step.startedAt ??= event.at;
          step.endedAt = undefined;
          if (step.status !== 'failed') step.status = 'running';
          skipPendingBefore(index);
        }
        stepOfState.set(event.state, current);
        break;
      }
      case 'exited':
      case 'caught':
        leave(event.state);
        if (event.kind === 'caught' && CONTAINER_TYPES.has(event.stateType)) fail(current, event.at, event.error);
        else if (event.kind === 'caught') {
          caught = { index: stepOfState.get(event.state) ?? current, at: event.at, error: event.error };
          if (event.error) caughtIn.set(event.error, caught.index);
        }
        break;
      case 'retried': {
        const step = steps[stepOfState.get(event.state) ?? -1];
        if (step) step.retries++;
        break;
      }
      case 'failed':
        leave(event.state);
        if (CONTAINER_TYPES.has(event.stateType)) fail(current, event.at, event.error);
        else if (event.stateType !== 'Fail') fail(stepOfState.get(event.state), event.at, event.error);
        break;
      case 'execution-succeeded':
        status = 'SUCCEEDED';
        run.output = event.output;
        run.endedAt = event.at;
        endCurrent(event.at);
        break;
      case 'execution-failed':
        status = event.status;
        run.error = event.error;
        run.cause = event.cause;
        run.endedAt = event.at;
        // Stopped from outside, or failed with no step to blame: the step that caught the error the
        // run ends with failed (a rejection, recorded before the report), else the one running.
        if (status !== 'FAILED' || !steps.some((s) => s.status === 'failed')) {
          fail(status === 'FAILED' ? (caughtIn.get(event.error ?? '') ?? current) : current, event.at, event.error ?? status);
        }
        endCurrent(event.at);
        break;
    }
  }
  if (status !== 'RUNNING') skipPendingBefore(steps.length);
  const until = now ?? run.endedAt ?? events[events.length - 1]?.at;
  for (const step of steps) {
    if (step.startedAt === undefined) continue;
    const end = step.endedAt ?? until;
    if (end !== undefined) step.elapsedSeconds = Math.max(0, (Date.parse(end) - Date.parse(step.startedAt)) / 1000);
  }
  return { ...run, status, currentState: status === 'RUNNING' ? openStates[openStates.length - 1] : undefined, steps };
}

/** The steps an operator sees: failure-only steps once they ran. */
export function visibleSteps(progress: Progress): StepProgress[] {
  return progress.steps.filter((s) => !s.onFailureOnly || s.status !== 'pending');
}

/** `1h 02m`, `4m 05s`, `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

const MARKS: Readonly<Record<StepStatus, string>> = { pending: '·', running: '▶', succeeded: '✓', failed: '✗', skipped: '–' };

/** One line per visible step: mark, title, status, elapsed time, and the error of a failed step. */
export function progressLines(progress: Progress): string[] {
  const width = Math.max(...GUIDE_STEPS.map((s) => s.title.length));
  return visibleSteps(progress).map((s) => {
    const elapsed = s.elapsedSeconds === undefined ? '' : formatDuration(s.elapsedSeconds);
    const notes = [s.retries > 0 ? `${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}` : '', s.error ?? ''].filter(Boolean).join(', ');
    return `${MARKS[s.status]} ${s.title.padEnd(width)}  ${s.status.padEnd(9)}  ${elapsed.padStart(7)}${notes ? `  ${notes}` : ''}`.trimEnd();
  });
}
