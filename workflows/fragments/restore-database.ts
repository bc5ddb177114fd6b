import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { ENTERED_TIME, sdkCall } from '../tasks';
import { BoundedPoll } from './bounded-poll';
import { bestEffort, notify } from './notify';
import { changeTags } from './snapshot';

const RESTORE_FAILED = sfn.Condition.or(
  sfn.Condition.stringEquals('$.restored.Status', 'failed'),
  sfn.Condition.stringMatches('$.restored.Status', 'incompatible-*'),
  sfn.Condition.stringEquals('$.restored.Status', 'storage-full'),
);

/**
 * The guide's "restore your RDS instance using the backup", in place so the service keeps its
 * endpoint: rename the current instance aside (kept, never deleted), restore the snapshot under the
 * original identifier with every setting the original had (a restore otherwise gets defaults), then
 * apply what the restore call cannot set. Metadata written after the snapshot is not in the restore;
 * it stays readable on the renamed instance.
 */
export class RestoreDatabase extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Restore database');
    const dbId = ctx.config.deployment.dbInstanceIdentifier;
    const rename = sdkCall(scope, 'Rename the current instance aside', {
      comment: 'Frees the original identifier for the restore and keeps the upgraded instance for investigation.',
      service: 'rds',
      action: 'modifyDBInstance',
      parameters: { DbInstanceIdentifier: dbId, // Java SDK v2 lowers only a leading run of capitals: the mid-word DB stays.
        'NewDBInstanceIdentifier.$': '$.plan.asideInstanceId', ApplyImmediately: true },
      iamResources: [ctx.arns.dbInstance, ctx.arns.asideInstances],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.renameAside',
      retry: { errors: ['Rds.InvalidDbInstanceStateException'], maxAttempts: 6 },
    });
    const describeAside = sdkCall(scope, 'Describe the renamed instance', {
      comment: 'Filters by identifier, so "not renamed yet" is an empty list rather than an error.',
      service: 'rds',
      action: 'describeDBInstances',
      parameters: { Filters: [{ Name: 'db-instance-id', 'Values.$': 'States.Array($.plan.asideInstanceId)' }] },
      iamResources: [ctx.arns.anyDbInstance],
      iamAction: 'rds:DescribeDBInstances',
      resultSelector: { 'Instances.$': '$.DbInstances', 'CheckedAt.$': ENTERED_TIME },
      resultPath: '$.aside',
      retry: { errors: ['Rds.RdsException'] },
    });
    const renamed = new BoundedPoll(scope, {
      title: 'Wait for the rename to take effect',
      why: 'A rename takes about ten minutes; the original identifier is free only once it is done.',
      counter: 'rename',
      check: describeAside,
      question: 'Is the renamed instance available?',
      done: sfn.Condition.and(
        sfn.Condition.isPresent('$.aside.Instances[0]'),
        sfn.Condition.stringEquals('$.aside.Instances[0].DbInstanceStatus', 'available'),
      ),
      poll: ctx.config.waits.instance,
      timeoutError: 'RenameNotEffectiveInTime',
    });

    const restoreParams = {
      DbInstanceIdentifier: dbId,
      'DbSnapshotIdentifier.$': '$.plan.snapshotId',
      'DbInstanceClass.$': '$.original.restore.DbInstanceClass',
      'DbSubnetGroupName.$': '$.original.restore.DbSubnetGroupName',
      'VpcSecurityGroupIds.$': '$.original.restore.VpcSecurityGroupIds',
      'DbParameterGroupName.$': '$.original.restore.DbParameterGroupName',
      'OptionGroupName.$': '$.original.restore.OptionGroupName',
      'MultiAZ.$': '$.original.restore.MultiAZ',
      'PubliclyAccessible.$': '$.original.restore.PubliclyAccessible',
      'DeletionProtection.$': '$.original.restore.DeletionProtection',
      'CopyTagsToSnapshot.$': '$.original.restore.CopyTagsToSnapshot',
      'AutoMinorVersionUpgrade.$': '$.original.restore.AutoMinorVersionUpgrade',
      'StorageType.$': '$.original.restore.StorageType',
      'Port.$': '$.original.restore.Port',
      'Tags.$': '$.original.restore.Tags',
    };
    const restoreResources = [
      ctx.arns.dbInstance,
      ctx.arns.snapshots,
      ctx.arns.subnetGroups,
      ctx.arns.parameterGroups,
      ctx.arns.optionGroups,
    ];
    const restoreProps = (iops: boolean) => ({
      comment: iops
        ? 'Restores with the original settings, including its provisioned IOPS.'
        : 'Restores with the original settings passed explicitly: security groups, parameter and option groups, class, Multi-AZ, storage, access, protection, tags.',
      service: 'rds' as const,
      action: 'restoreDBInstanceFromDBSnapshot',
      parameters: iops ? { ...restoreParams, 'Iops.$': '$.original.restore.Iops' } : restoreParams,
      iamResources: restoreResources,
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restore',
    });
    const restore = sdkCall(scope, 'Restore the snapshot under the original identifier', restoreProps(false));
    const restoreWithIops = sdkCall(scope, 'Restore the snapshot with provisioned IOPS', restoreProps(true));
    const which = new sfn.Choice(scope, 'Does the instance use provisioned IOPS?')
      .when(sfn.Condition.isNumeric('$.original.restore.Iops'), restoreWithIops)
      .otherwise(restore);

    const describeRestored = (name: string) =>
      sdkCall(scope, name, {
        comment: 'Reads the restored instance status.',
        service: 'rds',
        action: 'describeDBInstances',
        parameters: { DbInstanceIdentifier: dbId },
        iamResources: [ctx.arns.dbInstance],
        resultSelector: { 'Status.$': '$.DbInstances[0].DbInstanceStatus', 'CheckedAt.$': ENTERED_TIME },
        resultPath: '$.restored',
        retry: { errors: ['Rds.RdsException'] },
      });
    /** The restored instance must be available (again): the service restarts only against it. */
    const restoredAvailable = (props: { title: string; why: string; counter: string; check: string; question: string; failedName: string }) =>
      new BoundedPoll(scope, {
        title: props.title,
        why: props.why,
        counter: props.counter,
        check: describeRestored(props.check),
        question: props.question,
        done: sfn.Condition.stringEquals('$.restored.Status', 'available'),
        failed: { condition: RESTORE_FAILED, name: props.failedName, error: 'RestoreFailed', cause: 'The restored instance reached a failed or incompatible state.' },
        poll: ctx.config.waits.instance,
        timeoutError: 'RestoreNotAvailableInTime',
      });
    const restoredUp = restoredAvailable({
      title: 'Wait for the restored instance available',
      why: 'The service can reconnect only once the restored instance is available under the original endpoint.',
      counter: 'restore',
      check: 'Describe the restored instance',
      question: 'Is the restored instance available?',
      failedName: 'Restore did not complete',
    });
    const settings = sdkCall(scope, 'Apply the settings the restore cannot set', {
      comment: 'Backup retention and maintenance windows are not restore parameters; put back the original values.',
      service: 'rds',
      action: 'modifyDBInstance',
      parameters: {
        DbInstanceIdentifier: dbId,
        'BackupRetentionPeriod.$': '$.original.afterRestore.BackupRetentionPeriod',
        'PreferredBackupWindow.$': '$.original.afterRestore.PreferredBackupWindow',
        'PreferredMaintenanceWindow.$': '$.original.afterRestore.PreferredMaintenanceWindow',
        ApplyImmediately: true,
      },
      iamResources: [ctx.arns.dbInstance],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restoreSettings',
      retry: { errors: ['Rds.InvalidDbInstanceStateException'], maxAttempts: 6 },
    });
    const settled = restoredAvailable({
      title: 'Wait for the restored instance settings',
      why: 'Changing backup retention may reboot the instance; the service restarts only against an available database.',
      counter: 'restoreSettings',
      check: 'Describe the restored instance again',
      question: 'Is the restored instance available again?',
      failedName: 'Restored instance failed',
    });
    const tag = sdkCall(scope, 'Tag the renamed instance', {
      comment: 'Ties the kept instance to the change and the execution, for audit and for the cleanup later.',
      service: 'rds',
      action: 'addTagsToResource',
      parameters: { 'ResourceName.$': '$.aside.Instances[0].DbInstanceArn', Tags: changeTags() },
      iamResources: [ctx.arns.asideInstances],
      resultPath: sfn.JsonPath.DISCARD,
    });
    rename.next(renamed);
    renamed.next(tag);
    tag.addCatch(which, { resultPath: '$.taggingError' });
    tag.next(which);
    restore.next(restoredUp);
    restoreWithIops.next(restoredUp);
    restoredUp.next(settings);
    settings.next(settled);
    const restored = new sfn.Pass(scope, 'Database restored', { comment: 'The original identifier serves the snapshot again.' });
    settled.next(
      bestEffort(
        notify(scope, ctx, 'Notify: database restored', 'Metaflow database restored:', 'The database was restored from the pre-migration snapshot; metadata written after it is on the renamed-aside instance.'),
        restored,
      ),
    );
    this.startState = rename;
    this.endStates = restored.endStates;
  }
}
