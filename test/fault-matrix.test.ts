import { allStates, type Json } from '../rehearsal/assembly';
import { invariantViolations, rollbackStates } from '../rehearsal/invariants';
import { type RehearsalResult, rehearse } from '../rehearsal/run';
import { findScenario, type Scenario } from '../rehearsal/scenarios';
import { runbookAssembly } from './support/assembly';

/**
 * Every Task state of the synthesized definition is made to fail once, in a scenario that reaches
 * it. The list comes from the definition itself, so a new state is covered without editing this file.
 */
const INJECTED = 'Injected.Fault';
/**
 * Scenarios that together reach every Task: the happy path, a pinned image, a lost upgrade answer,
 * a restore with provisioned IOPS, one without, a failed restore.
 */
const BASES = ['happy-path', 'pinned-image-moved', 'upgrade-times-out-but-succeeded', 'upgrade-returns-500', 'verify-not-up-to-date', 'restore-fails', 'swap-takeover-refused', 'dry-run', 'approval-rejected'];
/** Failing before anything changed ends the execution at once: there is nothing to roll back. */
const PREFLIGHT = [
  'Validate the execution input',
  'Describe the DB instance',
  'Describe the ECS service',
  'Check the deployment is quiet',
  'Check no other migration is running',
];
const MUTATING = /:(create|update|modify|restore|register|addTags)\w*$/i;

const assembly = runbookAssembly();
const taskStates = [...allStates(assembly.definition)].filter(([, s]) => s.Type === 'Task').map(([name]) => name);
const rollback = rollbackStates(assembly.definition as Record<string, unknown>);
/**
 * Tasks that handle any failure of their own (notifications, tagging, the report writers, the
 * dry run's status read, the looks after a failed rollback): the execution ends as it would have.
 */
const states = allStates(assembly.definition);
const catchesAll = (name: string) => ((states.get(name)?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes('States.ALL'));
/** The named errors of the Fail states a Catch leads to through Pass states. */
const failErrorsAfter = (name: string): string[] => {
  const state = states.get(name);
  if (state?.Type === 'Fail') return typeof state.Error === 'string' ? [state.Error] : [];
  return state?.Type === 'Pass' && typeof state.Next === 'string' ? failErrorsAfter(state.Next) : [];
};
const handledLocally = new Set(taskStates.filter((name) => catchesAll(name)));
const baselines = new Map<string, RehearsalResult>();

beforeAll(async () => {
  for (const name of BASES) baselines.set(name, await rehearse({ assembly, scenario: findScenario(name) as Scenario }));
}, 60_000);

/** The first base scenario whose undisturbed run enters the state. */
function baseFor(state: string): Scenario | undefined {
  const name = BASES.find((b) => baselines.get(b)?.states.some((s) => s.name === state));
  return name ? findScenario(name) : undefined;
}

describe('fault matrix: every Task state of the definition fails once', () => {
  it('finds at least the Task states the guide needs', () => {
    expect(taskStates.length).toBeGreaterThanOrEqual(30);
  });

  it.each(taskStates.map((s) => [s]))('"%s" failing leaves the deployment safe and the execution FAILED with the cause', async (state) => {
    const scenario = baseFor(state);
    expect([state, scenario?.name ?? 'reached by no base scenario']).not.toEqual([state, 'reached by no base scenario']);

    const result = await rehearse({ assembly, scenario: scenario as Scenario, fault: { state, error: INJECTED } });

    const baseline = baselines.get(scenario?.name as string) as RehearsalResult;
    // A recovery inside the rollback (the swap undone when the restored instance cannot take the
    // identifier) ends the rollback as failed, with the fault in the cause: checked below as such.
    const recovers = handledLocally.has(state) && rollback.has(state) && result.error === 'RollbackFailed' && baseline.error !== 'RollbackFailed';
    // A Catch that cleans up and fails with the error it caught (the plan task stopped, then the
    // run ends): checked below like any failure.
    const reraises = handledLocally.has(state) && result.status === 'FAILED' && (result.cause ?? '').includes('fault injected into');
    if (handledLocally.has(state) && !recovers && !reraises) {
      expect({ status: result.status, error: result.error }).toEqual({ status: baseline.status, error: baseline.error });
      const next = catchesAll(state)?.Next as string;
      if (states.get(next)?.Type === 'Fail') {
        // Writing the report failed: the cause is the original error's own.
        const record = JSON.parse(baseline.cause as string) as Record<'error' | 'rollbackError', { Cause: string }>;
        expect(result.cause).toBe(baseline.error === 'RollbackFailed' ? record.rollbackError.Cause : record.error.Cause);
      }
      return;
    }
    expect(result.status).toBe('FAILED');
    expect(result.cause).toContain('fault injected into');
    expect(result.cause).toContain(state);
    if (PREFLIGHT.includes(state) || scenario?.expect.readOnly) {
      expect(result.error).toBe(INJECTED);
      expect(result.calls.filter((c) => MUTATING.test(c.resource)).map((c) => c.state)).toEqual([]);
      return;
    }
    const inRollback = rollback.has(state) || scenario?.expect.error === 'RollbackFailed';
    // A Catch that cleans up may fail with an error of its own naming what is left (the plan task).
    const own = reraises ? failErrorsAfter(catchesAll(state)?.Next as string) : [];
    expect([inRollback ? 'RollbackFailed' : INJECTED, ...own]).toContain(result.error);
    expect(invariantViolations(result, { rollbackMayFail: inRollback })).toEqual([]);
  });
});

describe('mutations of the failure wiring are caught', () => {
  it.each([
    ['Upgrade the schema and return to service', 'upgrade-returns-500'],
    ['Prepare: one task, the new image, the snapshot', 'tag-moved-after-approval'],
  ])('removing the Catch of "%s" breaks the invariants of %s', async (parallel, scenarioName) => {
    const definition = JSON.parse(JSON.stringify(assembly.definition)) as Record<string, Json>;
    const states = definition.States as Record<string, Record<string, Json>>;
    expect(states[parallel]?.Catch).toBeDefined();
    delete (states[parallel] as Record<string, Json>).Catch;

    // The failure branch is now unreachable, which the interpreter would refuse outright.
    const result = await rehearse({ assembly: { ...assembly, definition }, scenario: findScenario(scenarioName) as Scenario, validateDefinition: false });

    expect(invariantViolations(result, { rollbackMayFail: false })).not.toEqual([]);
  });
});
