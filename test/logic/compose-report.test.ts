import { composeFailureReport, MAX_CAUSE_CHARS } from '../../handlers/logic/compose-report';

const report = (extra: Record<string, unknown> = {}) => ({
  outcome: 'ROLLED_BACK',
  snapshotId: 's-1',
  databaseRestored: false,
  error: { Error: 'UpgradeFailed', Cause: 'boom' },
  ...extra,
});
/** A string that makes the JSON of `base` plus `{ [key]: filler }` exactly `length` characters long. */
function filler(base: Record<string, unknown>, key: string, length: number): string {
  const empty = JSON.stringify({ summary: composeFailureReport(base).summary, ...base, [key]: '' }).length;
  return 'x'.repeat(length - empty);
}

describe('composeFailureReport: the cause fits Step Functions, bulky parts dropped first', () => {
  it.each(['original', 'waits', 'steps', 'resources'])('drops %s when the record would not fit, and says it was truncated', (bulky) => {
    const { text } = composeFailureReport(report({ [bulky]: 'x'.repeat(MAX_CAUSE_CHARS) }));
    const parsed = JSON.parse(text) as Record<string, unknown>;

    expect(text.length).toBeLessThanOrEqual(MAX_CAUSE_CHARS);
    expect(parsed).toMatchObject({ truncated: true, error: { Error: 'UpgradeFailed' } });
    expect(parsed[bulky]).toBeUndefined();
  });

  it('keeps a record of exactly the maximum length whole', () => {
    const base = report();
    const whole = { ...base, waits: filler(base, 'waits', MAX_CAUSE_CHARS) };

    const { text } = composeFailureReport(whole);

    expect(text.length).toBe(MAX_CAUSE_CHARS);
    expect(JSON.parse(text)).not.toHaveProperty('truncated');
  });

  it('keeps a record that fits exactly once a bulky part is dropped', () => {
    const base = report();
    // Without `waits`, and with `truncated: true` added, the text is exactly the maximum.
    const flag = ',"truncated":true'.length;
    const exact = { ...base, error: { ...base.error, Cause: 'boom' }, note: filler(base, 'note', MAX_CAUSE_CHARS - flag), waits: 'x'.repeat(100) };

    const parsed = JSON.parse(composeFailureReport(exact).text) as Record<string, unknown>;

    expect(parsed).toMatchObject({ truncated: true, note: expect.any(String) });
  });

  it('keeps only the summary when even the record without its bulky parts would not fit', () => {
    const { text, summary } = composeFailureReport(report({ note: 'x'.repeat(MAX_CAUSE_CHARS) }));

    expect(JSON.parse(text)).toEqual({ summary, truncated: true });
  });

  it.each([
    [{ Error: 'X', Cause: 'failed at v1.2...' }, 'X: failed at v1.2. Rolled back'],
    [{ Error: 'X' }, 'X: no cause given. Rolled back'],
    [{ Error: 'X', Cause: '{"errorMessage": 5}' }, 'X: {"errorMessage": 5}. Rolled back'],
    [{}, 'Error: no cause given. Rolled back'],
  ])('summarizes the error %j without trailing periods', (error, start) => {
    expect(composeFailureReport(report({ error })).summary.startsWith(start)).toBe(true);
  });

  it('summarizes a failed rollback with both errors, periods trimmed', () => {
    const { summary } = composeFailureReport({ outcome: 'ROLLBACK_FAILED', error: { Error: 'A', Cause: 'one.' }, rollbackError: { Cause: 'db.x: two...' } });

    expect(summary).toBe('A: one. The rollback then failed (Error: db.x: two); nothing more was changed. See resources for the state of each one.');
  });

  it('summarizes a refused change as one that changed nothing', () => {
    const { summary } = composeFailureReport({ outcome: 'NOTHING_CHANGED', error: { Error: 'ChangeRejected', Cause: 'not now.' }, snapshotId: 's-1' });

    expect(summary).toBe('ChangeRejected: not now. Nothing was changed: the service and the database are as they were.');
  });
  // The approval check records a rejection; the summary says who rejected (verified or not) and why,
  // whatever the SendTaskFailure cause said.
  it.each([
    ['a verified rejection', { decision: 'rejected', rejectedBy: 'arn:aws:iam::123456789012:user/sam', reason: 'freeze', verified: true }, 'rejected by arn:aws:iam::123456789012:user/sam: freeze'],
    ['an unverified one', { decision: 'rejected', rejectedBy: 'sam', reason: 'freeze', verified: false }, 'rejected by sam (not verified): freeze'],
    ['one naming nobody and no reason', { decision: 'rejected', rejectedBy: null, reason: null }, 'rejected by someone who gave no name (not verified): no reason given'],
  ])('summarizes %s by who and why', (_what, approval, words) => {
    const { summary } = composeFailureReport({ outcome: 'NOTHING_CHANGED', error: { Error: 'ChangeRejected', Cause: '{"raw":true}' }, approval });

    expect(summary).toBe(`ChangeRejected: ${words}. Nothing was changed: the service and the database are as they were.`);
  });

  it('takes the cause, not the approval, for a change that was approved', () => {
    const { summary } = composeFailureReport({ outcome: 'NOTHING_CHANGED', error: { Error: 'PreflightFailed', Cause: 'busy' }, approval: { decision: 'approved', approvedBy: 'sam' } });

    expect(summary).toBe('PreflightFailed: busy. Nothing was changed: the service and the database are as they were.');
  });
});
