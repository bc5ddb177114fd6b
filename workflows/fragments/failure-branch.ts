import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { failWithReport } from './report';
import { inspectAfterFailedRollback, Rollback } from './rollback';

/** What every failure record carries besides the error: the approval and what was read before. */
const KNOWN_BEFORE = {
  'approval.$': '$.approval',
  'schemaBefore.$': '$.schema.before',
  'serviceVersionBefore.$': '$.versionBefore',
};

/**
 * Where the two phases go when they fail. Prepare's failures keep the database; the upgrade phase's
 * restore it when the upgrade request was sent. Then the rollback, and a FAILED end with a report
 * either way: of the rollback, or of the state a failed rollback left every resource in.
 */
export class FailureBranch extends Construct {
  /** Catch target for the prepare phase: the schema is untouched. */
  readonly fromPrepare: sfn.State;
  /** Catch target for the upgrade phase: decides whether the schema may have changed. */
  readonly fromUpgrade: sfn.State;

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Failure branch');
    const rollback = new Rollback(scope, ctx);
    const keepDb = new sfn.Pass(scope, 'Schema untouched: keep the database', {
      comment: 'No upgrade request was sent, so restoring would only lose writes made since the snapshot.',
      result: sfn.Result.fromObject({ restoreDatabase: false, reason: 'no upgrade request was sent; the snapshot is kept' }),
      resultPath: '$.rollback',
    });
    const restoreDb = new sfn.Pass(scope, 'Schema may have changed: restore the database', {
      comment: 'The upgrade request was sent: the database goes back to the snapshot.',
      result: sfn.Result.fromObject({ restoreDatabase: true, reason: 'the upgrade request was sent; the schema may have changed' }),
      resultPath: '$.rollback',
    });
    keepDb.next(rollback);
    restoreDb.next(rollback);
    this.fromPrepare = keepDb;
    this.fromUpgrade = new sfn.Choice(scope, 'Could the schema have changed?', {
      comment: 'Only an upgrade that had something to apply can have changed the schema: then the database is restored, else kept.',
    })
      .when(sfn.Condition.booleanEquals('$.schema.before.isUpToDate', false), restoreDb)
      .otherwise(keepDb);

    rollback.next(
      failWithReport(
        scope,
        ctx.fns.composeReport,
        {
          compose: 'Report the rolled-back change',
          encode: 'Write the rollback report',
          fail: 'Migration failed and was rolled back',
          fallback: 'Migration failed and was rolled back (no report)',
        },
        {
          outcome: 'ROLLED_BACK',
          'error.$': '$.error',
          'databaseRestored.$': '$.rollback.restoreDatabase',
          'decision.$': '$.rollback.reason',
          'serviceVersionAfterRollback.$': '$.versionAfterRollback.version',
          'serviceReleaseAfterRollback': { 'taskDefinition.$': '$.rollbackRelease.taskDefinition', 'image.$': '$.rollbackRelease.targetImage' },
          ...KNOWN_BEFORE,
        },
        { errorPath: '$.error.Error', causePath: '$.error.Cause' },
      ),
    );
    const rollbackFailed = failWithReport(
      scope,
      ctx.fns.composeReport,
      {
        compose: 'Report the failed rollback',
        encode: 'Write the failed-rollback report',
        fail: 'Rollback failed: manual action needed',
        fallback: 'Rollback failed: manual action needed (no report)',
      },
      {
        outcome: 'ROLLBACK_FAILED',
        'error.$': '$.error',
        'rollbackError.$': '$.rollbackError',
        'databaseRestoreAttempted.$': '$.rollback.restoreDatabase',
        resources: { ...ctx.database.reportResources, 'service.$': '$.inspect.service' },
        ...KNOWN_BEFORE,
      },
      { error: 'RollbackFailed', causePath: '$.rollbackError.Cause' },
    );
    rollback.parallel.addCatch(inspectAfterFailedRollback(scope, ctx, rollbackFailed), { resultPath: '$.rollbackError' });
  }
}
