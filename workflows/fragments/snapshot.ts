import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { ENTERED_TIME, sdkCall } from '../tasks';
import { BoundedPoll } from './bounded-poll';

/** Tags that tie every resource the runbook creates to its change and execution, for audit and cleanup. */
export function changeTags(): Record<string, string>[] {
  return [
    { Key: 'metaflow-migration:change-id', 'Value.$': '$.plan.changeId' },
    { Key: 'metaflow-migration:execution', 'Value.$': '$$.Execution.Id' },
  ];
}

/**
 * Guide: "We highly recommend taking a backup of your RDS instance before attempting this upgrade."
 * The snapshot is what the failure branch restores from, so the runbook does not go on until it is
 * available. It is never deleted by the runbook.
 */
export class TakeSnapshot extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Snapshot');
    const create = sdkCall(scope, 'Take RDS snapshot', {
      comment: 'The backup the guide asks for, named after the change and execution so a re-run never collides.',
      service: 'rds',
      action: 'createDBSnapshot',
      parameters: {
        DbInstanceIdentifier: ctx.config.deployment.dbInstanceIdentifier,
        'DbSnapshotIdentifier.$': '$.plan.snapshotId',
        Tags: changeTags(),
      },
      iamResources: [ctx.arns.dbInstance, ctx.arns.snapshots],
      resultSelector: { 'DbSnapshotArn.$': '$.DbSnapshot.DbSnapshotArn', 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.snapshot',
    });
    const describe = sdkCall(scope, 'Describe the snapshot', {
      comment: 'Reads the snapshot status: creating, available or failed.',
      service: 'rds',
      action: 'describeDBSnapshots',
      parameters: { 'DbSnapshotIdentifier.$': '$.plan.snapshotId' },
      iamResources: [ctx.arns.dbInstance, ctx.arns.snapshots],
      // Kept whole: PercentProgress, for one, is left out of some answers.
      resultSelector: { 'Snapshots.$': '$.DbSnapshots', 'CheckedAt.$': ENTERED_TIME },
      resultPath: '$.snapshotStatus',
      retry: { errors: ['Rds.RdsException'] },
    });
    const wait = new BoundedPoll(scope, {
      title: 'Wait for snapshot available',
      why: 'Nothing may change before the backup is complete.',
      counter: 'snapshot',
      check: describe,
      question: 'Is the snapshot available?',
      done: sfn.Condition.stringEquals('$.snapshotStatus.Snapshots[0].Status', 'available'),
      failed: {
        condition: sfn.Condition.not(sfn.Condition.stringEquals('$.snapshotStatus.Snapshots[0].Status', 'creating')),
        name: 'Snapshot did not complete',
        error: 'SnapshotFailed',
        cause: 'The snapshot left the creating state without becoming available; nothing else was changed.',
      },
      poll: ctx.config.waits.snapshot,
      timeoutError: 'SnapshotNotAvailableInTime',
    });
    create.next(wait);
    this.startState = create;
    this.endStates = wait.endStates;
  }
}
