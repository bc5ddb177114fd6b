import type { RunbookAssembly } from '../../rehearsal/assembly';
import { DEFAULT_FIXTURE, FIXTURE_NAMES, FIXTURES, type FixtureName, isClusterFixture } from '../../rehearsal/fixtures';
import { deriveMutants, type Json, jsonClone, type Mutant } from './operators';

/**
 * The mutants a run judges: every mechanical mutant of the definition, then the mistakes of
 * issue 12 that no operator derives (kept so they stay killed).
 */
export function allMutants(definition: Record<string, Json>): Mutant[] {
  return [...deriveMutants(definition as never), ...NAMED_MUTANTS];
}

/**
 * The deployments whose definitions the run mutates: one per kind of database (the synthesized
 * state machine differs by kind, not by deployment), the example deployment for an instance.
 */
export function mutatedFixtures(): FixtureName[] {
  const kinds = new Map<boolean, FixtureName>([[isClusterFixture(FIXTURES[DEFAULT_FIXTURE]), DEFAULT_FIXTURE]]);
  for (const name of FIXTURE_NAMES) if (!kinds.has(isClusterFixture(FIXTURES[name]))) kinds.set(isClusterFixture(FIXTURES[name]), name);
  return [...kinds.values()];
}

/** The mutants of one fixture's definition; ids carry the fixture unless it is the example deployment. */
export function mutantsOf(assembly: RunbookAssembly): Mutant[] {
  const prefix = assembly.fixture === DEFAULT_FIXTURE ? '' : `${assembly.fixture}/`;
  return allMutants(assembly.definition).map((m) => ({ ...m, id: `${prefix}${m.id}` }));
}

/** The failure branch's choice between restoring the database and keeping it. */
const FAILURE_DECISION = 'Could the schema have changed?';

/** Issue 12's restore decision keyed on the approval: `$.approval.decision == approved` instead of "the upgrade was sent". */
const restoreWhenApproved: Mutant = {
  id: 'named:restore decision keyed on the approval',
  operator: 'swap-choice',
  state: FAILURE_DECISION,
  apply: (definition) => {
    const copy = jsonClone(definition) as { States: Record<string, { Choices?: Record<string, Json>[] }> };
    const rule = copy.States[FAILURE_DECISION]?.Choices?.[0];
    if (!rule) return undefined;
    for (const key of Object.keys(rule)) if (key !== 'Next') delete rule[key];
    Object.assign(rule, { Variable: '$.approval.decision', StringEquals: 'approved' });
    return copy as never;
  },
};

export const NAMED_MUTANTS: readonly Mutant[] = [restoreWhenApproved];
