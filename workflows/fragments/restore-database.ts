import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PollConfig } from '../../infra/config';
import type { RunbookContext } from '../context';
import type { InstanceArns } from '../database/arns';
import { ENTERED_TIME, sdkCall } from '../tasks';
import { bestEffort, notify } from './notify';
import { type AvailableProps, renameCall, tagKept, untilAvailable } from './rds-steps';

/**
 * The guide's "restore your RDS instance using the backup", without taking the database away for
 * the length of the restore: the snapshot is restored beside the original, under a temporary
 * identifier, with every setting the original has (the calls are built by preflight from the parity
 * table, handlers/logic/restore-parity.ts), while the original keeps serving. Then the swap: the
 * original is renamed aside (kept, never deleted) and the restored instance takes the original
 * identifier, which is what the service's MF_METADATA_DB_HOST, CloudFormation and Terraform name.
 * The database does not answer only during the two renames, however large it is. The second
 * rename reboots the restored instance, which puts its parameter group in force
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html).
 *
 * If the restored instance cannot take the identifier, the original is renamed back: the one
 * window with no instance under the original name is closed before the rollback reports. Automated
 * backups come back last (`turnBackupsOn`): with them on, a restored instance refuses changes for
 * hours. Metadata written after the snapshot is not in the restore; it stays on the renamed instance.
 */
export class RestoreDatabase extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext, db: InstanceDatabase) {
    super(scope, 'fragment: Restore database');
    const dbId = db.identifier;
    const arns = db.arns;
    const failed = (name: string) => ({ name, cause: 'The restored instance reached a failed or incompatible state; the original is untouched.' });
    /** Waits until an instance is available under `idExpression`; RDS refuses changes before that. */
    const available = (props: Omit<AvailableProps, 'poll' | 'failed'> & { failedName?: string; poll?: PollConfig }) => {
      const { failedName, poll, ...rest } = props;
      return untilAvailable(scope, 'instance', arns.anyDbInstance, { ...rest, ...(failedName ? { failed: failed(failedName) } : {}), poll: poll ?? ctx.config.waits.instance });
    };

