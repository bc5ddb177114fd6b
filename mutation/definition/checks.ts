import type { RunbookAssembly } from '../../rehearsal/assembly';
import { allStates } from '../../rehearsal/assembly';
import { type InjectedFault, TASK_TIMEOUT } from '../../rehearsal/dispatch';
import { INJECTED_FAULT } from '../../rehearsal/invariants';
import { scenarioViolations, taskFaultViolations } from '../../rehearsal/judges';
import type { RehearsalResult } from '../../rehearsal/run';
import type { FixtureName } from '../../rehearsal/fixtures';
import { SCENARIOS, type Scenario } from '../../rehearsal/scenarios';

/**
 * What the mutation run asks of a mutant: the checks the test suite makes of the real definition,
 * judged by the same functions (rehearsal/judges.ts): the scenario table with its invariants, the
 * fault matrix (every Task fails once; every Task with a TimeoutSeconds is once never answered),
 * and the transient-fault matrix (every Retry rule's error, once, must change nothing). Each check names what it runs and judges a result: an empty list
 * means the mutant passed it.
 */
export interface Check {
  /** `scenario:<name>`, `fault:<state>`, `no-answer:<state>` or `transient:<state>:<error>`. */
  readonly id: string;
  readonly scenario: Scenario;
  readonly fault?: InjectedFault;
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

/** The scenarios of the table that run on `fixture` (as test/support/scenario-table.ts picks them). */
export function scenariosOn(fixture: FixtureName): Scenario[] {
  return SCENARIOS.filter((s) => !s.fixtures || s.fixtures.includes(fixture));
}

/** The scenario checks: the table on the assembly's fixture, judged against the real definition (never the mutant's). */
export function scenarioChecks(assembly: RunbookAssembly): Check[] {
  return scenariosOn(assembly.fixture).map((s) => ({ id: `scenario:${s.name}`, scenario: s, judge: (r) => scenarioViolations(s, r, assembly.definition) }));
}

/**
 * Every check: the scenario checks, then a fault and a transient check per Task state (and Retry
 * rule), each on the first scenario whose undisturbed run (`baselines`) enters the state.
 */
export function deriveChecks(assembly: RunbookAssembly, baselines: ReadonlyMap<string, Baseline>): Check[] {
  const { definition } = assembly;
  const checks = scenarioChecks(assembly);
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    // As the fault matrix picks it: the first scenario of the table whose undisturbed run enters the state.
    const base = scenariosOn(assembly.fixture).find((s) => baselines.get(`scenario:${s.name}`)?.entered.includes(name));
    // None does: its mutants are reported unreached (the fault matrix's coverage test names it too).
    if (!base) continue;
    const before = baselines.get(`scenario:${base.name}`) as Baseline;
    checks.push({
      id: `fault:${name}`,
      scenario: base,
      fault: { state: name, error: INJECTED_FAULT },
      judge: (result) => taskFaultViolations(definition, name, { scenario: base, status: before.status, error: before.error, cause: before.cause }, result),
    });
    // A call never answered ends at the Task's TimeoutSeconds, as a failure of the state. (The
    // approval's callback is the approvers' to answer: the approval-timed-out scenario is its case.)
    if (typeof state.TimeoutSeconds === 'number' && !String(state.Resource).endsWith('.waitForTaskToken')) {
      const faultBase = { scenario: base, status: before.status, error: before.error, cause: before.cause };
      checks.push({
        id: `no-answer:${name}`,
        scenario: base,
        fault: { kind: 'no-answer', state: name },
        judge: (result) => taskFaultViolations(definition, name, faultBase, result, TASK_TIMEOUT),
      });
    }
    // A Retry rule exists for a transient error: that error, once, must change nothing about the outcome.
    for (const rule of (state.Retry ?? []) as { ErrorEquals: string[] }[]) {
      const error = transientErrorFor(rule.ErrorEquals);
      checks.push({ id: `transient:${name}:${error}`, scenario: base, fault: { state: name, error }, judge: (r) => scenarioViolations(base, r, definition) });
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
