/**
 * Mutants of the synthesized state machine definition, derived mechanically from the definition
 * itself: every Catch, Retry, Task parameter, transition, Choice rule and bound yields its own.
 * A mutant's id names the operator and the state (and the part of it) it changes, never a position,
 * so the list of explained equivalents survives unrelated edits of the workflow.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface Mutant {
  /** `operator:state[:part]`, e.g. `drop-parameter:Rename the current instance aside:ApplyImmediately`. */
  readonly id: string;
  readonly operator: OperatorName;
  /** The state the mutant changes; a check can kill it only if its run enters this state. */
  readonly state: string;
  /** The mutated copy of `definition`, or undefined when the definition has no such state (a variant). */
  apply(definition: JsonObject): JsonObject | undefined;
}

export const OPERATORS = {
  'remove-catch': 'removes one Catch rule of a state: its errors end the execution or the phase instead',
  'remove-retry': 'removes one Retry rule of a state: a transient error fails it at once',
  'drop-parameter': "removes one key of a Task's Parameters",
  'skip-next': 'every transition into the state goes to its Next instead: the state never runs (a Pass that changes nothing is left out)',
  'swap-next': 'a Task and the Task after it run in the opposite order (two operations on the world)',
  'swap-choice': "exchanges one Choice rule's target with the Choice's Default",
  'remove-bound': "removes a TimeoutSeconds/HeartbeatSeconds, or a bounded wait's attempts rule",
  'shift-index': 'an array index in a Choice variable points one element further ([1] becomes [2])',
} as const;
export type OperatorName = keyof typeof OPERATORS;

/**
 * A deep copy made of plain objects of the running realm: the interpreter resolves `.$` keys only in
 * plain objects, and structuredClone's copies are not plain inside a jest sandbox.
 */
export function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A States map with its owner (the definition or a Parallel branch), where StartAt lives. */
interface Scope {
  readonly owner: JsonObject;
  readonly states: Record<string, JsonObject>;
}

function scopes(definition: JsonObject): Scope[] {
  const out: Scope[] = [];
  const walk = (owner: JsonObject) => {
    const states = owner.States as Record<string, JsonObject>;
    out.push({ owner, states });
    for (const state of Object.values(states)) for (const branch of (state.Branches ?? []) as JsonObject[]) walk(branch);
  };
  walk(definition);
  return out;
}

/** The scope that holds `name`, in a deep copy of the definition the caller may change freely. */
function locate(definition: JsonObject, name: string): { copy: JsonObject; scope: Scope; state: JsonObject } | undefined {
  const copy = jsonClone(definition);
  for (const scope of scopes(copy)) {
    const state = scope.states[name];
    if (state) return { copy, scope, state };
  }
  return undefined;
}

/** Replaces every reference to `from` inside one scope (StartAt, Next, Default, Choice rules, Catch) with `to`. */
function redirect(scope: Scope, from: string, to: string, except?: string): void {
  if (scope.owner.StartAt === from) scope.owner.StartAt = to;
  for (const [name, state] of Object.entries(scope.states)) {
    if (name === except) continue;
    if (state.Next === from) state.Next = to;
    if (state.Default === from) state.Default = to;
    for (const rule of (state.Choices ?? []) as JsonObject[]) if (rule.Next === from) rule.Next = to;
    for (const rule of (state.Catch ?? []) as JsonObject[]) if (rule.Next === from) rule.Next = to;
  }
}

/** A Pass that only names a moment in the console: skipping it gives the same machine. */
const isNoOp = (state: JsonObject) =>
  state.Type === 'Pass' && Object.keys(state).every((k) => ['Type', 'Comment', 'Next', 'End'].includes(k));

/** A readable part name, unique within its state: a repeated name gets `#2`, `#3`. */
function uniqueParts(parts: string[]): string[] {
  const seen = new Map<string, number>();
  return parts.map((p) => {
    const n = (seen.get(p) ?? 0) + 1;
    seen.set(p, n);
    return n === 1 ? p : `${p}#${n}`;
  });
}

const errorsOf = (rule: JsonObject) => ((rule.ErrorEquals ?? []) as string[]).join(',');

/** Every Variable of a Choice rule, nested And/Or/Not included, with a setter to change it. */
function variables(rule: JsonObject): { get: () => string; set: (v: string) => void }[] {
  const out: { get: () => string; set: (v: string) => void }[] = [];
  const walk = (r: JsonObject) => {
    if (typeof r.Variable === 'string') out.push({ get: () => r.Variable as string, set: (v) => (r.Variable = v) });
    for (const sub of [...((r.And ?? []) as JsonObject[]), ...((r.Or ?? []) as JsonObject[]), ...(r.Not ? [r.Not as JsonObject] : [])]) walk(sub);
  };
  walk(rule);
  return out;
}

