import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { mutantsOf, mutatedFixtures } from '../../mutation/definition/mutants';
import { runbookAssembly } from '../support/assembly';

const EXPLANATIONS = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'mutation', 'equivalent.json'), 'utf8')) as Record<string, string>;

describe('mutation/equivalent.json, the explained survivors of the definition mutation run', () => {
  it('explains only mutants the definition still yields (the full run also fails on an explained mutant that is killed)', () => {
    const ids = new Set(mutatedFixtures().flatMap((fixture) => mutantsOf(runbookAssembly(fixture)).map((m) => m.id)));

    expect(Object.keys(EXPLANATIONS).filter((id) => !ids.has(id))).toEqual([]);
  });

  it('gives every explanation a reason of its own', () => {
    expect(Object.entries(EXPLANATIONS).filter(([, reason]) => reason.trim().length < 20)).toEqual([]);
  });
});
