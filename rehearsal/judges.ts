import { nestedStates } from '../workflows/asl';
import { allStates, type Json } from './assembly';
import { INJECTED_FAULT, invariantViolations, parityViolations, recordInvariantViolations, reportOf, rollbackStates, safetyViolations } from './invariants';
import { outcomeOf } from './outcome';
import type { RehearsalResult } from './run';
import type { Scenario } from './scenarios';

/**
 * What a rehearsal is judged by, in words: the scenario table's assertions (test/support/
 * scenario-table.ts) and the fault matrix's, as functions the test suite and the mutation run
 * (mutation/definition/checks.ts) share. Each returns the broken promises; empty when all hold.
 * `definition` is always the real one: a mutant is judged against what the runbook promises, not
 * against what the mutant would make of it.
 */

/** Calls that change the deployment, by the Task's resource. */
const CHANGES = /:(create|update|modify|restore|register)\w*$/i;
/** What the fault matrix counts as a change before preflight passed: tagging too. */
const CHANGES_OR_TAGS = /:(create|update|modify|restore|register|addTags)\w*$/i;
/** An instance's changes and an Aurora cluster's (workflows/database): neither kind may change anything when untouched. */
const UNTOUCHED_CALLS = /:(updateService|createDB(Cluster)?Snapshot|modifyDB(Instance|Cluster)|restoreDB\w+|createDBInstance)$/;

