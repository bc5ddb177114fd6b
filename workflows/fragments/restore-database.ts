import { Aws } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { absent, ENTERED_TIME, sdkCall } from '../tasks';
import { BoundedPoll } from './bounded-poll';
import { bestEffort, notify } from './notify';
import { changeTags } from './snapshot';

/** Where the instance descriptions of the restore are written; the instance is `Instances[0]` when there is one. */
const RESTORED = '$.restored.Instances[0]';

/**
 * The guide's "restore your RDS instance using the backup", in place so the service keeps its
 * endpoint: rename the current instance aside (kept, never deleted), restore the snapshot under the
 * original identifier, then put back what the restore call cannot take and reboot if its parameter
 * group waits for one. Every call is built by preflight from the parity table
 * (handlers/logic/restore-parity.ts), so the restored instance is the original on every setting
 * the table says a restore carries over. Automated backups come back last (`turnBackupsOn`): with
 * them on, a restored instance refuses changes for hours. Metadata written after the snapshot is
 * not in the restore; it stays readable on the renamed instance.
 */
export class RestoreDatabase extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Restore database');
    const dbId = ctx.config.deployment.dbInstanceIdentifier;
    const rename = sdkCall(scope, 'Rename the current instance aside', {
      comment: 'Frees the original identifier for the restore and keeps the upgraded instance for investigation. Applied at once, or RDS would wait for the maintenance window.',
      service: 'rds',
      action: 'modifyDBInstance',
      parameters: { DbInstanceIdentifier: dbId, // Java SDK v2 lowers only a leading run of capitals: the mid-word DB stays.
        'NewDBInstanceIdentifier.$': '$.plan.asideInstanceId', ApplyImmediately: true },
      iamResources: [ctx.arns.dbInstance, ctx.arns.asideInstances],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.renameAside',
      retry: { errors: ['Rds.InvalidDbInstanceStateException'], maxAttempts: 6 },
    });
    const renamed = new BoundedPoll(scope, {
      title: 'Wait for the rename to take effect',
      why: 'A rename takes about ten minutes; the original identifier is free only once it is done.',
      counter: 'rename',
      check: describeInstance(scope, ctx, 'Describe the renamed instance', '$.plan.asideInstanceId', '$.aside'),
      question: 'Is the renamed instance available?',
      done: sfn.Condition.stringEquals('$.aside.Instances[0].DbInstanceStatus', 'available'),
      poll: ctx.config.waits.instance,
      timeoutError: 'RenameNotEffectiveInTime',
    });
    const tag = sdkCall(scope, 'Tag the renamed instance', {
      comment: 'Ties the kept instance to the change and the execution, for audit and for the cleanup later.',
      service: 'rds',
      action: 'addTagsToResource',
      parameters: {
        'ResourceName.$': `States.Format('arn:${Aws.PARTITION}:rds:${Aws.REGION}:${Aws.ACCOUNT_ID}:db:{}', $.plan.asideInstanceId)`,
        Tags: changeTags(),
      },
      iamResources: [ctx.arns.asideInstances],
      resultPath: sfn.JsonPath.DISCARD,
    });

    const restore = sdkCall(scope, 'Restore the snapshot under the original identifier', {
      comment:
        'With every setting the original had that a restore takes (groups, class, storage, zone, access, protection, CA, logs, IAM authentication, tags), built by preflight. Automated backups stay off until the end.',
      service: 'rds',
      action: 'restoreDBInstanceFromDBSnapshot',
      requestPath: '$.original.restore.parameters',
      iamResources: [ctx.arns.dbInstance, ctx.arns.snapshots, ctx.arns.subnetGroups, ctx.arns.parameterGroups, ctx.arns.optionGroups],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restore',
    });
    const failedStates = sfn.Condition.or(
      sfn.Condition.stringEquals(`${RESTORED}.DbInstanceStatus`, 'failed'),
      sfn.Condition.stringMatches(`${RESTORED}.DbInstanceStatus`, 'incompatible-*'),
      sfn.Condition.stringEquals(`${RESTORED}.DbInstanceStatus`, 'storage-full'),
      sfn.Condition.stringEquals(`${RESTORED}.DbInstanceStatus`, 'inaccessible-encryption-credentials'),
    );
    /** The restored instance must be available (again) before the next change: RDS refuses changes otherwise. */
    const available = (props: { title: string; why: string; counter: string; check: string; question: string; failedName: string }) =>
      new BoundedPoll(scope, {
        title: props.title,
        why: props.why,
        counter: props.counter,
        check: describeInstance(scope, ctx, props.check, `'${dbId}'`, '$.restored'),
        question: props.question,
        done: sfn.Condition.stringEquals(`${RESTORED}.DbInstanceStatus`, 'available'),
        failed: { condition: failedStates, name: props.failedName, error: 'RestoreFailed', cause: 'The restored instance reached a failed or incompatible state.' },
        poll: ctx.config.waits.instance,
        timeoutError: 'RestoreNotAvailableInTime',
      });
    const restoredUp = available({
      title: 'Wait for the restored instance available',
      why: 'The settings a restore cannot take can be applied only to an available instance.',
      counter: 'restore',
      check: 'Describe the restored instance',
      question: 'Is the restored instance available?',
      failedName: 'Restore did not complete',
    });
    const settings = sdkCall(scope, 'Apply the settings the restore cannot set', {
      comment: 'Maintenance window, storage autoscaling, enhanced monitoring and Performance Insights are not restore parameters: put back the original values, at once.',
      service: 'rds',
      action: 'modifyDBInstance',
      requestPath: '$.original.afterRestore.settings',
      iamResources: [ctx.arns.dbInstance],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restoreSettings',
      retry: { errors: ['Rds.InvalidDbInstanceStateException'], maxAttempts: 6 },
    });
    const settled = available({
      title: 'Wait for the restored instance settings',
      why: 'The settings take a minute to apply; the reboot and the service wait for an available database.',
      counter: 'restoreSettings',
      check: 'Describe the restored instance again',
      question: 'Is the restored instance available again?',
      failedName: 'Restored instance failed',
    });
    const reboot = sdkCall(scope, 'Reboot to apply the parameter group', {
      comment: 'A restore with its own parameter group leaves it pending a reboot: without one, static parameters would not be in force.',
      service: 'rds',
      action: 'rebootDBInstance',
      parameters: { DbInstanceIdentifier: dbId },
      iamResources: [ctx.arns.dbInstance],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.rebootRestored',
      retry: { errors: ['Rds.InvalidDbInstanceStateException'], maxAttempts: 6 },
    });
    const rebooted = available({
      title: 'Wait for the restored instance after the reboot',
      why: 'The service restarts only against an available database.',
      counter: 'rebootRestored',
      check: 'Describe the rebooted instance',
      question: 'Is the rebooted instance available?',
      failedName: 'Rebooted instance failed',
    });
    const restored = new sfn.Pass(scope, 'Database restored', { comment: 'The original identifier serves the snapshot again, with the original settings.' });
    const applyStatus = `${RESTORED}.DbParameterGroups[0].ParameterApplyStatus`;
    const needsReboot = new sfn.Choice(scope, 'Does the parameter group wait for a reboot?', {
      comment: 'pending-reboot (or no status to tell): reboot once; in-sync: nothing to do.',
    })
      .when(absent(applyStatus), reboot)
      .when(sfn.Condition.stringEquals(applyStatus, 'pending-reboot'), reboot)
      .otherwise(restored);

    rename.next(renamed);
    renamed.next(tag);
    tag.addCatch(restore, { resultPath: '$.taggingError' });
    tag.next(restore);
    restore.next(restoredUp);
    restoredUp.next(settings);
    settings.next(settled);
    settled.next(needsReboot);
    reboot.next(rebooted);
    rebooted.next(restored);
    this.startState = rename;
    this.endStates = restored.endStates;
  }
}

