import { handler } from '../../handlers/compose-report';
import { composeFailureReport, MAX_CAUSE_CHARS } from '../../handlers/logic/compose-report';

process.env.RUNBOOK_QUIET = '1';

const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage });

describe('compose-report (the cause a failed execution shows)', () => {
  it.each([
    [
      'a restore after a failed upgrade',
      {
        outcome: 'ROLLED_BACK',
        snapshotId: 'metaflow-migration-chg-1-abc',
        databaseRestored: true,
        serviceVersionAfterRollback: '2.2.4',
        serviceReleaseAfterRollback: { taskDefinition: 'arn:aws:ecs:eu-west-1:1:task-definition/mf:2', image: 'netflixoss/metaflow_metadata_service@sha256:ab' },
        error: { Error: 'UpgradeFailed', Cause: lambdaCause('UpgradeFailed', 'PATCH /upgrade answered 500 "upgrade failed"') },
      },
      'UpgradeFailed: PATCH /upgrade answered 500 "upgrade failed". Rolled back: the database was restored from snapshot metaflow-migration-chg-1-abc; the service is back on its original release (netflixoss/metaflow_metadata_service@sha256:ab) and count, answering /version 2.2.4.',
    ],
    [
      'a rollback without restore, with an SDK error whose cause is plain text ending in a period',
      { outcome: 'ROLLED_BACK', snapshotId: 's-1', databaseRestored: false, waits: { snapshot: { attempts: 3 } }, error: { Error: 'SnapshotFailed', Cause: 'The snapshot failed.' } },
      'SnapshotFailed: The snapshot failed. Rolled back: the database was kept (snapshot s-1 left unused); the service is back on its original release and count.',
    ],
    [
      'a rollback before the snapshot was started',
      { outcome: 'ROLLED_BACK', snapshotId: 's-1', databaseRestored: false, waits: { scaleToOne: { attempts: 1 } }, error: { Error: 'RestartNotConfirmed', Cause: 'ECS did not name it.' } },
      'RestartNotConfirmed: ECS did not name it. Rolled back: the database was not touched (no snapshot was taken); the service is back on its original release and count.',
    ],
    [
      'a rollback whose record holds waits as null (no wait ran)',
      { outcome: 'ROLLED_BACK', snapshotId: 's-1', databaseRestored: false, waits: null, error: { Error: 'PreflightFailed', Cause: 'busy' } },
      'PreflightFailed: busy. Rolled back: the database was not touched (no snapshot was taken); the service is back on its original release and count.',
    ],
    [
      'a failed rollback',
      { outcome: 'ROLLBACK_FAILED', error: { Error: 'UpgradeFailed', Cause: 'x' }, rollbackError: { Error: 'RestoreFailed', Cause: 'incompatible-restore' } },
      'UpgradeFailed: x. The rollback then failed (RestoreFailed: incompatible-restore); nothing more was changed. See resources for the state of each one.',
    ],
  ])('summarizes %s in one line, then the record', async (_case, report, summary) => {
    const result = await handler({ report });

    expect(result.summary).toBe(summary);
    expect(JSON.parse(result.text)).toEqual({ summary, ...report });
  });

  it('drops the bulky parts first to stay within what Step Functions keeps of a cause', () => {
    const report = { outcome: 'ROLLED_BACK', error: { Error: 'E', Cause: 'c' }, original: { blob: 'x'.repeat(MAX_CAUSE_CHARS) }, steps: { a: 1 } };

    const { text } = composeFailureReport(report);

    expect(text.length).toBeLessThanOrEqual(MAX_CAUSE_CHARS);
    expect(JSON.parse(text)).toMatchObject({ outcome: 'ROLLED_BACK', steps: { a: 1 }, truncated: true });
    expect(JSON.parse(text).original).toBeUndefined();
  });

  it('rejects an event without a report, naming the field', async () => {
    await expect(handler({})).rejects.toMatchObject({ name: 'InvalidHandlerEvent', message: expect.stringContaining('report: expected an object') });
  });
});
