import type { FixtureName } from '../../rehearsal/fixtures';
import { endViolations, rollbackViolations, rollsBack } from '../../rehearsal/judges';
import { rehearse } from '../../rehearsal/run';
import { type Scenario, SCENARIOS } from '../../rehearsal/scenarios';
import { runbookAssembly } from './assembly';

/**
 * The scenario table on one deployment fixture: every scenario ends as it expects, keeps the safety
 * invariants and tells the truth in its record, and every one that fails after a change rolls back
 * with the database equal to the original. One test file per fixture, so jest spreads the fixtures
 * over its workers. The judges are rehearsal/judges.ts, which the mutation run shares.
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

  const scenarios = SCENARIOS.filter((s) => !s.fixtures || s.fixtures.includes(fixture));
  describe(`every scenario on the ${fixture} deployment`, () => {
    it.each(scenarios.map((s) => [s.name, s] as const))('%s ends as the scenario expects, safely, with a truthful record', async (_name, scenario) => {
      const result = await run(scenario);

      expect(endViolations(scenario, result, runbookAssembly(fixture).definition)).toEqual([]);
    });

    it.each(scenarios.filter(rollsBack).map((s) => [s.name, s] as const))(
      '%s rolls back: original count and release, restore exactly when the upgrade was sent, the restored database equal to the original, snapshot kept',
      async (_name, scenario) => {
        const result = await run(scenario);

        expect(rollbackViolations(result)).toEqual([]);
      },
    );
  });
}