/**
 * Turns automated backups back on, with the original retention and window: the last change to the
 * restored instance, once the service is back, because RDS starts a backup at once and refuses
 * other changes until it ends. Then tells the subscribers the database was restored.
 */
export function turnBackupsOn(scope: Construct, ctx: RunbookContext, then: sfn.IChainable): sfn.IChainable {
  const backups = sdkCall(scope, 'Turn automated backups back on', {
    comment: 'The original retention and backup window; RDS starts a backup of the restored instance at once, while it keeps serving.',
    service: 'rds',
    action: 'modifyDBInstance',
    requestPath: '$.original.afterRestore.backups',
    iamResources: [ctx.arns.dbInstance],
    resultSelector: { 'StartedAt.$': ENTERED_TIME },
    resultPath: '$.steps.backupsOn',
    retry: { errors: ['Rds.InvalidDbInstanceStateException'], maxAttempts: 6 },
  });
  return backups.next(
    bestEffort(
      notify(scope, ctx, 'Notify: database restored', 'Metaflow database restored:', 'The database was restored from the pre-migration snapshot; metadata written after it is on the renamed-aside instance.'),
      then,
    ),
  );
}

/** DescribeDBInstances by a filter on the identifier: an instance not there (yet) is an empty list, not an error. */
function describeInstance(scope: Construct, ctx: RunbookContext, name: string, idExpression: string, resultPath: string): sfn.TaskStateBase {
  return sdkCall(scope, name, {
    comment: 'Filters by identifier, so "not there yet" is an empty list rather than an error.',
    service: 'rds',
    action: 'describeDBInstances',
    parameters: { Filters: [{ Name: 'db-instance-id', 'Values.$': `States.Array(${idExpression})` }] },
    iamResources: [ctx.arns.anyDbInstance],
    iamAction: 'rds:DescribeDBInstances',
    resultSelector: { 'Instances.$': '$.DbInstances', 'CheckedAt.$': ENTERED_TIME },
    resultPath,
    retry: { errors: ['Rds.RdsException'] },
  });
}
