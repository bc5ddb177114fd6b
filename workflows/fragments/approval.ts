import { Aws, Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { APPROVAL_STATE } from '../../handlers/logic/pending-approval';
import type { RunbookContext } from '../context';
import { invoke } from '../tasks';

/** The state the endpoint and the CLI look for in the history to find the task token. */
export { APPROVAL_STATE };

/** Errors of the answer's check that refuse the change (everything else failing there refuses it too). */
export const ANSWER_REFUSALS = ['ApproverNotVerified', 'ApproverNotAllowed', 'SelfApprovalRefused'] as const;

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
            'Change {} requested by {}. Reason: {}.',
            'Plan: apply {} migrations {} to the Metaflow database (schema {} now), as read from image {} at {}.',
            `Once approved: the service scales to one task and restarts onto that image; the runbook checks the new task runs that digest and lists those migrations, snapshots the database ({}), sends the upgrade, restarts the service and scales it back to {} tasks. The service runs on one task from the scale-down to the scale-back: about the snapshot's time (it grows with the database) and the upgrade's. Should anything fail once the upgrade is sent, the database is restored from the snapshot.`,
            `Asked at {}; without an answer within ${minutes} minutes the change is refused and nothing changes.`,
            `Console: https://${Aws.REGION}.console.aws.amazon.com/states/home?region=${Aws.REGION}#/v2/executions/details/{}`,
            'Approve: npm run runbook -- approve {} [--comment <text>]. Reject: npm run runbook -- reject {} --reason <why>. Both sign the request with your AWS credentials; the runbook records who you are from the signature.',
            ...answerPolicy(ctx),
          ].join('\n'),
          sfn.JsonPath.stringAt('$.plan.changeId'),
          sfn.JsonPath.stringAt('$.requester.label'),
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
          ...(ctx.config.approval.approvers.length === 0 ? ['{"decision":"approved"}'] : []),
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
    const checkAnswer = (name: string, decision: 'approved' | 'rejected', answerPath: string, comment: string) =>
      invoke(scope, name, ctx.fns.verifyIdentity, {
        comment,
        payload: {
          check: 'answer',
          decision,
          'answer.$': answerPath,
          'requester.$': '$.requester.id',
          'executionArn.$': '$$.Execution.Id',
          'checkedAt.$': '$$.State.EnteredTime',
          timeoutMinutes: minutes,
          approvers: [...ctx.config.approval.approvers],
          allowSelfApproval: ctx.config.approval.allowSelfApproval,
          keyArn: ctx.attestationKey.keyArn,
        },
        resultPath: '$.approval',
      });
    const verifyApproval = checkAnswer(
      'Verify who approved',
      'approved',
      '$.approval',
      "Checks the approval is the runbook endpoint's (a verified approver, not the requester) before anything changes; a plain payload counts only where no approvers are configured.",
    );
    const verifyRejection = checkAnswer(
      'Verify who rejected',
      'rejected',
      '$.error.Cause',
      'Records who rejected, verified or not: a rejection changes nothing, so it stands either way.',
    );
    ask.addCatch(timedOut, { errors: ['States.Timeout'], resultPath: '$.approvalTimeout' });
    ask.addCatch(verifyRejection, { errors: ['ChangeRejected'], resultPath: '$.error' });
    // Any failure to check an approval refuses it: nothing has changed yet.
    verifyApproval.addCatch(refused, { errors: [...ANSWER_REFUSALS], resultPath: '$.error' });
    verifyApproval.addCatch(refused, { resultPath: '$.error' });
    verifyRejection.addCatch(refused, { resultPath: '$.answerCheckError' });
    timedOut.next(refused);
    verifyRejection.next(refused);
    const notNeeded = new sfn.Pass(scope, 'No approval needed: nothing to upgrade', {
      comment: 'The image that will run lists no pending migration: nothing irreversible will happen.',
      result: sfn.Result.fromObject({ decision: 'not needed' }),
      resultPath: '$.approval',
    });
    const pending = new sfn.Choice(scope, 'Are migrations pending?', { comment: 'An approval is asked only for a change that upgrades the schema.' })
      .when(sfn.Condition.booleanEquals('$.schema.plan.isUpToDate', false), ask)
      .otherwise(notNeeded);
    const approved = new sfn.Pass(scope, 'Change approved', { comment: 'Approved; who, whether verified, and why are in the approval result.' });
    ask.next(verifyApproval).next(approved);
    notNeeded.next(approved);
    this.startState = pending;
    this.endStates = approved.endStates;
  }
}

/**
 * How an answer counts, in the approvers' message: with approvers configured only the endpoint's
 * answer does, and the plain payload is not offered; without them it is, marked unverified.
 */
function answerPolicy(ctx: RunbookContext): string[] {
  const { approvers, allowSelfApproval } = ctx.config.approval;
  const self = allowSelfApproval ? 'The requester may approve their own change.' : 'The requester may not approve their own change.';
  if (approvers.length > 0) {
    return [
      `Who may approve: ${approvers.join(', ')}. ${self} Only an approval through the runbook's endpoint counts: a plain aws stepfunctions send-task-success is refused.`,
      'Task token (the endpoint finds it itself): {}',
    ];
  }
  return [
    `Anyone allowed to call the runbook's endpoint may approve. ${self}`,
    'Or with the AWS CLI (recorded as not verified): aws stepfunctions send-task-success --task-token {} --task-output {}, or send-task-failure --task-token (the same) --error ChangeRejected --cause <why>.',
  ];
}
