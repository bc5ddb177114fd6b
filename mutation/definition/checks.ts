import type { RunbookAssembly } from '../../rehearsal/assembly';
import { allStates } from '../../rehearsal/assembly';
import { type InjectedFault, TASK_TIMEOUT } from '../../rehearsal/dispatch';
import { INJECTED_FAULT } from '../../rehearsal/invariants';
import { scenarioViolations, taskFaultViolations } from '../../rehearsal/judges';
import type { RehearsalResult } from '../../rehearsal/run';
import type { FixtureName } from '../../rehearsal/fixtures';
import { findScenario, SCENARIOS, type Scenario } from '../../rehearsal/scenarios';
import { type Baseline as MatrixBaseline, FaultMatrix, omitFault, type WaitOutcome, waitFault } from '../../test/support/fault-matrix';

/**
 * What the mutation run asks of a mutant: the checks the test suite makes of the real definition,
 * judged by the same functions (rehearsal/judges.ts): the scenario table with its invariants, the
 * fault matrix (every Task fails once; every Task with a TimeoutSeconds is once never answered),
 * and the transient-fault matrix (every Retry rule's error, once, must change nothing). Each check names what it runs and judges a result: an empty list
 * means the mutant passed it.
 */
export interface Check {
  /** `scenario:<name>`, `fault:<state>`, `no-answer:<state>`, `transient:<state>:<error>`, `wait:<check>:<outcome>` or `without:<task>:<field>`. */
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
 * rule), each on the first scenario whose undisturbed run (`baselines`) enters the state, then the
 * fault matrix's kind 3 (an answer without a field) and its bounded waits (kind 2) from its
 * recorded runs (`matrixBaselines`): a wait told
 * "not yet" every time must check exactly its bound and give up, which a swapped "attempts left?"
 * or a wait no scenario keeps waiting would otherwise pass.
 */
export function deriveChecks(assembly: RunbookAssembly, baselines: ReadonlyMap<string, Baseline>, matrixBaselines: readonly MatrixBaseline[] = []): Check[] {
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
  if (matrixBaselines.length > 0) {
    const matrix = new FaultMatrix(assembly, matrixBaselines);
    checks.push(...waitChecks(matrix), ...answerFieldChecks(matrix));
  }
  return checks;
}

/**
 * The fault matrix's kind 3, as checks: each field of an AWS answer the runbook reads, left out of
 * the first answer that carries it. A guard that looks at another element (`Deployments[1]` for
 * `[0]`) or a Choice that no longer reads a field's absence as "gone for good" differs here only.
 */
function answerFieldChecks(matrix: FaultMatrix): Check[] {
  return matrix.fields().flatMap((field) => {
    const base = matrix.carrying(field);
    if (!base) return [];
    return [
      {
        id: `without:${field.task}:${field.path}`,
        scenario: findScenario(base.scenario) as Scenario,
        fault: omitFault(field),
        judge: (result: RehearsalResult) => matrix.answerWithoutViolations(field, base, result),
      },
    ];
  });
}

/** The fault matrix's kind 2, as checks: each "not yet" outcome of each wait, on the first recorded run that meets it. */
function waitChecks(matrix: FaultMatrix): Check[] {
  return matrix.waits.flatMap((wait) => {
    const outcomes: { base: MatrixBaseline; outcome: WaitOutcome; detail: string }[] = [];
    const recorded = wait.statusNotYet ? matrix.recordedNotYet(wait) : undefined;
    if (recorded) outcomes.push({ base: recorded.base, outcome: { answer: recorded.answer }, detail: 'not yet' });
    const reaching = matrix.reaching(wait.check);
    if (reaching) for (const error of wait.notYetErrors) outcomes.push({ base: reaching, outcome: { error }, detail: error });
    return outcomes.map(({ base, outcome, detail }) => ({
      id: `wait:${wait.check}:${detail}`,
      scenario: findScenario(base.scenario) as Scenario,
      fault: waitFault(wait, outcome),
      judge: (result: RehearsalResult) => matrix.waitGaveUpViolations(wait, outcome, base, result),
    }));
  });
}

/** An error the Retry rule matches: its own first name, or one a States.ALL / States.TaskFailed rule takes. */
function transientErrorFor(errors: readonly string[]): string {
  const own = errors.find((e) => !e.startsWith('States.'));
  if (own) return own;
  return errors.some((e) => e === 'States.ALL' || e === 'States.TaskFailed') ? 'Injected.Transient' : (errors[0] as string);
}
