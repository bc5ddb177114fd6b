import { Aws, Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';

/** The state the CLI looks for in the history to find the task token (see cli/). */
export const APPROVAL_STATE = 'Wait for approval';

/**
 * The gate before anything changes: the plan has been read from the image that will run, and a
 * person approves exactly that. The approvers get the change, the migrations, the image digest,
 * what will happen and for how long the service runs on one task, the deadline, the execution's
 * console link and both ways to answer. The execution waits, bounded by the approval timeout, for
 * SendTaskSuccess/Failure with the task token. A rejection or a timeout changes nothing at all:
 * the run ends there, with nothing to roll back.
 */
export class ApprovalGate extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext, notApproved: (scope: Construct) => sfn.IChainable) {
    super(scope, 'fragment: Approval');
    const minutes = ctx.config.approval.timeoutMinutes;
    const execution = sfn.JsonPath.stringAt('$$.Execution.Id');
    const ask = new tasks.SnsPublish(scope, APPROVAL_STATE, {
      comment: 'Notifies the approvers with the plan and pauses until one answers with the task token, or the approval times out.',
      topic: ctx.topic,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      subject: sfn.JsonPath.format('Approval needed: Metaflow schema migration {}', sfn.JsonPath.stringAt('$.plan.changeId')),
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          [
            'Change {} requested by {} ({}).',
            'Plan: apply {} migrations {} to the Metaflow database (schema {} now), as read from image {} at {}.',
            `Once approved: the service scales to one task and restarts onto that image; the runbook checks the new task runs that digest and lists those migrations, snapshots the database ({}), sends the upgrade, restarts the service and scales it back to {} tasks. The service runs on one task from the scale-down to the scale-back: about the snapshot's time (it grows with the database) and the upgrade's. Should anything fail once the upgrade is sent, the database is restored from the snapshot.`,
            `Asked at {}; without an answer within ${minutes} minutes the change is refused and nothing changes.`,
            `Console: https://${Aws.REGION}.console.aws.amazon.com/states/home?region=${Aws.REGION}#/v2/executions/details/{}`,
            'Approve: npm run runbook -- approve {} [--comment <text>]. Reject: npm run runbook -- reject {} --reason <why>.',
            'Or with the AWS CLI: aws stepfunctions send-task-success --task-token {} --task-output {}, or send-task-failure --task-token (the same) --error ChangeRejected --cause <why>.',
          ].join('\n'),
          sfn.JsonPath.stringAt('$.plan.changeId'),
          sfn.JsonPath.stringAt('$.plan.requestedBy'),
          sfn.JsonPath.stringAt('$.plan.reason'),
          sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.schema.plan.unappliedMigrations')),
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.schema.plan.unappliedMigrations')),
          sfn.JsonPath.stringAt('$.schema.plan.currentVersion'),
          sfn.JsonPath.stringAt('$.planEndpoint.Image'),
          sfn.JsonPath.stringAt('$.planEndpoint.ImageDigest'),
          sfn.JsonPath.stringAt('$.plan.snapshotId'),
          sfn.JsonPath.stringAt('$.original.desiredCount'),
          sfn.JsonPath.stringAt('$$.State.EnteredTime'),
          execution,
          execution,
          execution,
          sfn.JsonPath.taskToken,
          '{"decision":"approved"}',
        ),
      ),
      messageAttributes: {
        taskToken: { value: sfn.JsonPath.taskToken },
        changeId: { value: sfn.JsonPath.stringAt('$.plan.changeId') },
        execution: { value: execution },
        imageDigest: { value: sfn.JsonPath.stringAt('$.planEndpoint.ImageDigest') },
      },
      // A deployment setting, not an input: TimeoutSecondsPath would allow one per execution, but the
      // local interpreter resolves it against the wrong input, and we deploy only what we rehearse.
      taskTimeout: sfn.Timeout.duration(Duration.minutes(minutes)),
      // Kept whole: the answer's shape is the approver's, and a missing field must not fail the run.
      resultPath: '$.approval',
    });
    // Names starting with States. are the language's own (ASL specification, "Errors"): a timed-out
    // approval ends with an error of the runbook's.
    const timedOut = new sfn.Pass(scope, 'The approval timed out', {
      comment: `Nobody answered within ${minutes} minutes: the change is refused, nothing was changed.`,
      parameters: { Error: 'ApprovalTimedOut', Cause: `No approver answered within ${minutes} minutes; nothing was changed.` },
      resultPath: '$.error',
    });
    const refused = notApproved(scope);
    ask.addCatch(timedOut, { errors: ['States.Timeout'], resultPath: '$.approvalTimeout' });
    ask.addCatch(refused, { errors: ['ChangeRejected'], resultPath: '$.error' });
    timedOut.next(refused);
    const notNeeded = new sfn.Pass(scope, 'No approval needed: nothing to upgrade', {
      comment: 'The image that will run lists no pending migration: nothing irreversible will happen.',
      result: sfn.Result.fromObject({ decision: 'not needed' }),
      resultPath: '$.approval',
    });
    const pending = new sfn.Choice(scope, 'Are migrations pending?', { comment: 'An approval is asked only for a change that upgrades the schema.' })
      .when(sfn.Condition.booleanEquals('$.schema.plan.isUpToDate', false), ask)
      .otherwise(notNeeded);
    const approved = new sfn.Pass(scope, 'Change approved', { comment: 'Approved; who and why are in the approval result.' });
    ask.next(approved);
    notNeeded.next(approved);
    this.startState = pending;
    this.endStates = approved.endStates;
  }
}
