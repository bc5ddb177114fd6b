import { rehearseCommand } from '../../rehearsal/command';
import type { FixtureName } from '../../rehearsal/fixtures';
import { GUIDE_STEPS } from '../../workflows/steps';
import { runbookAssembly } from '../support/assembly';

/** `npm run rehearse` with the suite's assemblies: what it prints and how it exits. */
async function rehearseCli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await rehearseCommand(
    args,
    { out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } },
    (options) => runbookAssembly(options.fixture as FixtureName),
  );
  return { code, out, err };
}

describe('npm run rehearse', () => {
  it('leads with one line per guide step as runbook watch shows it, then the ending and the figures, and exits 0 when the scenario ends as expected', async () => {
    const { code, out } = await rehearseCli();

    expect(code).toBe(0);
    const steps = GUIDE_STEPS.filter((s) => !s.onFailureOnly).map((s) => s.title);
    for (const title of steps) expect(out).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\dZ  ${title.replace(/\./g, '\\.')}: succeeded`, 'm'));
    expect(out).toMatch(/^Execution SUCCEEDED after \S+ \S+\. Migration complete: schema 20211202100726 → 20230118020300/m);
    expect(out).toMatch(/^ {2}Writes at risk: +\d+ s \(from the snapshot's start to the upgrade request\)$/m);
    expect(out).toContain('Scenario expectation (SUCCEEDED): met');
  });

  it('keeps the state-by-state trace, polling included, behind --trace', async () => {
    const plain = await rehearseCli('--scenario', 'upgrade-returns-500');
    const traced = await rehearseCli('--scenario', 'upgrade-returns-500', '--trace');

    expect(plain.out).not.toContain('attempts left?');
    expect(traced.out).toContain('attempts left?');
    expect(plain.out).toMatch(/^Execution FAILED \(UpgradeFailed\) after .*: rolled back\. UpgradeFailed: PATCH \/upgrade answered 500/m);
    expect(traced.out).toMatch(/^Cause: \{/m);
  });

  it.each([
    [['--scenario', 'nope'], '--scenario: unknown scenario "nope"; expected one of: happy-path,'],
    [['--deployment', 'nope'], '--deployment: unknown deployment "nope"; expected one of: example,'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('%j is refused with exit code 2, naming the flag', async (args, message) => {
    const { code, out, err } = await rehearseCli(...args);

    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(out).toBe('');
  });
});
