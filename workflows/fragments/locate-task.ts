import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { invoke, retryUntilReady } from '../tasks';

/**
 * Finds the task to talk to and records where to reach it in `$.endpoint`: the configured URLs, or
 * the task's private IP with the configured ports, with the image and digest it runs. A task still
 * starting (no address, no digest yet) is waited for, bounded; with `requireSingleTask`, more than
 * one running task is a failure: the upgrade must reach exactly one.
 */
export function locateTask(
  scope: Construct,
  ctx: RunbookContext,
  props: {
    label: string;
    requireSingleTask: boolean;
    /** A task known by its ARN (a standalone task) instead of the service's. */
    taskArnPath?: string;
    /** Refuse a task running another image digest than this one (the approved plan's). */
    expectedDigestPath?: string;
    resultPath?: string;
  },
): sfn.TaskStateBase {
  const d = ctx.config.deployment;
  const task = invoke(scope, `Find the task to call (${props.label})`, ctx.fns.locateTask, {
    comment: props.requireSingleTask
      ? 'Lists the running tasks (exactly one must run) and reads its private IP, to call it from inside the VPC.'
      : 'Reads the task\'s private IP and the image digest it runs, to call it from inside the VPC.',
    payload: {
      cluster: d.clusterName,
      containerName: d.containerName,
      ...(props.taskArnPath ? { 'taskArn.$': props.taskArnPath } : { serviceName: d.serviceName }),
      requireSingleTask: props.requireSingleTask,
      migrationPort: d.migrationPort,
      servicePort: d.servicePort,
      ...(d.migrationUrl ? { migrationUrl: d.migrationUrl } : {}),
      ...(d.serviceUrl ? { serviceUrl: d.serviceUrl } : {}),
      ...(props.expectedDigestPath ? { 'expectedDigest.$': props.expectedDigestPath } : {}),
    },
    resultPath: props.resultPath ?? '$.endpoint',
  });
  retryUntilReady(task, ['TaskNotReady'], ctx.config.waits.migrationService);
  return task;
}
