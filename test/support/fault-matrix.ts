import { allStates, type Json, type RunbookAssembly } from '../../rehearsal/assembly';
import { type CallRecord, type InjectedFault, TASK_TIMEOUT } from '../../rehearsal/dispatch';
import type { FixtureName } from '../../rehearsal/fixtures';
import { locate, parsePath } from '../../rehearsal/json-path';
import { invariantViolations, parityViolations, rollbackStates, safetyViolations } from '../../rehearsal/invariants';
import { isBestEffort, taskFaultViolations } from '../../rehearsal/judges';
import { type RehearsalResult, rehearse } from '../../rehearsal/run';
import { findScenario, SCENARIOS, type Scenario } from '../../rehearsal/scenarios';
import { type AnswerField, type BoundedWait, boundedWaits, enclosingParallel, runsPerFailure, sdkAnswerFields } from './definition-reads';

/**
 * The fault matrix: three kinds of fault, each derived from the definition and from undisturbed
 * runs of the scenarios (the baselines), each checked against the invariants the runbook promises.
 *
 * 1. A Task fails once with an error.
 * 2. A bounded wait's check keeps answering "not yet" (a recorded answer its question sends to the
 *    bound, or an error its Catch sends there) until the wait gives up.
 * 3. An AWS SDK Task's first answer lacks one field the runbook reads.
 * 4. A Task with a TimeoutSeconds is never answered once: it must time out and fail, not hang.
 *
 * A variant is a function returning the invariants it broke, in words: none, or (for a variant listed
 * as a known defect) at least one.
 */

/** An undisturbed run of one scenario, as the matrix reads it (serializable: the matrix's global setup records them). */
export interface Baseline {
  readonly scenario: string;
  readonly status: RehearsalResult['status'];
  readonly error: string | null;
  readonly cause: string | null;
  /** The states entered, in order. */
  readonly states: string[];
  /** Every Task call, with its input and answer. */
  readonly calls: CallRecord[];
  /** From the failure to the service answering again, in the simulation's clock (null without a rollback). */
  readonly recoverySeconds: number | null;
}

const INJECTED = 'Injected.Fault';
/** Calls that change the deployment, by the Task's resource. */
const MUTATING = /:(create|update|modify|restore|register|reboot|addTags)\w*$/i;

function baselineOf(result: RehearsalResult): Baseline {
  const { scenario, status, error, cause, calls } = result;
  return { scenario, status, error, cause, states: result.states.map((s) => s.name), calls, recoverySeconds: result.metrics.recoverySeconds };
}

/** Every scenario, undisturbed and in order, with every call's input and answer kept. */
export async function recordBaselines(assembly: RunbookAssembly, scenarios: readonly Scenario[] = SCENARIOS): Promise<Baseline[]> {
  const out: Baseline[] = [];
  for (const scenario of scenarios) out.push(baselineOf(await rehearse({ assembly, scenario, recordCalls: true })));
  return out;
}

