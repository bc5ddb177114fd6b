import { allStates, type Json } from '../../rehearsal/assembly';
import { nestedStates } from '../../workflows/asl';
import { formatPath, isDefinite, parsePath, type Segment } from '../../rehearsal/json-path';

/**
 * What the fault matrix needs to know about a definition, read from the definition itself: where
 * each state can go next, which paths of the state's data each state reads, the bounded waits, and
 * the fields of each AWS SDK answer the runbook reads.
 */
type State = Record<string, Json>;
type Definition = Record<string, Json>;

const SDK_TASK = /^arn:aws:states:::aws-sdk:/;

/** Keys of a state whose value is a path into its input (ResultPath writes, ResultSelector reads the answer). */
const PATH_KEYS = ['InputPath', 'OutputPath', 'ItemsPath', 'TimeoutSecondsPath', 'HeartbeatSecondsPath', 'SecondsPath', 'TimestampPath', 'ErrorPath', 'CausePath'];

/**
 * The Parallel or Map state that holds each state, for the states inside one: a Map's iteration,
 * like a Parallel's branch, goes on to the Map's Next when it ends and fails to the Map's Catch.
 */
export function enclosingParallel(definition: Definition): Map<string, string> {
  const parentOf = new Map<string, string>();
  const walk = (states: Record<string, State>, parent: string | undefined) => {
    for (const [name, state] of Object.entries(states)) {
      if (parent) parentOf.set(name, parent);
      for (const nested of nestedStates(state as Parameters<typeof nestedStates>[0])) walk(nested as Record<string, State>, name);
    }
  };
  walk(definition.States as Record<string, State>, undefined);
  return parentOf;
}

/** The states each state can go to next: its transitions, a branch's start, and what follows a branch's end or failure. */
export function successors(definition: Definition): Map<string, string[]> {
  const next = new Map<string, string[]>();
  const parentOf = enclosingParallel(definition);
  const states = allStates(definition);
  const catches = (s: State) => ((s.Catch ?? []) as { Next: string }[]).map((c) => c.Next);
  /** Where a branch of `parallel` goes when it ends: the Parallel's Next, or further out when it ends a branch itself. */
  const afterBranch = (parallel: string): string[] => {
    const p = states.get(parallel) as State;
    if (typeof p.Next === 'string') return [p.Next];
    const outer = parentOf.get(parallel);
    return outer ? afterBranch(outer) : [];
  };
  /** Where an error inside `parallel`'s branch may be caught: its Catch, and every enclosing one. */
  const caughtOutside = (parallel: string): string[] => {
    const outer = parentOf.get(parallel);
    return [...catches(states.get(parallel) as State), ...(outer ? caughtOutside(outer) : [])];
  };
  for (const [name, s] of states) {
    const to = new Set<string>();
    for (const n of [s.Next, s.Default]) if (typeof n === 'string') to.add(n);
    for (const rule of (s.Choices ?? []) as { Next: string }[]) to.add(rule.Next);
    for (const n of catches(s)) to.add(n);
    for (const branch of [...((s.Branches ?? []) as { StartAt: string }[]), ...[s.ItemProcessor ?? s.Iterator].filter(Boolean)] as { StartAt: string }[]) to.add(branch.StartAt);
    const parent = parentOf.get(name);
    if (parent) {
      const ends = s.End === true || s.Type === 'Succeed' || (s.Type !== 'Choice' && s.Type !== 'Fail' && s.Next === undefined);
      if (ends) for (const n of afterBranch(parent)) to.add(n);
      for (const n of caughtOutside(parent)) to.add(n);
    }
    next.set(name, [...to]);
  }
  return next;
}

/**
 * Every state reachable from `from` (not `from` itself, unless a loop leads back to it). A state
 * `stop` accepts is reached but not gone through: what it writes replaces what `from` wrote.
 */
