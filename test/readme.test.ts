import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DB_INSTANCE_PARITY, membersOf } from '../handlers/logic/restore-parity';
import { FIXTURE_NAMES } from '../rehearsal/fixtures';

const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const between = (tag: string) => {
  const found = new RegExp(`<!-- ${tag} -->([\\s\\S]*?)<!-- /${tag} -->`).exec(README);
  if (!found) throw new Error(`README has no <!-- ${tag} --> list`);
  return found[1] as string;
};

describe('the README tells an operator what a restore puts back, as the parity table decides it', () => {
  it.each(['restore', 'modify'] as const)('lists every %s member, and nothing else', (parityClass) => {
    expect(between(parityClass).split(',').map((m) => m.trim())).toEqual(membersOf(parityClass));
  });

  it('lists every setting deliberately not put back, with the reason the table gives', () => {
    const deliberate = membersOf('not-restored').filter((m) => DB_INSTANCE_PARITY[m].warnIfSet);
    const lines = between('not-restored').trim().split('\n').map((l) => l.trim());

    expect(lines).toEqual(deliberate.map((m) => `- \`${m}\`: ${DB_INSTANCE_PARITY[m].reason}`));
  });

  it('names every deployment the rehearsal runs', () => {
    for (const fixture of FIXTURE_NAMES) expect(README).toContain(`| \`${fixture}\``);
  });
});
