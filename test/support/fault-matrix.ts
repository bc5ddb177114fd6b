import { allStates, type Json } from '../../rehearsal/assembly';
import { FIXTURES, type FixtureName, isClusterFixture } from '../../rehearsal/fixtures';
import { invariantViolations, rollbackStates } from '../../rehearsal/invariants';
import { type RehearsalResult, rehearse } from '../../rehearsal/run';
import { findScenario, type Scenario } from '../../rehearsal/scenarios';
import { DATABASE_STATE_NAMES } from '../../workflows/database/names';
import { runbookAssembly } from './assembly';

/**
 * Every Task state of the synthesized definition is made to fail once, in a scenario that reaches
 * it. The list comes from the definition itself, so a new state is covered without editing this file.
 */
const INJECTED = 'Injected.Fault';
/**
 * Scenarios that together reach every Task: the happy path, a pinned image, a lost upgrade answer,
 * a restore with provisioned IOPS, one without, a failed restore, swaps undone (an Aurora cluster's
 * by its instances).
 */
const BASES = [
  'happy-path',
  'pinned-image-moved',
  'upgrade-times-out-but-succeeded',
  'upgrade-returns-500',
  'verify-not-up-to-date',
  'restore-fails',
  'swap-takeover-refused',
  'swap-restored-instance-rename-refused',
  'dry-run',
];
const MUTATING = /:(create|update|modify|restore|register|addTags)\w*$/i;

/**
 * The fault matrix on one deployment fixture (one test file per fixture, so jest runs them side by
 * side): the definition synthesized for its database kind, every Task of it failing once.
 */
export function faultMatrix(fixture: FixtureName): void {
  const assembly = runbookAssembly(fixture);
  /** Failing before anything changed ends the execution at once: there is nothing to roll back. */
  const PREFLIGHT = [
    'Validate the execution input',
    ...DATABASE_STATE_NAMES[isClusterFixture(FIXTURES[fixture]) ? 'cluster' : 'instance'].describe,
    'Describe the ECS service',
    'Check the deployment is quiet',
    'Check no other migration is running',
  ];
  const taskStates = [...allStates(assembly.definition)].filter(([, s]) => s.Type === 'Task').map(([name]) => name);
  const rollback = rollbackStates(assembly.definition as Record<string, unknown>);
  /**
   * Tasks that handle any failure of their own (notifications, tagging, the report writers, the
   * dry run's status read, the looks after a failed rollback): the execution ends as it would have.
   */
  const states = allStates(assembly.definition);
  const catchesAll = (name: string) => ((states.get(name)?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes('States.ALL'));
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

  describe(`fault matrix on the ${fixture} deployment: every Task state of the definition fails once`, () => {
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
      if (handledLocally.has(state) && !recovers) {
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
      expect(result.error).toBe(inRollback ? 'RollbackFailed' : INJECTED);
      expect(invariantViolations(result, { rollbackMayFail: inRollback })).toEqual([]);
    });
  });

  describe(`mutations of the failure wiring are caught on the ${fixture} deployment`, () => {
    it.each([
      ['Upgrade the schema and return to service', 'upgrade-returns-500'],
      ['Prepare: snapshot, one task, migration service', 'schema-unknown-to-image'],
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
}
