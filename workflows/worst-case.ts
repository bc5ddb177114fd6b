/**
 * The longest an execution of a definition can legitimately take, read from the definition itself
 * (so a new wait or retry is counted without an edit): every bounded wait at its bound, every Task
 * at its timeout on every attempt, every retry's pauses. It adds up every state, whichever path
 * runs, so it is an upper bound. The execution's own timeout must exceed it: an execution timeout
 * cannot be caught, so a wait must always give up (and roll back) first.
 */
import { nestedStates } from './asl';

type State = {
  Type: string;
  Seconds?: number;
  Next?: string;
  Default?: string;
  TimeoutSeconds?: number;
  Choices?: unknown[];
  Retry?: { IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number }[];
  Branches?: { States: Record<string, State> }[];
  ItemProcessor?: { States: Record<string, State> };
};

/** What a Task that gives no TimeoutSeconds (an AWS API call) is taken to need at most per attempt. */
const API_CALL_SECONDS = 5;

export function worstCaseSeconds(definition: { States: Record<string, State> }): number {
  const states = new Map<string, State>();
  const walk = (s: Record<string, State>) => {
    for (const [name, state] of Object.entries(s)) {
      states.set(name, state);
      // A Map's processor counts once: the bound of one item. The definition does not know how many
      // instances an Aurora cluster has; the Terraform module's has one, and each instance more can
      // take its waits again (a known gap, covered only by the hour of margin).
      for (const nested of nestedStates(state)) walk(nested);
    }
  };
  walk(definition.States);
  let total = 0;
  for (const state of states.values()) {
    if (state.Type === 'Task') {
      const retries = state.Retry ?? [];
      const attempts = 1 + retries.reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);
      total += attempts * (state.TimeoutSeconds ?? API_CALL_SECONDS);
      for (const r of retries) {
        for (let i = 0; i < (r.MaxAttempts ?? 3); i++) {
          total += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** i, r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
        }
      }
    }
    // A bounded wait: its Choice gives up at `attempts >= N`, otherwise counts and pauses.
    const bound = /"Variable":"\$\.polls\.\w+\.attempts","NumericGreaterThanEquals":(\d+)/.exec(JSON.stringify(state.Choices ?? []));
    if (state.Type === 'Choice' && bound) {
      const pause = states.get(states.get(state.Default as string)?.Next as string);
      const check = states.get(pause?.Next as string);
      total += Number(bound[1]) * (Number(pause?.Seconds ?? 0) + (check?.TimeoutSeconds ?? API_CALL_SECONDS));
    }
  }
  return Math.ceil(total);
}