/** A Choice rule that bounds a wait: a numeric comparison of an attempt counter. */
const isAttemptsBound = (rule: JsonObject) =>
  typeof rule.Variable === 'string' && /\.attempts$/.test(rule.Variable) && Object.keys(rule).some((k) => k.startsWith('Numeric'));

const HAS_INDEX = /\[\d+\]/;

/** Every mutant of `definition`, in definition order, each id unique. */
export function deriveMutants(definition: JsonObject): Mutant[] {
  const mutants: Mutant[] = [];
  const add = (operator: OperatorName, state: string, part: string | undefined, change: (found: { copy: JsonObject; scope: Scope; state: JsonObject }) => boolean) => {
    mutants.push({
      id: [operator, state, ...(part === undefined ? [] : [part])].join(':'),
      operator,
      state,
      apply: (def) => {
        const found = locate(def, state);
        return found && change(found) ? found.copy : undefined;
      },
    });
  };

  if (typeof definition.TimeoutSeconds === 'number') {
    mutants.push({
      id: 'remove-bound:(execution):TimeoutSeconds',
      operator: 'remove-bound',
      state: String(definition.StartAt),
      apply: (def) => {
        const copy = jsonClone(def);
        delete copy.TimeoutSeconds;
        return copy;
      },
    });
  }

  for (const scope of scopes(definition)) {
    for (const [name, state] of Object.entries(scope.states)) {
      for (const [field, operator] of [['Catch', 'remove-catch'], ['Retry', 'remove-retry']] as const) {
        const rules = (state[field] ?? []) as JsonObject[];
        for (const [i, part] of uniqueParts(rules.map(errorsOf)).entries()) {
          add(operator, name, part, ({ state: s }) => {
            const left = s[field] as JsonObject[];
            left.splice(i, 1);
            if (left.length === 0) delete s[field];
            return true;
          });
        }
      }
      if (state.Type === 'Task' && state.Parameters && typeof state.Parameters === 'object') {
        for (const key of Object.keys(state.Parameters)) {
          add('drop-parameter', name, key.replace(/\.\$$/, ''), ({ state: s }) => delete (s.Parameters as JsonObject)[key]);
        }
      }
      for (const field of ['TimeoutSeconds', 'HeartbeatSeconds', 'TimeoutSecondsPath', 'HeartbeatSecondsPath']) {
        if (state[field] !== undefined) add('remove-bound', name, field, ({ state: s }) => delete s[field]);
      }
      if (typeof state.Next === 'string') {
        const next = state.Next;
        if (!isNoOp(state)) {
          add('skip-next', name, undefined, ({ scope: sc }) => {
            redirect(sc, name, next);
            return true;
          });
        }
        const successor = scope.states[next];
        // Only operations swap: the order of bookkeeping states (a wait's counter, its pause) is no promise.
        if (state.Type === 'Task' && successor?.Type === 'Task' && typeof successor.Next === 'string' && successor.Next !== name) {
          const after = successor.Next;
          add('swap-next', name, undefined, ({ scope: sc }) => {
            // P → name → next → after  becomes  P → next → name → after.
            redirect(sc, name, next, next);
            (sc.states[next] as JsonObject).Next = name;
            (sc.states[name] as JsonObject).Next = after;
            return true;
          });
        }
      }
      if (state.Type === 'Choice') {
        const rules = (state.Choices ?? []) as JsonObject[];
        const parts = uniqueParts(rules.map((r) => String(r.Next)));
        rules.forEach((rule, i) => {
          // A rule that already goes where the Default goes: exchanging them changes nothing.
          if (typeof state.Default === 'string' && rule.Next !== state.Default) {
            add('swap-choice', name, parts[i], ({ state: s }) => {
              const r = (s.Choices as JsonObject[])[i] as JsonObject;
              [r.Next, s.Default] = [s.Default as string, r.Next as string];
              return true;
            });
          }
          if (isAttemptsBound(rule) && rules.length > 1) {
            add('remove-bound', name, 'attempts', ({ state: s }) => {
              (s.Choices as JsonObject[]).splice(i, 1);
              return true;
            });
          }
        });
        // Array indices in the rules' variables: which element a guard looks at (`TaskArns[1]`).
        const indexed = rules.flatMap((rule, i) => variables(rule).map((v, k) => ({ i, k, variable: v.get() }))).filter((x) => HAS_INDEX.test(x.variable));
        const indexParts = uniqueParts(indexed.map((x) => x.variable));
        for (const [n, { i, k, variable }] of indexed.entries()) {
          add('shift-index', name, indexParts[n], ({ state: s }) => {
            variables((s.Choices as JsonObject[])[i] as JsonObject)[k]?.set(variable.replace(/\[(\d+)\]/g, (_m, d: string) => `[${Number(d) + 1}]`));
            return true;
          });
        }
      }
    }
  }
  const ids = new Set<string>();
  for (const m of mutants) {
    if (ids.has(m.id)) throw new Error(`two mutants share the id ${m.id}`);
    ids.add(m.id);
  }
  return mutants;
}
