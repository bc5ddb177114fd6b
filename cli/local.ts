import type { EndpointAnswer } from './endpoint';
import type { RunbookAssembly } from '../rehearsal/assembly';
import { rehearse } from '../rehearsal/run';
import { findScenario, SCENARIOS } from '../rehearsal/scenarios';
import type { ApprovalAttempt } from '../rehearsal/sim/approvers';
import type { PersonName } from '../rehearsal/sim/people';
import { UsageError } from './aws';
import { RehearsalReader, type RunEvent } from './events';

export const DEFAULT_SCENARIO = 'happy-path';

/** Who acts in a local rehearsal instead of the scenario's people: the operator running the CLI. */
export interface LocalPeople {
  /** `start --local`: started through the rehearsal's endpoint as this person, with this input. */
  readonly startedBy?: PersonName;
  readonly input?: Record<string, unknown>;
  /** `approve|reject --local`: these answers, in turn, with the operator's note. */
  readonly approvals?: readonly ApprovalAttempt[];
  readonly note?: string;
  /** Told how the endpoint answered the first of them. */
  readonly answered?: (answer: EndpointAnswer) => void;
}

/**
 * Runs the local rehearsal of a scenario and hands its events over as they happen, in the same
 * form as an execution's history: the progress view and the report cannot tell them apart.
 */
export async function rehearseEvents(
  assembly: () => RunbookAssembly,
  scenarioName: string,
  onChange: (events: readonly RunEvent[]) => void = () => undefined,
  people: LocalPeople = {},
): Promise<RunEvent[]> {
  const found = findScenario(scenarioName);
  if (!found) throw new UsageError(`--scenario: unknown scenario ${JSON.stringify(scenarioName)}; expected one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const approvals = people.approvals?.map((a) => ({ ...a, ...(people.note !== undefined ? { note: people.note } : {}) }));
  const scenario = {
    ...found,
    input: people.input ?? found.input,
    world: {
      ...found.world,
      ...(people.startedBy ? { startedBy: people.startedBy } : {}),
      ...(approvals ? { approvals } : {}),
    },
  };
  const reader = new RehearsalReader();
  const events: RunEvent[] = [];
  const add = (fresh: RunEvent[]) => {
    events.push(...fresh);
    if (fresh.length > 0) onChange(events);
  };
  const result = await rehearse({ assembly: assembly(), scenario, onStart: ({ input }) => reader.started(input), onEvent: (e) => add(reader.read(e)) });
  add(reader.finish(result));
  const first = result.approvalAttempts[0];
  if (first) people.answered?.({ status: first.status, body: first.answer });
  return events;
}
