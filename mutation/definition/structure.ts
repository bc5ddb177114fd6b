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
 * suite's structural tests check it on the synthesized one (test/runbook-stack.test.ts, waits): on
 * every loop through a Wait state a Pass counts the attempt, and every Choice that can stay in the
 * loop has an attempts rule that leaves it for a Fail. Empty when every wait is bounded.
 */
export function unboundedWaits(definition: Record<string, Json>): string[] {
  const v: string[] = [];
  const visit = (owner: Record<string, Json>) => {
    const states = owner.States as Record<string, State>;
    const reach = (from: string): Set<string> => {
      const seen = new Set<string>();
      const todo = [from];
      while (todo.length > 0) {
        for (const next of successors(states[todo.pop() as string] ?? {})) {
          if (!seen.has(next) && states[next]) {
            seen.add(next);
            todo.push(next);
          }
        }
      }
      return seen;
    };
    for (const [name, state] of Object.entries(states)) {
      for (const branch of (state.Branches ?? []) as Record<string, Json>[]) visit(branch);
      if (state.Type !== 'Wait') continue;
      const loop = new Set([...reach(name)].filter((n) => reach(n).has(name)));
      if (!loop.has(name)) continue;
      const members = [...loop].map((n) => [n, states[n] as State] as const);
      if (!members.some(([, s]) => s.Type === 'Pass' && /States\.MathAdd\([^)]*\.attempts, 1\)/.test(JSON.stringify(s.Parameters ?? {})))) {
        v.push(`the wait through "${name}" does not count its attempts`);
      }
      for (const [choice, s] of members.filter(([, m]) => m.Type === 'Choice')) {
        const rules = (s.Choices ?? []) as State[];
        const bound = rules.filter(isAttemptsBound);
        const exits = bound.filter((r) => !loop.has(r.Next as string) && states[r.Next as string]?.Type === 'Fail');
        if (exits.length === 0 || exits.length !== bound.length) v.push(`"${choice}" can stay in the wait through "${name}" without an attempts bound that ends it`);
      }
    }
  };
  visit(definition);
  return v;
}
