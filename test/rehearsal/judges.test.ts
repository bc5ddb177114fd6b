import { endViolations } from '../../rehearsal/judges';
import { rehearse } from '../../rehearsal/run';
import { findScenario, type Scenario } from '../../rehearsal/scenarios';
import { runbookAssembly } from '../support/assembly';

/**
 * The judges the scenario table and the definition mutation run share read who started and who
 * answered from the record itself: a record naming someone else, or calling an identity verified
 * that was not, is a broken promise, not a pass.
 */
describe('the scenario judge reads identities from the audit record', () => {
  const scenario = findScenario('verified-requester-and-approver') as Scenario;
  const result = rehearse({ assembly: runbookAssembly('example'), scenario });
  const judged = async (expect: Partial<Scenario['expect']>) =>
    endViolations({ ...scenario, expect: { ...scenario.expect, ...expect } }, await result, runbookAssembly('example').definition);

  it('passes the record as the scenario expects it', async () => {
    expect(await judged({})).toEqual([]);
  });

  it('notices a requester the record does not name, or names unverified', async () => {
    const requester = scenario.expect.requester as { id: string; verified: boolean };
    expect(await judged({ requester: { id: 'someone-else', verified: true } })).toEqual([expect.stringMatching(/^the record's requester is .*, expected .*someone-else/)]);
    expect(await judged({ requester: { ...requester, verified: false } })).toEqual([expect.stringMatching(/^the record's requester is /)]);
  });

  it('notices an approver the record does not name', async () => {
    expect(await judged({ answeredBy: { id: null, verified: false } })).toEqual([expect.stringMatching(/^the record's approval was answered by /)]);
  });

  it("notices the endpoint's answers to the approvals differing from the expected ones", async () => {
    expect(await judged({ attempts: [200] })).toEqual(['the endpoint answered the approvals 403, 200, expected 200']);
  });
});
