import type { RunbookAssembly } from '../../rehearsal/assembly';
import type { FixtureName } from '../../rehearsal/fixtures';
import { rehearse } from '../../rehearsal/run';
import { findScenario, type Scenario } from '../../rehearsal/scenarios';
import { runbookAssembly } from '../support/assembly';
import { actionsOf, policyDocuments, type Statement, withoutStatements } from '../support/template-policies';

/**
 * The statements the stack grants for a restore beyond RDS itself are needed on the deployments
 * that have what they are for: taken out of the template (the rehearsal's IAM is rebuilt from it,
 * per assembly object), the restore of that deployment fails as AWS would fail it, and the rollback
 * stops there. With them, the same scenario restores (the scenario table of each fixture).
 */
const RESTORE = 'Restore the snapshot beside the original';
const SETTINGS = 'Apply the settings the restore cannot set';

/** The fixture's assembly with the one statement `which` matches taken out of the template. */
function without(fixture: FixtureName, which: (s: Statement) => boolean): { assembly: RunbookAssembly; removed: number } {
  const assembly = runbookAssembly(fixture);
  const removed = policyDocuments(assembly.template).flatMap((d) => d.Statement.filter(which)).length;
  return { assembly: { ...assembly, template: withoutStatements(assembly.template, which) }, removed };
}

describe("the stack's restore grants are needed", () => {
  it("without the kms:CreateGrant statement, the terraform deployment's restore (its snapshot encrypted with the modules' own key) ends RollbackFailed with Rds.KmsKeyNotAccessibleException", async () => {
    const { assembly, removed } = without('terraform', (s) => actionsOf(s).includes('kms:creategrant'));

    const result = await rehearse({ assembly, scenario: findScenario('upgrade-returns-500') as Scenario });

    expect(removed).toBe(1);
    expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    expect(result.calls.filter((c) => c.error && c.state === RESTORE).map((c) => c.error)).toEqual(['Rds.KmsKeyNotAccessibleException']);
    expect(result.cause).toContain('Rds.KmsKeyNotAccessibleException');
  });

  it("without the iam:PassRole statement for monitoring.rds.amazonaws.com, the console deployment's enhanced monitoring cannot be put back: RollbackFailed, the role not passed", async () => {
    const { assembly, removed } = without('console', (s) => actionsOf(s).includes('iam:passrole') && JSON.stringify(s.Condition ?? {}).includes('monitoring.rds.amazonaws.com'));

    const result = await rehearse({ assembly, scenario: findScenario('upgrade-returns-500') as Scenario });

    expect(removed).toBe(1);
    expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    const failed = result.calls.filter((c) => c.error && (c.state === RESTORE || c.state === SETTINGS));
    expect(failed.map((c) => [c.state, c.error])).toEqual([[SETTINGS, 'Rds.RdsException']]);
    expect(result.cause).toMatch(/iam:PassRole/);
  });
});
