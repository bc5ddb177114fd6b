import type { Json, RunbookAssembly } from '../../rehearsal/assembly';
import { allStates } from '../../rehearsal/assembly';
import { invariantViolations, rollbackStates } from '../../rehearsal/invariants';
import { outcomeOf } from '../../rehearsal/outcome';
import type { RehearsalResult } from '../../rehearsal/run';
import { SCENARIOS, type Scenario } from '../../rehearsal/scenarios';
import { INJECTED_FAULT, PROPOSED_SCENARIOS, type ProposedScenario, proposedInvariantViolations, recordViolations, reportOf, type VariantName } from '../proposed-scenarios';

/**
 * What the mutation run asks of a mutant: the checks the test suite makes of the real definition
 * (the scenario table with its invariants, the fault matrix), the transient-fault matrix (every
 * Retry rule's error, once), and the proposed scenarios and invariants of mutation/proposed-scenarios.ts.
 * Each check names what it runs and judges a result: an empty list means the mutant passed it.
 */
export interface Check {
  /** `scenario:<name>`, `fault:<state>`, `transient:<state>:<error>` or `proposed:<name>`. */
  readonly id: string;
  readonly variant: VariantName;
  readonly scenario: Scenario;
  readonly fault?: { readonly state: string; readonly error: string };
  /** The world acting through the definition (see ProposedScenario.fixture). */
  readonly fixture?: ProposedScenario['fixture'];
  judge(result: RehearsalResult): string[];
}

/** How an undisturbed run of a scenario went: what a fault check compares against. */
export interface Baseline {
  readonly status: RehearsalResult['status'];
  readonly error: string | null;
  readonly cause: string | null;
  /** Every state the run entered: a mutant of a state no run enters cannot be killed by it. */
  readonly entered: readonly string[];
}

/** The fault matrix's injected error: matched by no Retry, caught only by catch-alls. */
const INJECTED = INJECTED_FAULT;
/** States that run before anything changed: a failure ends the execution at once, with nothing to roll back. */
const PREFLIGHT = ['Validate the execution input', 'Describe the DB instance', 'Describe the ECS service', 'Check the deployment is quiet', 'Check no other migration is running'];
/** Scenarios that together reach every Task state (as in test/fault-matrix.test.ts). */
const FAULT_BASES = ['happy-path', 'pinned-image-moved', 'upgrade-times-out-but-succeeded', 'upgrade-returns-500', 'verify-not-up-to-date', 'restore-fails', 'dry-run'];
const MUTATING = /:(create|update|modify|restore|register|addTags)\w*$/i;

/** What rehearsal-scenarios.test.ts asserts of every scenario, plus the proposed invariants. */
export function scenarioViolations(scenario: Scenario, result: RehearsalResult, definition: Record<string, Json>): string[] {
  const v: string[] = [];
  const want = scenario.expect;
  const outcome = outcomeOf(result);
  const ended = `${result.status} ${result.error ?? ''}`.trim();
  const expected = `${want.status} ${want.error ?? ''}`.trim();
  if (ended !== expected) v.push(`ended ${ended}, expected ${expected}`);
  if (outcome.databaseRestored !== want.databaseRestored) v.push(`databaseRestored ${outcome.databaseRestored}, expected ${want.databaseRestored}`);
  if (outcome.finalSchema !== want.finalSchema) v.push(`final schema ${outcome.finalSchema}, expected ${want.finalSchema}`);
  const versions = [...new Set(outcome.finalServiceVersions)];
  if (want.finalServiceVersion && (versions.length !== 1 || versions[0] !== want.finalServiceVersion)) {
    v.push(`the service answers ${versions.join(', ') || 'nothing'}, expected ${want.finalServiceVersion}`);
  }
  if (result.deployment.ledger.patchRequests > 1) v.push(`PATCH /upgrade sent ${result.deployment.ledger.patchRequests} times`);
  if (want.noAwsCall && result.calls.some((c) => c.resource.includes(':aws-sdk:'))) v.push('an AWS call was made on bad input');
  if (want.readOnly) {
    const changing = result.calls.filter((c) => MUTATING.test(c.resource)).map((c) => c.state);
    if (changing.length > 0 || result.deployment.rds.snapshots.length > 0) v.push(`a read-only run changed something: ${changing.join(', ') || 'a snapshot'}`);
  }
  const rollsBack = want.status === 'FAILED' && want.error !== 'RollbackFailed' && want.error !== 'PreflightFailed' && !want.noAwsCall && !want.readOnly;
  if (rollsBack) {
    v.push(...invariantViolations(result, { rollbackMayFail: false }));
    if (!(result.cause ?? '').includes(result.error ?? '\u0000')) v.push('the cause does not name the error');
  }
  // A rollback ends with its report as the cause (the fallback without one is for a failed writer).
  const reported = reportOf(result)?.outcome;
  if (rollsBack && reported !== 'ROLLED_BACK') v.push(`the cause is not the rollback report (${String(reported)})`);
  if (want.error === 'RollbackFailed' && reported !== 'ROLLBACK_FAILED') v.push(`the cause is not the failed-rollback report (${String(reported)})`);
  v.push(...proposedInvariantViolations(result, scenario, definition));
  return v;
}

