import { type Check, deriveChecks, scenarioChecks } from '../../mutation/definition/checks';
import { mutantsOf } from '../../mutation/definition/mutants';
import type { Mutant } from '../../mutation/definition/operators';
import { findScenario, type Scenario } from '../../rehearsal/scenarios';
import { recordBaselines } from '../support/fault-matrix';
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

/**
 * The fault matrix's bounded waits are checks of the mutation run: a wait whose "attempts left?"
 * Choice has its branches swapped gives up at its first "not yet", which no undisturbed scenario
 * shows when its first answer already says "done".
 */
describe('the definition mutation run checks every bounded wait as the fault matrix does', () => {
  const assembly = runbookAssembly('example');
  // Recorded in beforeAll, not when the file loads: one process rehearses one execution at a time.
  let snapshotWait: Check | undefined;
  beforeAll(async () => {
    const checks = deriveChecks(assembly, new Map(), await recordBaselines(assembly, [findScenario('happy-path') as Scenario]));
    snapshotWait = checks.find((c) => c.id === 'wait:Describe the snapshot:not yet');
  }, 30_000);
  const swapped = mutantsOf(assembly).find((m) => m.id === 'swap-choice:Wait for snapshot available: attempts left?:Wait for snapshot available: gave up') as Mutant;

  it('passes on the real definition: the snapshot wait gives up after its bound, rolled back', async () => {
    expect(snapshotWait).toBeDefined();
    expect((await runCheck(snapshotWait as Check, assembly))?.violations).toEqual([]);
  }, 30_000);

  it('kills the mutant whose "attempts left?" gives up at the first "not yet"', async () => {
    expect(swapped).toBeDefined();
    const run = await runCheck(snapshotWait as Check, assembly, (d) => swapped.apply(d as never) as never);
    expect(run?.violations).toContain('the check ran 1 times, not the bound 240');
  }, 30_000);
});

/**
 * A Catch exists for what it leads to: the refusal's record as the cause, or a Fail naming what is
 * left to do (the plan task left running). A mutant without it fails with the raw error, changes
 * nothing, and would pass a judge that only asks for a failure before any change.
 */
describe('the fault judge asks a caught failure to end where its Catch leads', () => {
  const assembly = runbookAssembly('example');
  let checks: Check[] = [];
  beforeAll(async () => {
    const happy = scenarioChecks(assembly).find((c) => c.id === 'scenario:happy-path') as Check;
    const baseline = (await runCheck(happy, assembly))?.baseline;
    checks = deriveChecks(assembly, new Map([[happy.id, baseline as never]]));
  }, 30_000);
  const cases = [
    { state: 'Verify who approved', mutant: 'remove-catch:Verify who approved:States.ALL', violation: 'the cause is not the record its Catch writes (Change not approved: nothing was changed)' },
    { state: 'Stop the plan task', mutant: 'remove-catch:Stop the plan task:States.ALL', violation: 'ended with Injected.Fault, expected PlanTaskNotStopped' },
  ];

  it.each(cases)('passes on the real definition when $state fails', async ({ state }) => {
    const check = checks.find((c) => c.id === `fault:${state}`) as Check;
    expect((await runCheck(check, assembly))?.violations).toEqual([]);
  }, 30_000);

  it.each(cases)('kills $mutant', async ({ state, mutant, violation }) => {
    const check = checks.find((c) => c.id === `fault:${state}`) as Check;
    const m = mutantsOf(assembly).find((x) => x.id === mutant) as Mutant;
    const run = await runCheck(check, assembly, (d) => m.apply(d as never) as never);
    expect(run?.violations).toContain(violation);
  }, 30_000);
});
