import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from './context';
import { ApprovalGate } from './fragments/approval';
import { DryRun } from './fragments/dry-run';
import { Preflight } from './fragments/preflight';
import { failWithReport, summarizeSuccess } from './fragments/report';
import { RestartService } from './fragments/restart-service';
import { inspectAfterFailedRollback, Rollback } from './fragments/rollback';
import { ScaleService } from './fragments/scale-service';
import { readSchemaStatus, UpgradeSchema } from './fragments/schema';
import { SingleFlight } from './fragments/single-flight';
import { TakeSnapshot } from './fragments/snapshot';
import { ENTERED_TIME, invoke, retryUntilReady } from './tasks';

/**
 * The whole guide as one state machine:
 *
 *   Preflight → [Prepare: snapshot, one task, restart onto the migration image, schema status]
 *             → [Upgrade: upgrade, verify, restart, check /version, scale back] → summary
 *
 * Each bracket is a Parallel with one branch, so a failure anywhere inside it (a Task error or a
 * named Fail such as a wait that ran out) is caught in one place, and the catch knows whether the
 * upgrade request could have been sent: failures in Prepare never restore the database.
 */
export function buildRunbook(scope: Construct, ctx: RunbookContext): sfn.IChainable {
  const preflight = new Preflight(scope, ctx);

  // ---- Phase 1: prepare (the schema is untouched) ----
  const snapshot = new TakeSnapshot(scope, ctx);
  const scaleDown = new ScaleService(scope, ctx, {
    title: 'Scale to one task',
    why: 'Guide steps 2-3: the upgrade must reach exactly one task, because goose has no lock.',
    desiredCount: 1,
    key: 'scaleToOne',
    waitTitle: 'Wait for one running task',
    question: 'Is the service steady at one task?',
  });
  const retarget = invoke(scope, 'Move the task definition to the target image', ctx.fns.retargetTaskDefinition, {
    comment: 'Guide step 4.2: a pinned image must move to the new tag in a new revision, or the restart brings the old image back.',
    payload: {
      'taskDefinition.$': '$.original.taskDefinition',
      containerName: ctx.config.deployment.containerName,
      'targetImage.$': '$.plan.targetImage',
      'changeId.$': '$.plan.changeId',
    },
    resultPath: '$.release',
  });
  const keep = new sfn.Pass(scope, 'Keep the current task definition', {
    comment: 'No target image: the restart re-resolves the current tag (a new deployment pulls the image again).',
    parameters: { 'taskDefinition.$': '$.original.taskDefinition' },
    resultPath: '$.release',
  });
  const image = new sfn.Choice(scope, 'Was a target image given?')
    .when(sfn.Condition.isString('$.plan.targetImage'), retarget)
    .otherwise(keep);
  const restartForMigration = new RestartService(scope, ctx, {
    label: 'for the migration',
    key: 'restartForMigration',
    why: 'Guide step 4: fresh tasks pull the image with the built-in migration service on 8082.',
    taskDefinitionPath: '$.release.taskDefinition',
    requireSingleTask: true,
    waitForMigrationService: true,
  });
  retarget.next(restartForMigration);
  keep.next(restartForMigration);
  const statusBefore = readSchemaStatus(
    scope,
    'Check the schema status',
    ctx,
    'Guide steps 10-11: is_up_to_date false means an upgrade is needed. A schema unknown to the image is refused.',
    '$.schema.before',
  );
  const versionBefore = invoke(scope, 'Record the service version before', ctx.fns.getServiceVersion, {
    comment: 'The version the metadata service runs on the current schema, for the record.',
    payload: { 'baseUrl.$': '$.endpoint.serviceUrl', timeoutMs: ctx.config.migration.requestTimeoutSeconds * 1000 },
    resultSelector: { 'version.$': '$.version', 'CheckedAt.$': ENTERED_TIME },
    resultPath: '$.versionBefore',
  });
  retryUntilReady(versionBefore, ['MetadataServiceUnavailable'], ctx.config.waits.migrationService);
  const afterStatus = restartForMigration.next(statusBefore).next(versionBefore);
  if (ctx.config.approval.required) afterStatus.next(new ApprovalGate(scope, ctx));
  const prepare = new sfn.Parallel(scope, 'Prepare: snapshot, one task, migration service', {
    comment: 'Steps 1-5. The schema is not touched here: a failure rolls back the service only.',
    outputPath: '$[0]',
  }).branch(sfn.Chain.start(snapshot).next(scaleDown).next(image));

  // ---- Phase 2: upgrade and return to service (the schema may change) ----
  const upgrade = new UpgradeSchema(scope, ctx);
  const restartOnNewSchema = new RestartService(scope, ctx, {
    label: 'on the new schema',
    key: 'restartOnNewSchema',
    why: 'Guide steps 16-17: the container picks the metadata service version at start, so it must restart to serve the new schema.',
    taskDefinitionPath: '$.release.taskDefinition',
    requireSingleTask: true,
    waitForMigrationService: false,
  });
  const checkVersion = invoke(scope, 'Check the metadata service version', ctx.fns.getServiceVersion, {
    comment: `Guide step 18: GET /version on ${ctx.config.deployment.servicePort} must be at least ${ctx.config.migration.minimumServiceVersion}.`,
    payload: {
      'baseUrl.$': '$.endpoint.serviceUrl',
      timeoutMs: ctx.config.migration.requestTimeoutSeconds * 1000,
      minimumVersion: ctx.config.migration.minimumServiceVersion,
    },
    resultSelector: { 'version.$': '$.version', 'minimumVersion.$': '$.minimumVersion', 'CheckedAt.$': ENTERED_TIME },
    resultPath: '$.versionAfter',
  });
  retryUntilReady(checkVersion, ['MetadataServiceUnavailable'], ctx.config.waits.migrationService);
  const scaleBack = new ScaleService(scope, ctx, {
    title: 'Scale back to the original count',
    why: 'Guide steps 19-20: the service returns to the number of tasks it had before.',
    desiredCount: '$.original.desiredCount',
    key: 'scaleBack',
    waitTitle: 'Wait for the original count running',
    question: 'Is the service steady at the original count?',
  });
  const nothingToDo = new sfn.Pass(scope, 'Nothing to upgrade', {
    comment: 'The schema is already up to date: guide steps 6-8 are skipped.',
    parameters: { 'before.$': '$.schema.before', 'after.$': '$.schema.before' },
    resultPath: '$.schema',
  });
  const needed = new sfn.Choice(scope, 'Is the schema already up to date?')
    .when(sfn.Condition.booleanEquals('$.schema.before.isUpToDate', true), nothingToDo)
    .otherwise(upgrade);
  upgrade.next(restartOnNewSchema).next(checkVersion);
  nothingToDo.next(checkVersion);
  checkVersion.next(scaleBack).next(
    new sfn.Pass(scope, 'Service back at the original count', { comment: 'Guide step 20 is done: the change is complete.' }),
  );
  const upgradeAndReturn = new sfn.Parallel(scope, 'Upgrade the schema and return to service', {
    comment: 'Steps 6-10. From the upgrade request on, a failure restores the database from the snapshot.',
    outputPath: '$[0]',
  }).branch(needed);

  // ---- The failure branch ----
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
  const upgraded = new sfn.Choice(scope, 'Could the schema have changed?')
    .when(sfn.Condition.booleanEquals('$.schema.before.isUpToDate', false), restoreDb)
    .otherwise(keepDb);
  keepDb.next(rollback);
  restoreDb.next(rollback);
  prepare.addCatch(keepDb, { resultPath: '$.error' });
  upgradeAndReturn.addCatch(upgraded, { resultPath: '$.error' });

  const rolledBack = failWithReport(
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
      'approval.$': '$.approval',
      'schemaBefore.$': '$.schema.before',
      'serviceVersionBefore.$': '$.versionBefore',
    },
    { errorPath: '$.error.Error', causePath: '$.error.Cause' },
  );
  rollback.next(rolledBack);
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
      'approval.$': '$.approval',
      'schemaBefore.$': '$.schema.before',
      'serviceVersionBefore.$': '$.versionBefore',
      resources: { 'dbInstances.$': '$.inspect.db', 'service.$': '$.inspect.service' },
    },
    { error: 'RollbackFailed', causePath: '$.rollbackError.Cause' },
  );
  rollback.parallel.addCatch(inspectAfterFailedRollback(scope, ctx, rollbackFailed), { resultPath: '$.rollbackError' });

  const dryRunOrChange = new sfn.Choice(scope, 'Is this a dry run?', {
    comment: 'A dry run reads and reports; it changes nothing.',
  })
    .when(sfn.Condition.booleanEquals('$.plan.dryRun', true), new DryRun(scope, ctx))
    .otherwise(prepare);

  sfn.Chain.start(prepare)
    .next(upgradeAndReturn)
    .next(summarizeSuccess(scope))
    .next(new sfn.Succeed(scope, 'Migration complete', { comment: 'The service runs the upgraded version at its original count.' }));
  return sfn.Chain.start(preflight).next(new SingleFlight(scope, ctx)).next(dryRunOrChange);
}