/**
 * The scenario checks: the table and the proposed scenarios. They need no baseline to be derived.
 * Each is judged against its variant's real definition (`definitions`), never the mutant's.
 */
export function scenarioChecks(definitions: Record<VariantName, Record<string, Json>>): Check[] {
  const table: Check[] = SCENARIOS.map((s) => ({ id: `scenario:${s.name}`, variant: 'default', scenario: s, judge: (r) => scenarioViolations(s, r, definitions.default) }));
  const proposed: Check[] = PROPOSED_SCENARIOS.map((p: ProposedScenario) => ({
    id: `proposed:${p.scenario.name}`,
    variant: p.variant,
    scenario: p.scenario,
    fixture: p.fixture,
    judge: (r) => scenarioViolations(p.scenario, r, definitions[p.variant]),
  }));
  return [...table, ...proposed];
}

/**
 * Every check: the scenario checks, then a fault and a transient check per Task state (and Retry
 * rule), each on the first fault base whose undisturbed run (`baselines`) enters the state.
 */
export function deriveChecks(assemblies: Record<VariantName, RunbookAssembly>, baselines: ReadonlyMap<string, Baseline>): Check[] {
  const assembly = assemblies.default;
  const definitions = { default: assemblies.default.definition, 'approval-off': assemblies['approval-off'].definition };
  const states = allStates(assembly.definition);
  const rollback = rollbackStates(assembly.definition as Record<string, unknown>);
  const catchAll = (name: string) => ((states.get(name)?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes('States.ALL'));
  const scenario = (name: string) => SCENARIOS.find((s) => s.name === name) as Scenario;
  const checks = scenarioChecks(definitions);

  for (const [name, state] of states) {
    if (state.Type !== 'Task') continue;
    const baseName = FAULT_BASES.find((b) => baselines.get(`scenario:${b}`)?.entered.includes(name));
    if (!baseName) throw new Error(`no fault base scenario enters "${name}": the fault matrix cannot reach it`);
    const base = scenario(baseName);
    const before = baselines.get(`scenario:${baseName}`) as Baseline;
    checks.push({
      id: `fault:${name}`,
      variant: 'default',
      scenario: base,
      fault: { state: name, error: INJECTED },
      judge: (result) => {
        const handler = catchAll(name);
        if (handler) {
          // The state handles any failure of its own: the execution ends as it would have.
          const v = result.status === before.status && result.error === before.error ? [] : [`ended ${result.status} ${result.error}, expected ${before.status} ${before.error}`];
          v.push(...recordViolations(result, base));
          if (states.get(handler.Next)?.Type === 'Fail') {
            const record = JSON.parse(before.cause as string) as Record<'error' | 'rollbackError', { Cause: string }>;
            const cause = before.error === 'RollbackFailed' ? record.rollbackError.Cause : record.error.Cause;
            if (result.cause !== cause) v.push('the fallback cause is not the original error');
          }
          return v;
        }
        const v: string[] = [];
        if (result.status !== 'FAILED') v.push(`ended ${result.status}, expected FAILED`);
        if (!(result.cause ?? '').includes('fault injected into') || !(result.cause ?? '').includes(name)) v.push('the cause does not carry the injected fault');
        if (PREFLIGHT.includes(name) || base.expect.readOnly) {
          if (result.error !== INJECTED) v.push(`ended with ${result.error}, expected ${INJECTED}`);
          const changing = result.calls.filter((c) => MUTATING.test(c.resource)).map((c) => c.state);
          if (changing.length > 0) v.push(`changed something before preflight passed: ${changing.join(', ')}`);
          return v;
        }
        const inRollback = rollback.has(name) || baseName === 'restore-fails';
        const error = inRollback ? 'RollbackFailed' : INJECTED;
        if (result.error !== error) v.push(`ended with ${result.error}, expected ${error}`);
        v.push(...invariantViolations(result, { rollbackMayFail: inRollback }), ...proposedInvariantViolations(result, base, assembly.definition));
        return v;
      },
    });
    // A Retry rule exists for a transient error: that error, once, must change nothing about the outcome.
    for (const rule of (state.Retry ?? []) as { ErrorEquals: string[] }[]) {
      const error = transientErrorFor(rule.ErrorEquals);
      checks.push({ id: `transient:${name}:${error}`, variant: 'default', scenario: base, fault: { state: name, error }, judge: (r) => scenarioViolations(base, r, assembly.definition) });
    }
  }
  return checks;
}

/** An error the Retry rule matches: its own first name, or one a States.ALL / States.TaskFailed rule takes. */
function transientErrorFor(errors: readonly string[]): string {
  const own = errors.find((e) => !e.startsWith('States.'));
  if (own) return own;
  return errors.some((e) => e === 'States.ALL' || e === 'States.TaskFailed') ? 'Injected.Transient' : (errors[0] as string);
}
