import { rdsSlug } from '../../handlers/logic/derived-names';
import { planChange } from '../../handlers/logic/plan-change';
import { InvalidExecutionInput } from '../../handlers/lib/errors';

const input = { changeId: 'CHG-1234', requestedBy: 'jane.doe@example.com' };
const DB = { dbInstanceIdentifier: 'metaflow-db' };

describe('planChange: the names a run will create', () => {
  it.each([
    ['CHG__12', 'chg-12'],
    ['--Metaflow  DB..', 'metaflow-db'],
    ['a', 'a'],
  ])('rdsSlug(%j) keeps lowercase letters, digits and single inner hyphens: %j', (text, slug) => {
    expect(rdsSlug(text)).toBe(slug);
  });

  it('cuts a long instance identifier so the aside name fits 63 characters, without a double hyphen where it was cut', () => {
    // The cut falls right after a hyphen: 50 characters kept, the last one "-".
    const id = `${'a'.repeat(49)}-${'b'.repeat(12)}`;

    const plan = planChange(input, 'exec-1', { dbInstanceIdentifier: id });
    const asideInstanceId = 'asideInstanceId' in plan ? plan.asideInstanceId : '';

    expect(asideInstanceId).toMatch(/^a{49}-pre-[0-9a-f]{8}$/);
    expect(asideInstanceId.length).toBeLessThanOrEqual(63);
  });

  it.each(['-CHG-1', '1CHG', 'CHG-1-'])('refuses the change id %j: a letter first, no separator at either end', (changeId) => {
    expect(() => planChange({ ...input, changeId }, 'exec-1', DB)).toThrow(InvalidExecutionInput);
  });

  it('names an unknown field exactly as the operator wrote it', () => {
    expect(() => planChange({ ...input, dryrun: true }, 'exec-1', DB)).toThrow(/^dryrun: unknown field; expected only changeId,/);
  });

  it('names every problem at once, separated by semicolons, quoting at most 80 characters of a bad value', () => {
    const long = `${'x'.repeat(80)}\u0007`;

    expect(() => planChange({ changeId: 'CHG 1', requestedBy: 'jane', reason: long }, 'exec-1', DB)).toThrow(
      `2 problems: changeId: expected a ticket reference such as CHG-1234 (letters, digits, single - _ . separators, starting with a letter, at most 64 characters), got "CHG 1"; reason: expected one line of at most 500 characters, got ${JSON.stringify(`${'x'.repeat(80)}…`)}`,
    );
  });

  it('quotes a bad value of exactly 80 characters whole', () => {
    const value = `${'x'.repeat(79)}\u0007`;

    expect(() => planChange({ ...input, reason: value }, 'exec-1', DB)).toThrow(`got ${JSON.stringify(value)}`);
  });
});
