import type { Json } from './operators';

type State = Record<string, Json>;

/** How a mutant killed by the structure is reported. */
export const STATIC_CHECK = 'static:every wait is bounded';

/** Where a state can go next: Next, Default, each Choice rule, each Catch. */
const successors = (state: State): string[] =>
  [state.Next, state.Default, ...((state.Choices ?? []) as State[]).map((r) => r.Next), ...((state.Catch ?? []) as State[]).map((c) => c.Next)].filter(
    (n): n is string => typeof n === 'string',
  );

const isAttemptsBound = (rule: State) => typeof rule.Variable === 'string' && /\.attempts$/.test(rule.Variable) && typeof rule.NumericGreaterThanEquals === 'number';

/**
 * The promise "every wait is a bounded loop", checked on the structure of a definition, as the
 * suite's structural tests check it on the synthesized one (test/runbook-stack.test.ts, waits):
 * every way around a loop through a Wait state passes a Pass that counts the attempt and a Choice
 * whose attempts rule leaves the loop for a Fail. Taking those states out of the graph must leave
 * the Wait on no cycle. Empty when every wait is bounded.
 */
export function unboundedWaits(definition: Record<string, Json>): string[] {
  const v: string[] = [];
  const visit = (owner: Record<string, Json>) => {
    const states = owner.States as Record<string, State>;
    /** Whether `from` can come back to itself without entering a state of `cut`. */
    const cycles = (from: string, cut: (name: string, state: State) => boolean): boolean => {
      const seen = new Set<string>();
      const todo = [from];
      while (todo.length > 0) {
        for (const next of successors(states[todo.pop() as string] ?? {})) {
          if (next === from) return true;
          const state = states[next];
          if (!state || seen.has(next) || cut(next, state)) continue;
          seen.add(next);
          todo.push(next);
        }
      }
      return false;
    };
    const counts = (_n: string, s: State) => s.Type === 'Pass' && /States\.MathAdd\([^)]*\.attempts, 1\)/.test(JSON.stringify(s.Parameters ?? {}));
    const bounds = (_n: string, s: State) =>
      s.Type === 'Choice' && ((s.Choices ?? []) as State[]).some((r) => isAttemptsBound(r) && states[r.Next as string]?.Type === 'Fail');
    for (const [name, state] of Object.entries(states)) {
      for (const branch of (state.Branches ?? []) as Record<string, Json>[]) visit(branch);
      if (state.Type !== 'Wait' || !cycles(name, () => false)) continue;
      if (cycles(name, counts)) v.push(`the wait through "${name}" can loop without counting its attempts`);
      if (cycles(name, bounds)) v.push(`the wait through "${name}" can loop without passing the attempts bound that ends it`);
    }
  };
  visit(definition);
  return v;
}
