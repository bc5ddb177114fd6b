import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';

/** The state the CLI looks for in the history to find the task token (see cli/). */
export const APPROVAL_STATE = 'Wait for approval';

/**
 * The gate before the irreversible step: after the snapshot is available and the status shows
 * pending migrations, a person approves. The approvers get the change, the migrations and how to
 * answer; the execution waits (bounded by the approval timeout) for SendTaskSuccess/Failure with
 * the task token. A rejection or a timeout rolls the service back; nothing was upgraded.
 */
export class ApprovalGate extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Approval');
    const ask = new tasks.SnsPublish(scope, APPROVAL_STATE, {
      comment: 'Notifies the approvers and pauses until one answers with the task token, or the approval times out.',
      topic: ctx.topic,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      subject: sfn.JsonPath.format('Approval needed: Metaflow schema migration {}', sfn.JsonPath.stringAt('$.plan.changeId')),
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          'Change {} requested by {} ({}) will upgrade the Metaflow database schema from {} by applying {}. Snapshot {} is available. ' +
            'Approve: npm run runbook -- approve {}   Reject: npm run runbook -- reject {} --reason <why>   ' +
            '(or SendTaskSuccess / SendTaskFailure with this task token: {}).',
          sfn.JsonPath.stringAt('$.plan.changeId'),
          sfn.JsonPath.stringAt('$.plan.requestedBy'),
          sfn.JsonPath.stringAt('$.plan.reason'),
          sfn.JsonPath.stringAt('$.schema.before.currentVersion'),
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.schema.before.unappliedMigrations')),
          sfn.JsonPath.stringAt('$.plan.snapshotId'),
          sfn.JsonPath.stringAt('$$.Execution.Id'),
          sfn.JsonPath.stringAt('$$.Execution.Id'),
          sfn.JsonPath.taskToken,
        ),
      ),
      messageAttributes: {
        taskToken: { value: sfn.JsonPath.taskToken },
        changeId: { value: sfn.JsonPath.stringAt('$.plan.changeId') },
        execution: { value: sfn.JsonPath.stringAt('$$.Execution.Id') },
      },
      // A deployment setting, not an input: TimeoutSecondsPath would allow one per execution, but the
      // local interpreter resolves it against the wrong input, and we deploy only what we rehearse.
      taskTimeout: sfn.Timeout.duration(Duration.minutes(ctx.config.approval.timeoutMinutes)),
      // Kept whole: the answer's shape is the approver's, and a missing field must not fail the run.
      resultPath: '$.approval',
    });
    const notNeeded = new sfn.Pass(scope, 'No approval needed: nothing to upgrade', {
      comment: 'The schema is already up to date: nothing irreversible will happen.',
      result: sfn.Result.fromObject({ decision: 'not needed' }),
      resultPath: '$.approval',
    });
    const pending = new sfn.Choice(scope, 'Are migrations pending?')
      .when(sfn.Condition.booleanEquals('$.schema.before.isUpToDate', false), ask)
      .otherwise(notNeeded);
    const approved = new sfn.Pass(scope, 'Change approved', { comment: 'Approved; who and why are in the approval result.' });
    ask.next(approved);
    notNeeded.next(approved);
    this.startState = pending;
    this.endStates = approved.endStates;
  }
}