    const restore = sdkCall(scope, 'Restore the snapshot beside the original', {
      comment:
        'Under a temporary identifier, while the original keeps serving; with every setting the original has that a restore takes (groups, class, storage, zone, access, protection, CA, logs, IAM authentication, tags), built by preflight. Automated backups stay off until the end.',
      service: 'rds',
      action: 'restoreDBInstanceFromDBSnapshot',
      requestPath: '$.original.restore.parameters',
      iamResources: [arns.restoredInstances, arns.snapshots, arns.subnetGroups, arns.parameterGroups, arns.optionGroups],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restore',
    });
    const restoredUp = available({
      title: 'Wait for the restored instance available',
      why: 'A restore takes as long as the database is large; the original serves meanwhile.',
      counter: 'restore',
      check: 'Describe the restored instance',
      question: 'Is the restored instance available?',
      idExpression: '$.plan.restoreInstanceId',
      resultPath: '$.restored',
      failedName: 'Restore did not complete',
      timeoutError: 'RestoreNotAvailableInTime',
      poll: ctx.config.waits.restore,
    });
    const settings = sdkCall(scope, 'Apply the settings the restore cannot set', {
      comment: 'Maintenance window, storage autoscaling, enhanced monitoring and Performance Insights are not restore parameters: put back the original values, at once, before the swap.',
      service: 'rds',
      action: 'modifyDBInstance',
      requestPath: '$.original.afterRestore.settings',
      iamResources: [arns.restoredInstances],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restoreSettings',
      retry: { errors: ['Rds.InvalidDbInstanceStateException'], maxAttempts: 6 },
    });
    const settled = available({
      title: 'Wait for the restored instance settings',
      why: 'The settings take a minute to apply; a rename needs an available instance.',
      counter: 'restoreSettings',
      check: 'Describe the restored instance again',
      question: 'Is the restored instance available again?',
      idExpression: '$.plan.restoreInstanceId',
      resultPath: '$.restored',
      failedName: 'Restored instance failed',
      timeoutError: 'RestoreNotAvailableInTime',
    });
    const rename = (name: string, comment: string, from: string, to: string, resources: string[], resultKey: string) =>
      renameCall(scope, 'instance', name, { comment, from, to, iamResources: resources, resultPath: `$.steps.${resultKey}` });
    const renameAside = rename(
      'Rename the current instance aside',
      'The swap begins: the original identifier is freed, the upgraded instance kept for investigation. From here until the restored instance has the identifier, the database does not answer. Applied at once, or RDS would wait for the maintenance window.',
      dbId,
      '$.plan.asideInstanceId',
      [arns.dbInstance, arns.asideInstances],
      'renameAside',
    );
    const renamed = available({
      title: 'Wait for the rename to take effect',
      why: 'A rename takes about ten minutes; the original identifier is free only once it is done.',
      counter: 'rename',
      check: 'Describe the renamed instance',
      question: 'Is the renamed instance available?',
      idExpression: '$.plan.asideInstanceId',
      resultPath: '$.aside',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    const tag = tagKept(scope, 'instance', 'Tag the renamed instance', {
      comment: 'Ties the kept instance to the change and the execution, for audit and for the cleanup later.',
      idPath: '$.plan.asideInstanceId',
      iamResources: [arns.asideInstances],
    });
    const takeOver = rename(
      'Give the restored instance the original identifier',
      'The restored instance becomes the database the service, CloudFormation and Terraform know. The rename reboots it, which puts its parameter group in force.',
      '$.plan.restoreInstanceId',
      dbId,
      [arns.restoredInstances],
      'takeOver',
    );
    const tookOver = available({
      title: 'Wait for the restored instance under the original identifier',
      why: 'The endpoint answers again once the rename is done; the service restarts only against it.',
      counter: 'takeOver',
      check: 'Describe the instance under the original identifier',
      question: 'Does the original identifier serve the restored instance?',
      idExpression: `'${dbId}'`,
      resultPath: '$.restored',
      failedName: 'Restored instance failed after the rename',
      timeoutError: 'RenameNotEffectiveInTime',
    });

    // The one window with no instance under the original name: if the restored instance cannot take
    // it, the original goes back, and the rollback stops with both instances named.
    const renameBack = rename(
      'Rename the original back',
      'The restored instance could not take the identifier: the original goes back under it, so the service has its database again.',
      '$.plan.asideInstanceId',
      dbId,
      [arns.asideInstances],
      'renameBack',
    );
    const back = available({
      title: 'Wait for the original under its identifier again',
      why: 'The rename back takes about ten minutes, like any rename.',
      counter: 'renameBack',
      check: 'Describe the original again',
      question: 'Is the original back under its identifier?',
      idExpression: `'${dbId}'`,
      resultPath: '$.renamedBack',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    // The local interpreter takes no intrinsic function in CausePath (AWS does): the cause is written first.
    const explain = new sfn.Pass(scope, 'Say the swap was undone', {
      comment: 'Names the restored instance and why it could not take the identifier, for the report.',
      parameters: {
        'text.$':
          "States.Format('The restored instance {} could not take the original identifier ({}: {}); the original instance was renamed back and serves again. The restored instance is kept.', $.plan.restoreInstanceId, $.swapError.Error, $.swapError.Cause)",
      },
      resultPath: '$.swapUndone',
    });
    const swapUndone = new sfn.Fail(scope, 'Swap undone: the original serves again', {
      comment: 'The rollback stops here: the original instance (with the upgraded schema) is back under its identifier; the restored instance is kept, tagged, for an operator to take over.',
      error: 'SwapFailed',
      causePath: '$.swapUndone.text',
    });
    takeOver.addCatch(renameBack, { resultPath: '$.swapError' });
    renameBack.next(back);
    back.next(explain).next(swapUndone);

    const restored = new sfn.Pass(scope, 'Database restored', { comment: 'The original identifier serves the snapshot again, with the original settings.' });
    restore.next(restoredUp);
    restoredUp.next(settings);
    settings.next(settled);
    settled.next(renameAside);
    renameAside.next(renamed);
    renamed.next(tag);
    tag.addCatch(takeOver, { resultPath: '$.taggingError' });
    tag.next(takeOver);
    takeOver.next(tookOver);
    tookOver.next(restored);
    this.startState = restore;
    this.endStates = restored.endStates;
  }
}

/**
 * Turns automated backups back on, with the original retention and window: the last change to the
 * restored instance, once the service is back, because RDS starts a backup at once and refuses
 * other changes until it ends. Then tells the subscribers the database was restored.
 */
export function turnBackupsOn(scope: Construct, ctx: RunbookContext, db: InstanceDatabase, then: sfn.IChainable): sfn.IChainable {
  const backups = sdkCall(scope, 'Turn automated backups back on', {
    comment: 'The original retention and backup window; RDS starts a backup of the restored instance at once, while it keeps serving.',
    service: 'rds',
    action: 'modifyDBInstance',
    requestPath: '$.original.afterRestore.backups',
    iamResources: [db.arns.dbInstance],
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

/** The instance a restore replaces: its identifier and what the runbook may do to it and its counterparts. */
export interface InstanceDatabase {
  readonly identifier: string;
  readonly arns: InstanceArns;
}
