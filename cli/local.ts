import type { RunbookAssembly } from '../rehearsal/assembly';
import { rehearse } from '../rehearsal/run';
import { findScenario, SCENARIOS } from '../rehearsal/scenarios';
import { UsageError } from './aws';
import { RehearsalReader, type RunEvent } from './events';

export const DEFAULT_SCENARIO = 'happy-path';

/**
 * Runs the local rehearsal of a scenario and hands its events over as they happen, in the same
 * form as an execution's history: the progress view and the report cannot tell them apart.
 */
export async function rehearseEvents(
  assembly: () => RunbookAssembly,
  scenarioName: string,
  onChange: (events: readonly RunEvent[]) => void = () => undefined,
): Promise<RunEvent[]> {
  const scenario = findScenario(scenarioName);
  if (!scenario) throw new UsageError(`--scenario: unknown scenario ${JSON.stringify(scenarioName)}; expected one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const reader = new RehearsalReader(scenario.input);
  const events: RunEvent[] = [];
  const add = (fresh: RunEvent[]) => {
    events.push(...fresh);
    if (fresh.length > 0) onChange(events);
  };
  const result = await rehearse({ assembly: assembly(), scenario, onEvent: (e) => add(reader.read(e)) });
  add(reader.finish(result));
  return events;
}
