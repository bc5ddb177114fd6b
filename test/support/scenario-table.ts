import type { FixtureName } from '../../rehearsal/fixtures';
import { invariantViolations, parityViolations, safetyViolations } from '../../rehearsal/invariants';
import { outcomeOf } from '../../rehearsal/outcome';
import { rehearse } from '../../rehearsal/run';
import { type Scenario, SCENARIOS } from '../../rehearsal/scenarios';
import { runbookAssembly } from './assembly';

/** Scenarios that end FAILED after a change was made, and so must have rolled back. */
const ROLLS_BACK = SCENARIOS.filter(
  (s) => s.expect.status === 'FAILED' && s.expect.error !== 'RollbackFailed' && !s.expect.noAwsCall && !s.expect.readOnly && !s.expect.untouched && s.expect.error !== 'PreflightFailed',
);

/**
 * The scenario table on one deployment fixture: every scenario ends as it expects, keeps the safety
 * invariants, and every one that fails after a change rolls back with the database equal to the
 * original. One test file per fixture, so jest spreads the fixtures over its workers.
 */
export function scenarioTable(fixture: FixtureName): void {
  const results = new Map<string, ReturnType<typeof rehearse>>();
  const run = (scenario: Scenario) => {
    let result = results.get(scenario.name);
    if (!result) {
      result = rehearse({ assembly: runbookAssembly(fixture), scenario });
      results.set(scenario.name, result);
    }
    return result;
  };

  describe(`every scenario on the ${fixture} deployment`, () => {
    it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s ends as the scenario expects, and safely', async (_name, scenario) => {
      const result = await run(scenario);
      const outcome = outcomeOf(result);

      expect({ status: result.status, error: result.error }).toEqual({ status: scenario.expect.status, error: scenario.expect.error ?? null });
      expect(outcome.databaseRestored).toBe(scenario.expect.databaseRestored);
      expect(outcome.finalSchema).toBe(scenario.expect.finalSchema);
      if (scenario.expect.finalServiceVersion) {
        expect(new Set(outcome.finalServiceVersions)).toEqual(new Set([scenario.expect.finalServiceVersion]));
      }
      expect(safetyViolations(result)).toEqual([]);
      for (const words of scenario.expect.causeMentions ?? []) expect(result.cause).toContain(words);
      if (scenario.expect.noAwsCall) {
        expect(result.calls.filter((c) => c.resource.includes(':aws-sdk:'))).toEqual([]);
      }
      if (scenario.expect.databaseServing !== undefined) {
        const dbId = result.deployment.config.deployment.dbInstanceIdentifier;
        expect({ serving: result.deployment.rds.connect(dbId) !== null }).toEqual({ serving: scenario.expect.databaseServing });
      }
      if (scenario.expect.error === 'RollbackFailed') {
        expect(invariantViolations(result, { rollbackMayFail: true })).toEqual([]);
      }
      if (scenario.expect.untouched) {
        const service = result.deployment.ecs.describeService();
        expect({ taskDefinition: service.TaskDefinition, desiredCount: service.DesiredCount, deployments: (service.Deployments as unknown[]).length }).toEqual({
          taskDefinition: result.deployment.originalTaskDefinition,
          desiredCount: result.deployment.originalDesiredCount,
          deployments: 1,
        });
        expect(result.calls.filter((c) => /:(updateService|createDBSnapshot|modifyDBInstance|restoreDBInstanceFromDBSnapshot)$/.test(c.resource) && !c.error).map((c) => c.state)).toEqual([]);
        expect(result.deployment.rds.snapshots).toEqual([]);
        // The plan's task, if one was started, is stopped.
        expect(result.deployment.ecs.standalone.filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.arn)).toEqual([]);
      }
      if (scenario.expect.readOnly) {
        expect(result.calls.filter((c) => /:(create|update|modify|restore|register)\w*$/i.test(c.resource)).map((c) => c.state)).toEqual([]);
        expect(result.deployment.rds.snapshots).toEqual([]);
      }
    });

    it.each(ROLLS_BACK.map((s) => [s.name, s] as const))(
      '%s rolls back: original count and release, restore exactly when the upgrade was sent, the restored database equal to the original, snapshot kept',
      async (_name, scenario) => {
        const result = await run(scenario);

        expect(invariantViolations(result, { rollbackMayFail: false })).toEqual([]);
        expect(parityViolations(result)).toEqual([]);
        expect(result.cause).toContain(result.error as string);
      },
    );
  });
}