/** The audit record: the output of a succeeded execution, the cause of a failed one that wrote its report. */
function auditRecordOf(result: RehearsalResult): Record<string, unknown> {
  if (result.status === 'SUCCEEDED') return (result.output ?? {}) as Record<string, unknown>;
  try {
    return (JSON.parse(result.cause ?? '') ?? {}) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A scenario that ends FAILED after a change was made, and so must have rolled back. */
export function rollsBack(scenario: Scenario): boolean {
  const e = scenario.expect;
  return e.status === 'FAILED' && e.error !== 'RollbackFailed' && e.error !== 'PreflightFailed' && !e.noAwsCall && !e.readOnly && !e.untouched;
}

/** The scenario ends as it expects, safely, and its record tells the truth. */
export function endViolations(scenario: Scenario, result: RehearsalResult, definition: Record<string, Json>): string[] {
  const v: string[] = [];
  const want = scenario.expect;
  const outcome = outcomeOf(result);
  const { deployment } = result;
  const ended = `${result.status} ${result.error ?? ''}`.trim();
  const expected = `${want.status} ${want.error ?? ''}`.trim();
  if (ended !== expected) v.push(`ended ${ended}, expected ${expected}`);
  if (outcome.databaseRestored !== want.databaseRestored) v.push(`databaseRestored ${outcome.databaseRestored}, expected ${want.databaseRestored}`);
  if (outcome.finalSchema !== want.finalSchema) v.push(`final schema ${outcome.finalSchema}, expected ${want.finalSchema}`);
  const versions = [...new Set(outcome.finalServiceVersions)];
  if (want.finalServiceVersion && (versions.length !== 1 || versions[0] !== want.finalServiceVersion)) {
    v.push(`the service answers ${versions.join(', ') || 'nothing'}, expected ${want.finalServiceVersion}`);
  }
  v.push(...safetyViolations(result));
  for (const words of want.causeMentions ?? []) if (!(result.cause ?? '').includes(words)) v.push(`the cause does not mention "${words}"`);
  if (want.noAwsCall && result.calls.some((c) => c.resource.includes(':aws-sdk:'))) v.push('an AWS call was made on bad input');
  if (want.databaseServing !== undefined) {
    const { serving } = deployment.database();
    if (serving !== want.databaseServing) v.push(`a database ${serving ? 'serves' : 'does not serve'} under the original identifier`);
  }
  if (want.error === 'RollbackFailed') {
    v.push(...invariantViolations(result, { rollbackMayFail: true }).filter((x) => !v.includes(x)));
    if (reportOf(result)?.outcome !== 'ROLLBACK_FAILED') v.push(`the cause is not the failed-rollback report (${String(reportOf(result)?.outcome)})`);
  }
  if (want.untouched) {
    const service = deployment.ecs.describeService();
    if (service.TaskDefinition !== deployment.originalTaskDefinition) v.push(`the service runs ${String(service.TaskDefinition)}, not its original task definition`);
    if (service.DesiredCount !== deployment.originalDesiredCount) v.push(`the service runs ${String(service.DesiredCount)} tasks, not ${deployment.originalDesiredCount}`);
    if ((service.Deployments as unknown[]).length !== 1) v.push('the service has more than its one deployment');
    const changed = result.calls.filter((c) => UNTOUCHED_CALLS.test(c.resource) && !c.error).map((c) => c.state);
    if (changed.length > 0) v.push(`an untouched run changed something: ${changed.join(', ')}`);
    if (deployment.rds.snapshotIds().length > 0) v.push('an untouched run took a snapshot');
    const running = deployment.ecs.standalone.filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.arn);
    if (running.length > 0) v.push(`the plan task is not stopped: ${running.join(', ')}`);
  }
  // Who started and who answered, as the record names them, and whether each was verified.
  const record = auditRecordOf(result);
  if (want.requester) {
    const requester = (record.requester ?? {}) as { id?: unknown; verified?: unknown };
    if (requester.id !== want.requester.id || requester.verified !== want.requester.verified) {
      v.push(`the record's requester is ${JSON.stringify({ id: requester.id, verified: requester.verified })}, expected ${JSON.stringify(want.requester)}`);
    }
  }
  if (want.answeredBy) {
    const approval = (record.approval ?? {}) as Record<string, unknown>;
    const answered = { id: approval.approvedBy ?? approval.rejectedBy ?? null, verified: approval.verified };
    if (answered.id !== want.answeredBy.id || answered.verified !== want.answeredBy.verified) {
      v.push(`the record's approval was answered by ${JSON.stringify(answered)}, expected ${JSON.stringify(want.answeredBy)}`);
    }
  }
  if (want.attempts) {
    const statuses = result.approvalAttempts.map((a) => a.status);
    if (statuses.join(',') !== want.attempts.join(',')) v.push(`the endpoint answered the approvals ${statuses.join(', ') || 'never'}, expected ${want.attempts.join(', ')}`);
  }
  if (want.readOnly) {
    const changed = result.calls.filter((c) => CHANGES.test(c.resource)).map((c) => c.state);
    if (changed.length > 0 || deployment.rds.snapshotIds().length > 0) v.push(`a read-only run changed something: ${changed.join(', ') || 'a snapshot'}`);
  }
  v.push(...recordInvariantViolations(result, scenario, definition));
  return v;
}

/**
 * A scenario that fails after a change rolled back: the original count and release, a restore
 * exactly when the upgrade was sent, the restored database equal to the original, the snapshot
 * kept; the cause names the error and is the rollback report.
 */
export function rollbackViolations(result: RehearsalResult): string[] {
  const v = [...invariantViolations(result, { rollbackMayFail: false }), ...parityViolations(result).map((p) => `parity: ${p}`)];
  if (!(result.cause ?? '').includes(result.error ?? '\u0000')) v.push('the cause does not name the error');
  if (reportOf(result)?.outcome !== 'ROLLED_BACK') v.push(`the cause is not the rollback report (${String(reportOf(result)?.outcome)})`);
  return v;
}

/** Everything the scenario table asks of one scenario. */
export function scenarioViolations(scenario: Scenario, result: RehearsalResult, definition: Record<string, Json>): string[] {
  const v = endViolations(scenario, result, definition);
  if (rollsBack(scenario)) v.push(...rollbackViolations(result).filter((x) => !v.includes(x)));
  return v;
}

/**
 * The states outside every phase (every Parallel): preflight, the plan, the dry run. They have no
 * Catch to roll back from, so a failure there ends the execution at once, having changed nothing
 * (the fault matrix reads the definition the same way: test/support/fault-matrix.ts).
 */
export function outsidePhases(definition: Record<string, Json>): Set<string> {
  return new Set(Object.keys(definition.States as Record<string, Json>));
}

/** How an undisturbed run of the scenario a fault is injected into ended. */
export interface FaultBase {
  readonly scenario: Scenario;
  readonly status: RehearsalResult['status'];
  readonly error: string | null;
  readonly cause: string | null;
}

/**
 * The fault matrix's verdict on `state` failing once with INJECTED_FAULT (or `injectedError`: a
 * call never answered fails with States.Timeout) in `base`'s scenario
 * (test/fault-matrix.test.ts): a Task that handles any failure of its own ends the execution as the
 * base did (or, cleaning up, fails with the error it caught); one outside every phase ends the
 * execution at once, changing nothing; any other ends FAILED with the fault in the cause and the
 * deployment rolled back (RollbackFailed when it is part of the rollback, or the rollback fails anyway).
 */
export function taskFaultViolations(definition: Record<string, Json>, state: string, base: FaultBase, result: RehearsalResult, injectedError = INJECTED_FAULT): string[] {
  const states = allStates(definition);
  const catchAll = catchAllOf(states.get(state));
  const inRollbackBranch = rollbackStates(definition as Record<string, unknown>).has(state);
  // A Catch that cleans up and then fails on purpose (the plan task stopped, then the run ends) is
  // judged as any failure, with the errors of the Fail states it leads to allowed.
  const bestEffort = isBestEffort(states, state);
  const reraised = !bestEffort && catchAll !== undefined && result.status === 'FAILED' && (result.cause ?? '').includes('fault injected into') && base.status !== 'FAILED';
  const own = reraised ? failErrorsAfter(states, catchAll.Next) : [];
  // Where the Catch leads, step by step, to a Fail: the failure ends there, the error that Fail names
  // (not the raw one) and, when it ends with the record, the record as the cause.
  const end = reraised ? failReachedFrom(states, catchAll.Next) : undefined;
  // A recovery inside the rollback (the swap undone) ends the rollback as failed, with the fault in the cause.
  const recovers = !bestEffort && catchAll !== undefined && inRollbackBranch && result.error === 'RollbackFailed' && base.error !== 'RollbackFailed';
  const v: string[] = [];
  if (catchAll && !reraised && !recovers) {
    if (result.status !== base.status || result.error !== base.error) v.push(`ended ${result.status} ${result.error}, expected ${base.status} ${base.error}`);
    if (states.get(catchAll.Next)?.Type === 'Fail') {
      // Writing the report failed: the cause is the original error's own.
      const record = JSON.parse(base.cause as string) as Record<'error' | 'rollbackError', { Cause: string }>;
      const cause = base.error === 'RollbackFailed' ? record.rollbackError.Cause : record.error.Cause;
      if (result.cause !== cause) v.push('the fallback cause is not the original error');
    }
    return [...v, ...recordInvariantViolations(result, base.scenario, definition)];
  }
  if (result.status !== 'FAILED') v.push(`ended ${result.status}, expected FAILED`);
  if (!(result.cause ?? '').includes('fault injected into') || !(result.cause ?? '').includes(state)) v.push('the cause does not carry the injected fault');
  if (end?.CausePath === REPORT_CAUSE && !reportOf(result)) v.push(`the cause is not the record its Catch writes (${end.name})`);
  if (outsidePhases(definition).has(state) || base.scenario.expect.readOnly) {
    if (own.length > 0 ? !own.includes(result.error ?? '') : result.error !== injectedError) v.push(`ended with ${result.error}, expected ${own.length > 0 ? own.join(' or ') : injectedError}`);
    const changing = result.calls.filter((c) => CHANGES_OR_TAGS.test(c.resource)).map((c) => c.state);
    if (changing.length > 0) v.push(`changed something before preflight passed: ${changing.join(', ')}`);
    // Before any change, yet the plan task may have been started: it must not be left running.
    return [...v, ...safetyViolations(result)];
  }
  // A state without a Catch of its own fails the Map or Parallel around it: the innermost one that
  // catches every error must take the failure where its Catch leads (the swap undone, say).
  const around = catchAll ? undefined : enclosingCatch(definition, state);
  if (around && !result.states.some((r) => r.name === around.next)) {
    v.push(`the failure of "${state}" did not go where the Catch of "${around.owner}" leads ("${around.next}")`);
  }
  const inRollback = inRollbackBranch || base.error === 'RollbackFailed';
  const allowed = [inRollback ? 'RollbackFailed' : injectedError, ...own];
  if (!allowed.includes(result.error ?? '')) v.push(`ended with ${result.error}, expected ${allowed.join(' or ')}`);
  v.push(...invariantViolations(result, { rollbackMayFail: inRollback }), ...recordInvariantViolations(result, base.scenario, definition));
  return v;
}

/** A state's Catch rule that takes every error, if it has one. */
function catchAllOf(state: Record<string, Json> | undefined): { ErrorEquals: string[]; Next: string; ResultPath?: string | null } | undefined {
  return ((state?.Catch ?? []) as { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[]).find((c) => c.ErrorEquals.includes('States.ALL'));
}

/** The innermost Map or Parallel around `target` whose Catch takes every error, if one does. */
export function enclosingCatch(definition: Record<string, Json>, target: string): { owner: string; next: string } | undefined {
  type Nesting = Parameters<typeof nestedStates<Record<string, Record<string, Json>>>>[0];
  const search = (states: Record<string, Record<string, Json>>, around: { owner: string; next: string } | undefined): { found: boolean; around?: { owner: string; next: string } } => {
    for (const [name, state] of Object.entries(states)) {
      if (name === target) return { found: true, around };
      const all = catchAllOf(state);
      for (const nested of nestedStates(state as Nesting)) {
        const hit = search(nested, all ? { owner: name, next: all.Next } : around);
        if (hit.found) return hit;
      }
    }
    return { found: false };
  };
  return search(definition.States as Record<string, Record<string, Json>>, undefined).around;
}

/**
 * A Task whose Catch of every error goes where the Task goes anyway, and whose caught error no
 * Choice reads, is best effort (a notification, a tag): its failure must change nothing about how
 * the execution ends. (A Catch whose error a Choice reads, the plan's, may end the run later.)
 */
export function isBestEffort(states: Map<string, Record<string, Json>>, state: string): boolean {
  const own = states.get(state);
  const catchAll = catchAllOf(own);
  if (!catchAll || catchAll.Next !== own?.Next) return false;
  const at = catchAll.ResultPath;
  if (typeof at !== 'string') return at === null;
  const read: string[] = [];
  const collect = (rule: Record<string, Json>): void => {
    if (typeof rule.Variable === 'string') read.push(rule.Variable);
    for (const key of ['And', 'Or']) for (const r of (rule[key] ?? []) as Record<string, Json>[]) collect(r);
    if (rule.Not) collect(rule.Not as Record<string, Json>);
  };
  for (const s of states.values()) for (const rule of (s.Choices ?? []) as Record<string, Json>[]) collect(rule);
  return !read.some((v) => v === at || v.startsWith(`${at}.`) || v.startsWith(`${at}[`));
}

/** Where a Fail state's cause is the record the report writer composed. */
const REPORT_CAUSE = '$.reportText.text';

/**
 * The Fail state a Catch leads to through Pass and Task states (each Task's own Next: the path
 * when nothing else fails), or undefined where a Choice decides first.
 */
function failReachedFrom(states: Map<string, Record<string, Json>>, name: string, seen = new Set<string>()): (Record<string, Json> & { name: string }) | undefined {
  const state = states.get(name);
  if (!state || seen.has(name)) return undefined;
  if (state.Type === 'Fail') return { ...state, name };
  seen.add(name);
  return (state.Type === 'Pass' || state.Type === 'Task') && typeof state.Next === 'string' ? failReachedFrom(states, state.Next, seen) : undefined;
}

/** The named errors of the Fail states a Catch leads to through Pass states. */
function failErrorsAfter(states: Map<string, Record<string, Json>>, name: string): string[] {
  const state = states.get(name);
  if (state?.Type === 'Fail') return typeof state.Error === 'string' ? [state.Error] : [];
  return state?.Type === 'Pass' && typeof state.Next === 'string' ? failErrorsAfter(states, state.Next) : [];
}
