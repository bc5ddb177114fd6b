import { jsonClone } from '../../mutation/definition/operators';
import { unboundedWaits } from '../../mutation/definition/structure';
import { allStates, type Json } from '../../rehearsal/assembly';
import { runbookAssembly } from '../support/assembly';

/** The mutation run's static check: every loop through a Wait counts its attempts and passes the bound that ends it. */
const definition = runbookAssembly().definition;
const TITLE = 'Wait for snapshot available';

/** A copy of the definition with one state of the snapshot wait changed. */
function changed(edit: (states: Map<string, Record<string, Json>>) => void): Record<string, Json> {
  const copy = jsonClone(definition);
  edit(allStates(copy));
  return copy;
}

describe('unboundedWaits', () => {
  it('finds every wait of the synthesized definition bounded', () => {
    expect(unboundedWaits(definition)).toEqual([]);
  });

  it('finds a wait whose attempts rule was taken out', () => {
    const mutant = changed((states) => {
      const choice = states.get(`${TITLE}: attempts left?`) as { Choices: unknown[] };
      choice.Choices = [];
    });

    expect(unboundedWaits(mutant)).toEqual([`the wait through "${TITLE}: pause" can loop without passing the attempts bound that ends it`]);
  });

  it('finds a wait that loops around its counter', () => {
    const mutant = changed((states) => {
      const bound = states.get(`${TITLE}: attempts left?`) as { Default: string };
      bound.Default = `${TITLE}: pause`;
    });

    expect(unboundedWaits(mutant)).toEqual([`the wait through "${TITLE}: pause" can loop without counting its attempts`]);
  });
});
