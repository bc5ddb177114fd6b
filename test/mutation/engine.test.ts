import { scenarioChecks } from '../../mutation/definition/checks';
import { runCheck } from '../../mutation/definition/engine';
import type { Json } from '../../rehearsal/assembly';
import { runbookAssembly } from '../support/assembly';

/**
 * A scenario with settings of its own (the approvers) runs on the runbook synthesized with them.
 * The mutant must be applied to that definition: were the mutated base definition handed to
 * rehearse(), it would synthesize the variant again and rehearse the real definition, and no such
 * scenario could ever kill a mutant.
 */
describe("the definition mutation run rehearses a mutant on the definition of the check's own settings", () => {
  const assembly = runbookAssembly('example');
  const check = scenarioChecks(assembly).find((c) => c.id === 'scenario:verified-requester-and-approver');
  // A mutant no run can survive: the first state fails at once.
  const failAtOnce = (definition: Record<string, Json>) => ({
    ...definition,
    States: { ...(definition.States as Record<string, Json>), [definition.StartAt as string]: { Type: 'Fail', Error: 'MutantRan' } },
  });

  it('is a scenario with settings of its own, which passes on the real definition', async () => {
    expect(check?.scenario.settings).toBeDefined();
    expect((await runCheck(check as never, assembly))?.violations).toEqual([]);
    // The first run synthesizes the approvers' variant of the runbook: about 5 s, more on a loaded machine.
  }, 30_000);

  it('ends as the mutant makes it end, and the check says so', async () => {
    const run = await runCheck(check as never, assembly, failAtOnce);
    expect(run?.baseline.error).toBe('MutantRan');
    expect(run?.violations.length).toBeGreaterThan(0);
  });

  it('is not rehearsed when the mutant does not apply to that definition', async () => {
    expect(await runCheck(check as never, assembly, () => undefined)).toBeUndefined();
  });
});
