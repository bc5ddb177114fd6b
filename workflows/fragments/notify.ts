import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';

/**
 * A notification on the change's topic. Best effort: a failed publish is recorded and the
 * runbook goes on, since a notification must never stop a rollback.
 */
export function notify(scope: Construct, ctx: RunbookContext, name: string, subject: string, message: string): sfn.TaskStateBase {
  const publish = new tasks.SnsPublish(scope, name, {
    comment: 'Tells the subscribers; a failure to publish does not stop the runbook.',
    topic: ctx.topic,
    subject: sfn.JsonPath.format(`${subject} {}`, sfn.JsonPath.stringAt('$.plan.changeId')),
    message: sfn.TaskInput.fromText(sfn.JsonPath.format(`${message} Execution: {}`, sfn.JsonPath.stringAt('$$.Execution.Id'))),
    resultPath: sfn.JsonPath.DISCARD,
  });
  return publish;
}

/** Chains `publish` so that its failure continues to the same next state. */
export function bestEffort(publish: sfn.TaskStateBase, next: sfn.IChainable): sfn.Chain {
  publish.addCatch(next, { resultPath: '$.notificationError' });
  return publish.next(next);
}