const scenarioNamed = (name: string): Scenario => {
  const s = findScenario(name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
};

/** What the runbook promises after a failure: rolled back, the restored database equal to the original. */
function afterFailure(result: RehearsalResult, rollbackMayFail: boolean): string[] {
  const v = invariantViolations(result, { rollbackMayFail });
  if (result.error !== 'RollbackFailed') v.push(...parityViolations(result).map((p) => `parity: ${p}`));
  return v;
}

/** The matrix of one deployment fixture: its definition, what it derives, and each kind's variants. */
export class FaultMatrix {
  readonly definition: Record<string, Json>;
  readonly states: Map<string, Record<string, Json>>;
  readonly rollback: Set<string>;
  readonly tasks: string[];
  readonly waits: BoundedWait[];
  readonly answerFields: Map<string, AnswerField[]>;
  /** The Parallel (a phase, or the rollback) each state runs in; the states outside every phase are not in it. */
  readonly phaseOf: Map<string, string>;

  constructor(
    readonly assembly: RunbookAssembly,
    readonly baselines: readonly Baseline[],
  ) {
    this.definition = assembly.definition;
    this.states = allStates(this.definition);
    this.rollback = rollbackStates(this.definition as Record<string, unknown>);
    this.tasks = [...this.states].filter(([, s]) => s.Type === 'Task').map(([name]) => name);
    this.waits = boundedWaits(this.definition);
    this.answerFields = sdkAnswerFields(this.definition);
    this.phaseOf = enclosingParallel(this.definition);
  }

  get fixture(): FixtureName {
    return this.assembly.fixture;
  }

  /** The first scenario whose baseline ran `state`. */
  reaching(state: string): Baseline | undefined {
    return this.baselines.find((b) => b.calls.some((c) => c.state === state));
  }

  /** The Catch of `state` that takes every error, if it has one: it handles its own failures. */
  catchesAll(state: string): { ErrorEquals: string[]; Next: string } | undefined {
    return ((this.states.get(state)?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes('States.ALL'));
  }

  /** The named errors of the Fail states a Catch leads to through Pass states. */
  failErrorsAfter(name: string): string[] {
    const state = this.states.get(name);
    if (state?.Type === 'Fail') return typeof state.Error === 'string' ? [state.Error] : [];
    return state?.Type === 'Pass' && typeof state.Next === 'string' ? this.failErrorsAfter(state.Next) : [];
  }

  /** The Tasks a lost answer could leave waiting and that bound it: a TimeoutSeconds (the approval's callback aside, the approvers' to answer). */
  get timedTasks(): string[] {
    return this.tasks.filter((name) => {
      const state = this.states.get(name) as Record<string, Json>;
      return typeof state.TimeoutSeconds === 'number' && !String(state.Resource).endsWith('.waitForTaskToken');
    });
  }

  /** Kind 4: `state`'s first call is never answered, in `base`'s scenario: judged as the state failing with States.Timeout. */
  async neverAnswered(state: string, base: Baseline): Promise<string[]> {
    const result = await rehearse({ assembly: this.assembly, scenario: scenarioNamed(base.scenario), fault: { kind: 'no-answer', state } });
    return taskFaultViolations(this.definition, state, { ...base, scenario: scenarioNamed(base.scenario) }, result, TASK_TIMEOUT);
  }

  // ---------------------------------------------------------------------------------------------
  // Kind 1: a Task fails once with an error
  // ---------------------------------------------------------------------------------------------

  /** The Task states some scenario reaches on this fixture, each with the first such scenario. */
  taskFailures(): { state: string; base: Baseline }[] {
    return this.tasks.flatMap((state) => {
      const base = this.reaching(state);
      return base ? [{ state, base }] : [];
    });
  }

  /**
   * `state` fails once, in `base`'s scenario. A Task that catches every error of its own ends the
   * execution as the baseline did; one outside every phase (preflight, the dry run: no Catch to
   * roll back from) ends it at once, changing nothing; any other ends FAILED with the error and the
   * cause, rolled back (RollbackFailed when it is part of the rollback, or the scenario's rollback
   * fails anyway).
   */
  async taskFailsOnce(state: string, base: Baseline): Promise<string[]> {
    const result = await rehearse({ assembly: this.assembly, scenario: scenarioNamed(base.scenario), fault: { state, error: INJECTED } });
    const v = safetyViolations(result);
    const ended = { status: result.status, error: result.error };
    const caught = this.catchesAll(state);
    // A Catch that cleans up and then fails on purpose (the plan task stopped, then the run ends)
    // is checked as any failure, with the errors of the Fail states it leads to allowed.
    // A best-effort step (a notification, a tag): its failure must change nothing, and neither of the two endings below excuses it.
    const bestEffort = isBestEffort(this.states, state);
    const reraised = !bestEffort && caught !== undefined && result.status === 'FAILED' && (result.cause ?? '').includes('fault injected into') && base.status !== 'FAILED';
    const own = reraised ? this.failErrorsAfter(caught.Next) : [];
    // A recovery inside the rollback (the swap undone when the restored instance cannot take the
    // identifier) ends the rollback as failed, with the fault in the cause: checked as such below.
    const recovers = !bestEffort && caught !== undefined && this.rollback.has(state) && result.error === 'RollbackFailed' && base.error !== 'RollbackFailed';
    if (caught && !reraised && !recovers) {
      if (ended.status !== base.status || ended.error !== base.error) v.push(`caught locally, yet ended ${JSON.stringify(ended)}, not as the baseline ${base.status} ${base.error}`);
      if (this.states.get(caught.Next)?.Type === 'Fail') {
        // Writing the report failed: the cause is the original error's own.
        const record = JSON.parse(base.cause as string) as Record<'error' | 'rollbackError', { Cause: string }>;
        const expected = base.error === 'RollbackFailed' ? record.rollbackError.Cause : record.error.Cause;
        if (result.cause !== expected) v.push(`the cause is not the original error's: ${result.cause}`);
      }
      return v;
    }
    if (result.status !== 'FAILED') v.push(`ended ${result.status}, not FAILED`);
    if (!result.cause?.includes('fault injected into') || !result.cause.includes(state)) v.push(`the cause does not carry the error: ${result.cause}`);
    if (!this.phaseOf.has(state)) {
      if (result.error !== INJECTED && !own.includes(result.error ?? '')) v.push(`ended with ${result.error}, not the error itself`);
      const changes = result.calls.filter((c) => MUTATING.test(c.resource)).map((c) => c.state);
      if (changes.length > 0) v.push(`changed the deployment after failing before any change: ${changes.join(', ')}`);
      return v;
    }
    const inRollback = this.rollback.has(state) || base.error === 'RollbackFailed';
    if (result.error !== (inRollback ? 'RollbackFailed' : INJECTED)) v.push(`ended with ${result.error}, not ${inRollback ? 'RollbackFailed' : INJECTED}`);
    return [...v, ...afterFailure(result, inRollback).filter((x) => !v.includes(x))];
  }

  // ---------------------------------------------------------------------------------------------
  // Kind 2: a bounded wait's check keeps answering "not yet"
  // ---------------------------------------------------------------------------------------------

  /**
   * The answers of the wait's check in `base` that its question sent to the bound: the check's k-th
   * successful call is followed by the question's k-th entry, and the state after that says where
   * the question sent it.
   */
  notYetAnswers(wait: BoundedWait, base: Baseline): Json[] {
    const answers = base.calls.filter((c) => c.state === wait.check && !c.error).map((c) => c.answer as Json);
    const went = base.states.flatMap((name, i) => (name === wait.question ? [base.states[i + 1]] : []));
    return answers.filter((_a, k) => went[k] === wait.attemptsChoice);
  }

  /** The first baseline with a "not yet" answer to the wait, and the first such answer. */
  recordedNotYet(wait: BoundedWait): { base: Baseline; answer: Json } | undefined {
    for (const base of this.baselines) {
      const [answer] = this.notYetAnswers(wait, base);
      if (answer !== undefined) return { base, answer };
    }
    return undefined;
  }

  /**
   * The check answers `outcome` every time from the first: the wait must check exactly its bound
   * (each check retried as its Retry says), give up with its timeout error (RollbackFailed when
   * the wait is part of the rollback) and leave the deployment rolled back.
   */
  async waitGivesUp(wait: BoundedWait, outcome: WaitOutcome, base: Baseline): Promise<string[]> {
    const result = await rehearse({ assembly: this.assembly, scenario: scenarioNamed(base.scenario), fault: waitFault(wait, outcome) });
    return this.waitGaveUpViolations(wait, outcome, base, result);
  }

  /** waitGivesUp's verdict on a rehearsal with waitFault(wait, outcome) injected (the mutation run rehearses its mutants so). */
  waitGaveUpViolations(wait: BoundedWait, outcome: WaitOutcome, base: Baseline, result: RehearsalResult): string[] {
    const v = safetyViolations(result);
    const checks = result.calls.filter((c) => c.state === wait.check).length;
    const perCheck = 'error' in outcome ? runsPerFailure(this.states.get(wait.check) as Record<string, Json>, outcome.error) : 1;
    if (checks !== wait.bound * perCheck) v.push(`the check ran ${checks} times, not the bound ${wait.bound}${perCheck > 1 ? ` × ${perCheck}` : ''}`);
    const inRollback = this.rollback.has(wait.check) || base.error === 'RollbackFailed';
    const expected = inRollback ? 'RollbackFailed' : wait.timeoutError;
    if (result.status !== 'FAILED' || result.error !== expected) v.push(`ended ${result.status} ${result.error}, not FAILED ${expected}`);
    // Inside a phase the report's cause names the error; a wait outside every phase ends the run with it.
    if (!result.cause?.includes(wait.timeoutError) && result.error !== wait.timeoutError) v.push(`the cause does not name ${wait.timeoutError}: ${result.cause?.slice(0, 200)}`);
    return [...v, ...afterFailure(result, inRollback).filter((x) => !v.includes(x))];
  }

  // ---------------------------------------------------------------------------------------------
  // Kind 3: an AWS SDK Task's answer lacks a field the runbook reads
  // ---------------------------------------------------------------------------------------------

  /** Every field of every aws-sdk Task's answer the runbook reads. */
  fields(): AnswerField[] {
    return [...this.answerFields.values()].flat();
  }

  /** The first baseline in which some answer of the field's Task carries the field. */
  carrying(field: AnswerField): Baseline | undefined {
    return this.baselines.find((b) => b.calls.some((c) => c.state === field.task && !c.error && carries(c.answer as Json, field.path)));
  }

  /**
   * The first answer of the Task that carries the field has it left out: no States.Runtime, ever;
   * and an execution that fails after a change has rolled back, with the restored database equal
   * to the original. Where a Choice reads the field's absence as "gone for good", the execution
   * must end with that failure (RollbackFailed, naming it, when the Task is part of the rollback).
   */
  async answerWithout(field: AnswerField, base: Baseline): Promise<string[]> {
    const result = await rehearse({ assembly: this.assembly, scenario: scenarioNamed(base.scenario), fault: omitFault(field) });
    return this.answerWithoutViolations(field, base, result);
  }

  /** answerWithout's verdict on a rehearsal with omitFault(field) injected (the mutation run rehearses its mutants so). */
  answerWithoutViolations(field: AnswerField, base: Baseline, result: RehearsalResult): string[] {
    const v = safetyViolations(result);
    if (!result.calls.some((c) => c.state === field.task && c.injected)) v.push(`no answer of "${field.task}" carried ${field.path}: nothing was left out`);
    const changed = result.calls.some((c) => !c.error && MUTATING.test(c.resource));
    const inRollback = this.rollback.has(field.task) || base.error === 'RollbackFailed';
    const gone = field.absentMeans;
    if (gone) {
      const expected = inRollback ? 'RollbackFailed' : gone.error;
      if (result.status !== 'FAILED' || result.error !== expected) v.push(`ended ${result.status} ${result.error}, not FAILED ${expected} ("${gone.fail}")`);
      if (!result.cause?.includes(gone.error)) v.push(`the cause does not name ${gone.error}`);
    }
    const rollbackMayFail = base.error === 'RollbackFailed' || (gone !== undefined && inRollback);
    if (result.status !== 'SUCCEEDED' && changed) v.push(...afterFailure(result, rollbackMayFail).filter((x) => !v.includes(x)));
    return v;
  }
}

export type WaitOutcome = { readonly answer: Json } | { readonly error: string };

/** The first answer of the field's Task that carries the field has it left out. */
export function omitFault(field: AnswerField): InjectedFault {
  return { kind: 'omit-field', state: field.task, path: field.path };
}

/** The wait's check answers `outcome` every time: a recorded "not yet" replayed, or an error its Catch sends to the bound. */
export function waitFault(wait: BoundedWait, outcome: WaitOutcome): InjectedFault {
  return 'answer' in outcome ? { kind: 'answer', state: wait.check, answer: outcome.answer } : { state: wait.check, error: outcome.error, every: true };
}

function carries(answer: Json, path: string): boolean {
  return locate(answer, parsePath(path)).length > 0;
}
