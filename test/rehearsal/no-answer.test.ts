import { allStates, type Json } from '../../rehearsal/assembly';
import { outcomeOf } from '../../rehearsal/outcome';
import { rehearse } from '../../rehearsal/run';
import { findScenario, type Scenario } from '../../rehearsal/scenarios';
import { runbookAssembly } from '../support/assembly';

/**
 * A call nobody answers is bounded only by the Task's TimeoutSeconds: without one, AWS leaves the
 * execution waiting until it times out itself (sfn-stuck-execution.html). The rehearsal must show
 * both, or the fault matrix's kind 4 and the mutants that drop a TimeoutSeconds prove nothing.
 */
function withoutTimeout(definition: Record<string, Json>, state: string): Record<string, Json> {
  const copy = JSON.parse(JSON.stringify(definition)) as Record<string, Json>;
  const target = allStates(copy).get(state);
  if (!target) throw new Error(`no state ${state}`);
  delete target.TimeoutSeconds;
  return copy;
}

describe('a call that is never answered', () => {
  const assembly = runbookAssembly('example');
  const happy = findScenario('happy-path') as Scenario;
  const state = 'Check the schema status';

  it('fails the Task with States.Timeout after its TimeoutSeconds, and the runbook rolls back as for any failure', async () => {
    const result = await rehearse({ assembly, scenario: happy, fault: { kind: 'no-answer', state } });
    const call = result.calls.find((c) => c.state === state);

    expect({ status: result.status, error: result.error, call: call?.error }).toEqual({ status: 'FAILED', error: 'States.Timeout', call: 'States.Timeout' });
    expect(outcomeOf(result).desiredCount).toBe(2);
  });

  it('leaves the execution stuck until its own TimeoutSeconds when the Task has none', async () => {
    const definition = withoutTimeout(assembly.definition, state);
    const result = await rehearse({ assembly: { ...assembly, definition }, scenario: happy, fault: { kind: 'no-answer', state }, validateDefinition: false });

    expect({ status: result.status, error: result.error }).toEqual({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(result.cause).toContain(`stuck in "${state}"`);
    expect(result.metrics.totalSeconds).toBeGreaterThan(Number(assembly.definition.TimeoutSeconds));
  });

  it('keeps an approval without TimeoutSeconds that nobody answers open until the execution times out', async () => {
    const definition = withoutTimeout(assembly.definition, 'Wait for approval');
    const result = await rehearse({ assembly: { ...assembly, definition }, scenario: findScenario('approval-timed-out') as Scenario, validateDefinition: false });

    expect({ status: result.status, error: result.error }).toEqual({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });
});
