import { enclosingCatch, endViolations } from '../../rehearsal/judges';
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

describe('a failure without a Catch of its own goes where the innermost Catch around it leads', () => {
  const task = { Type: 'Task', End: true };
  const catchAll = (next: string) => ({ Catch: [{ ErrorEquals: ['States.ALL'], Next: next }] });
  const definition = {
    StartAt: 'Roll back',
    States: {
      'Roll back': {
        Type: 'Parallel',
        ...catchAll('Report the failed rollback'),
        Branches: [
          {
            StartAt: 'Rename each aside',
            States: {
              'Rename each aside': { Type: 'Map', ...catchAll('Rename each back'), ItemProcessor: { StartAt: 'Rename one aside', States: { 'Rename one aside': task } } },
              'Tag each': { Type: 'Map', ItemProcessor: { StartAt: 'Tag one', States: { 'Tag one': task } } },
              'Rename each back': task,
            },
          },
        ],
      },
      'Report the failed rollback': task,
      'Before anything': task,
    },
  };

  it.each([
    ['Rename one aside', { owner: 'Rename each aside', next: 'Rename each back' }],
    ['Tag one', { owner: 'Roll back', next: 'Report the failed rollback' }],
    ['Rename each back', { owner: 'Roll back', next: 'Report the failed rollback' }],
    ['Before anything', undefined],
  ])('a failure of "%s" is taken by %j', (state, around) => {
    expect(enclosingCatch(definition, state)).toEqual(around);
  });
});
