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
 * The snapshot calls of one kind of database: a DB snapshot of an instance, a DB cluster snapshot
 * of an Aurora cluster. Both answer with a list whose status is creating, available or failed.
 */
export interface SnapshotCalls {
  /** State names, as an operator reads them. */
  readonly names: { readonly create: string; readonly describe: string; readonly wait: string; readonly question: string; readonly failed: string };
  /** The create action and its parameters (the snapshot's identifier is the plan's). */
  readonly create: { readonly action: string; readonly parameters: Record<string, unknown> };
  /** The describe action, its parameters, and where its answer lists the snapshot. */
  readonly describe: { readonly action: string; readonly parameters: Record<string, unknown>; readonly list: string };
  readonly iamResources: string[];
}

/**
 * Guide: "We highly recommend taking a backup of your RDS instance before attempting this upgrade."
 * The snapshot is what the failure branch restores from, so the runbook does not go on until it is
 * available. It is never deleted by the runbook.
 */
export class TakeSnapshot extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext, calls: SnapshotCalls) {
    super(scope, 'fragment: Snapshot');
    const create = sdkCall(scope, calls.names.create, {
      comment: 'The backup the guide asks for, named after the change and execution so a re-run never collides.',
      service: 'rds',
      action: calls.create.action,
      parameters: { ...calls.create.parameters, Tags: changeTags() },
      iamResources: calls.iamResources,
      // Only when it started: the snapshot is known by the plan's identifier, and selecting a field of
      // the answer (its ARN) would end the execution in States.Runtime if AWS left it out. The
      // answer itself stays in the history.
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.snapshot',
    });
    const describe = sdkCall(scope, calls.names.describe, {
      comment: 'Reads the snapshot status: creating, available or failed.',
      service: 'rds',
      action: calls.describe.action,
      parameters: calls.describe.parameters,
      iamResources: calls.iamResources,
      // Kept whole: PercentProgress, for one, is left out of some answers.
      resultSelector: { 'Snapshots.$': calls.describe.list, 'CheckedAt.$': ENTERED_TIME },
      resultPath: '$.snapshotStatus',
      retry: { errors: ['Rds.RdsException'] },
    });
    const wait = new BoundedPoll(scope, {
      title: calls.names.wait,
      why: 'Nothing may change before the backup is complete.',
      counter: 'snapshot',
      check: describe,
      question: calls.names.question,
      done: sfn.Condition.stringEquals('$.snapshotStatus.Snapshots[0].Status', 'available'),
      failed: {
        condition: sfn.Condition.not(sfn.Condition.stringEquals('$.snapshotStatus.Snapshots[0].Status', 'creating')),
        name: calls.names.failed,
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
