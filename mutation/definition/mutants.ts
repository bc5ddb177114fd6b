import { deriveMutants, type Json, jsonClone, type Mutant } from './operators';

/**
 * The mutants a run judges: every mechanical mutant of the definition, then the mistakes of
 * issue 12 that no operator derives (kept so they stay killed).
 */
export function allMutants(definition: Record<string, Json>): Mutant[] {
  return [...deriveMutants(definition as never), ...NAMED_MUTANTS];
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