export function reachableFrom(definition: Definition, from: string, stop: (state: State) => boolean = () => false): Set<string> {
  const next = successors(definition);
  const states = allStates(definition);
  const seen = new Set<string>();
  const queue = [...(next.get(from) ?? [])];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    if (!stop(states.get(name) as State)) queue.push(...(next.get(name) ?? []));
  }
  return seen;
}

/** The `$.`-paths an intrinsic function's arguments read (`States.Format('{}', $.a.b)`). */
function intrinsicArguments(text: string): string[] {
  const withoutStrings = text.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  return [...withoutStrings.matchAll(/(?<![$\w])\$(?:\.[^,()\s]+|\[[^,()\s]+)/g)].map((m) => m[0]);
}

/** The paths a `.$` value reads: a path, or an intrinsic function's arguments; never the context object (`$$.`). */
function pathsOfValue(value: string): string[] {
  if (value.startsWith('$$')) return [];
  if (value.startsWith('$')) return [value];
  return intrinsicArguments(value);
}

/** The paths a Parameters/ItemSelector template reads, at any depth. */
function templateReads(template: Json | undefined): string[] {
  if (!template || typeof template !== 'object') return [];
  if (Array.isArray(template)) return template.flatMap(templateReads);
  return Object.entries(template).flatMap(([key, value]) =>
    key.endsWith('.$') && typeof value === 'string' ? pathsOfValue(value) : templateReads(value),
  );
}

/** The paths a Choice rule reads or tests: Variable and every `...Path` comparand, through And/Or/Not. */
function ruleReads(rule: Record<string, Json>): string[] {
  const out: string[] = [];
  for (const key of ['And', 'Or']) for (const r of (rule[key] ?? []) as Record<string, Json>[]) out.push(...ruleReads(r));
  if (rule.Not) out.push(...ruleReads(rule.Not as Record<string, Json>));
  if (typeof rule.Variable === 'string') out.push(rule.Variable);
  for (const [key, value] of Object.entries(rule)) if (key !== 'Variable' && key.endsWith('Path') && typeof value === 'string') out.push(value);
  return out;
}

/** The paths of its input a state reads (not what its ResultSelector reads of its own answer). */
export function pathsReadBy(state: State): string[] {
  const reads = [
    ...((state.Choices ?? []) as Record<string, Json>[]).flatMap(ruleReads),
    ...templateReads(state.Parameters),
    ...templateReads(state.ItemSelector),
    ...PATH_KEYS.map((k) => state[k]).filter((v): v is string => typeof v === 'string').flatMap(pathsOfValue),
  ];
  return [...new Set(reads)];
}

/** A field of an AWS SDK Task's answer that the runbook reads, as a JSONPath into the answer. */
export interface AnswerField {
  readonly task: string;
  readonly path: string;
  /** Who reads it: "ResultSelector", or the state that reads it through the Task's ResultPath. */
  readonly readBy: string;
  /**
   * Set when a Choice takes the field's absence to mean the thing is gone for good (a first rule
   * `Not IsPresent` that goes straight to a Fail state): leaving it out must end with that failure.
   */
  readonly absentMeans?: { readonly fail: string; readonly error: string };
}

/** The Fail state each `Not IsPresent` first-level rule of a Choice sends a path's absence to. */
function goneRules(choice: State, states: Map<string, State>): Map<string, { fail: string; error: string }> {
  const out = new Map<string, { fail: string; error: string }>();
  for (const rule of (choice.Choices ?? []) as Record<string, Json>[]) {
    const not = rule.Not as Record<string, Json> | undefined;
    const fail = states.get(String(rule.Next));
    if (not?.IsPresent === true && typeof not.Variable === 'string' && fail?.Type === 'Fail') {
      out.set(formatPath(parsePath(not.Variable)), { fail: String(rule.Next), error: String(fail.Error) });
    }
  }
  return out;
}

const startsWith = (path: readonly Segment[], prefix: readonly Segment[]) =>
  prefix.length <= path.length && prefix.every((s, i) => JSON.stringify(s) === JSON.stringify(path[i]));

/**
 * Every field below the top-level members of the answer the path reads (AWS always returns the
 * top-level list a describe call answers with, possibly empty): each prefix of the path from its
 * second segment on, and the field a filter tests in the element it selects.
 */
function fieldsAlong(raw: readonly Segment[]): Segment[][] {
  const out: Segment[][] = [];
  raw.forEach((segment, i) => {
    if (i >= 1) out.push(raw.slice(0, i + 1));
    if ('filter' in segment) out.push([...raw.slice(0, i + 1), { name: segment.filter.field }]);
  });
  return out;
}

/** The aws-sdk Tasks of the definition, each with every field of its answer the runbook reads. */
export function sdkAnswerFields(definition: Definition): Map<string, AnswerField[]> {
  const states = allStates(definition);
  const out = new Map<string, AnswerField[]>();
  for (const [task, state] of states) {
    if (state.Type !== 'Task' || !SDK_TASK.test(String(state.Resource))) continue;
    const fields = new Map<string, AnswerField>();
    const add = (raw: readonly Segment[], readBy: string, read?: string) => {
      for (const f of fieldsAlong(raw)) {
        const path = formatPath(f);
        if (!fields.has(path)) fields.set(path, { task, path, readBy });
      }
      const gone = read === undefined ? undefined : goneRules(states.get(readBy) as State, states).get(read);
      const whole = fields.get(formatPath(raw));
      if (gone && whole) fields.set(whole.path, { ...whole, readBy, absentMeans: gone });
    };
    // What the ResultSelector takes from the answer, by the place (its keys, at any depth) it stores it under.
    const selected: { key: Segment[]; source: Segment[] }[] = [];
    const selector = state.ResultSelector as Record<string, Json> | undefined;
    const walkSelector = (template: Record<string, Json>, under: Segment[]) => {
      for (const [key, value] of Object.entries(template)) {
        if (value && typeof value === 'object' && !Array.isArray(value)) walkSelector(value as Record<string, Json>, [...under, { name: key }]);
        if (!key.endsWith('.$') || typeof value !== 'string') continue;
        for (const p of pathsOfValue(value)) add(parsePath(p), 'ResultSelector');
        if (value.startsWith('$') && !value.startsWith('$$')) selected.push({ key: [...under, { name: key.slice(0, -2) }], source: parsePath(value) });
      }
    };
    walkSelector(selector ?? {}, []);
    const resultPath = state.ResultPath === undefined ? '$' : state.ResultPath;
    if (typeof resultPath === 'string') {
      const at = parsePath(resultPath);
      // Reads up to (and by) the next state that writes over the same place: later ones read its answer.
      const overwrites = (s: State) => typeof s.ResultPath === 'string' && startsWith(at, parsePath(s.ResultPath));
      for (const reader of reachableFrom(definition, task, overwrites)) {
        for (const path of pathsReadBy(states.get(reader) as State)) {
          const segments = parsePath(path);
          if (!startsWith(segments, at)) continue;
          const below = segments.slice(at.length);
          if (below.length === 0) continue;
          const read = formatPath(segments);
          if (!selector) {
            add(below, reader, read);
            continue;
          }
          const pick = selected.find((sel) => startsWith(below, sel.key));
          if (!pick) continue;
          const rest = below.slice(pick.key.length);
          const [index, ...inItem] = rest;
          if (isDefinite(pick.source)) add([...pick.source, ...rest], reader, read);
          // Below a list a filter made, an item's field is that field of the answer's matching items.
          else if (index && 'index' in index && inItem.length > 0) add([...pick.source, ...inItem], reader, read);
        }
      }
    }
    out.set(task, [...fields.values()]);
  }
  return out;
}

/** A bounded wait, as the bounded-poll fragment builds it, found by its bound. */
export interface BoundedWait {
  /** The entry state's name: "Wait for snapshot available". */
  readonly title: string;
  readonly counter: string;
  readonly bound: number;
  /** The "attempts left?" Choice that holds the bound. */
  readonly attemptsChoice: string;
  readonly timeoutError: string;
  /** The Task that looks, and the Choice that reads its answer. */
  readonly check: string;
  readonly question: string;
  /** The question Choice can send an answer to the bound (its Default, or a rule). */
  readonly statusNotYet: boolean;
  /** Errors of the check its Catch sends into the bound. */
  readonly notYetErrors: string[];
}

/** Every Choice with a `$.polls.<counter>.attempts >= N` rule, and the loop around it. */
export function boundedWaits(definition: Definition): BoundedWait[] {
  const states = allStates(definition);
  const get = (name: unknown, type: string): State => {
    const s = typeof name === 'string' ? states.get(name) : undefined;
    if (s?.Type !== type) throw new Error(`expected a ${type} state, found ${String(name)}: ${s?.Type}`);
    return s;
  };
  const waits: BoundedWait[] = [];
  for (const [name, state] of states) {
    if (state.Type !== 'Choice') continue;
    for (const rule of (state.Choices ?? []) as Record<string, Json>[]) {
      const counter = /^\$\.polls\.(\w+)\.attempts$/.exec(String(rule.Variable))?.[1];
      if (!counter || typeof rule.NumericGreaterThanEquals !== 'number') continue;
      const gaveUp = get(rule.Next, 'Fail');
      const count = get(state.Default, 'Pass');
      const pause = get(count.Next, 'Wait');
      const check = String(pause.Next);
      const question = String(get(check, 'Task').Next);
      const asked = get(question, 'Choice');
      const entry = [...states].find(([, s]) => s.Type === 'Pass' && s.ResultPath === `$.polls.${counter}` && s.Next === check);
      if (!entry) throw new Error(`no entry state starts the wait of $.polls.${counter}`);
      waits.push({
        title: entry[0],
        counter,
        bound: rule.NumericGreaterThanEquals,
        attemptsChoice: name,
        timeoutError: String(gaveUp.Error),
        check,
        question,
        statusNotYet: asked.Default === name || ((asked.Choices ?? []) as { Next: string }[]).some((r) => r.Next === name),
        notYetErrors: ((get(check, 'Task').Catch ?? []) as { ErrorEquals: string[]; Next: string }[]).filter((c) => c.Next === name).flatMap((c) => c.ErrorEquals),
      });
    }
  }
  return waits;
}

/** How many times a Task runs for one failure with `error`: once, plus the retries of the first retrier that matches it. */
export function runsPerFailure(state: State, error: string): number {
  const retrier = ((state.Retry ?? []) as { ErrorEquals: string[]; MaxAttempts?: number }[]).find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'));
  return 1 + (retrier ? (retrier.MaxAttempts ?? 3) : 0);
}

/**
 * Task states that send a request a Lambda function built whole (their InputPath is below what a
 * Lambda Task wrote): preflight's restore, settings and backups calls.
 */
export function requestsBuiltWhole(definition: Definition): { state: string; inputPath: string; builtBy: string }[] {
  const tasks = [...allStates(definition)].filter(([, s]) => s.Type === 'Task');
  return tasks.flatMap(([state, s]) => {
    if (typeof s.InputPath !== 'string' || s.InputPath === '$') return [];
    const input = parsePath(s.InputPath);
    const builder = tasks.find(
      ([, b]) => String(b.Resource).startsWith('arn:aws:lambda:') && typeof b.ResultPath === 'string' && b.ResultPath !== '$' && startsWith(input, parsePath(b.ResultPath)),
    );
    return builder ? [{ state, inputPath: s.InputPath, builtBy: builder[0] }] : [];
  });
}
