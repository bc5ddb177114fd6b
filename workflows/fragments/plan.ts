import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { passTaskRoles, type RunbookContext } from '../context';
import { absent, ENTERED_TIME, invoke, sdkCall } from '../tasks';
import { BoundedPoll } from './bounded-poll';
import { locateTask } from './locate-task';
import { waitForMigrationService } from './restart-service';
import { readSchemaStatus } from './schema';

/** RunTask's startedBy for the plan task: `aws ecs list-tasks --started-by` finds it. */
export const PLAN_STARTED_BY = 'metaflow-migration';

/** Where the plan task's RunTask answer is kept; the task is `Tasks[0]` when one started. */
const PLAN_TASK = '$.planTask.Tasks[0]';

/**
 * The plan, before anything changes: the migrations the image the restart would deploy knows
 * and the database lacks. A task running now may run an older image that knows fewer migrations,
 * so one standalone task (RunTask, outside the service: the service neither counts nor replaces
 * it) is started from the task definition the restart would deploy (the service's own, or the
 * `targetImage` revision), in the service's subnets and security groups. Its migration service is
 * read (`/db_schema_status`, never its `/version`: on an empty database that runs every migration),
 * the image digest it runs recorded, and the task stopped, on every path, within a bounded wait.
 */
export class ReadPlan extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Plan');
    const d = ctx.config.deployment;
    const retarget = invoke(scope, 'Move the task definition to the target image', ctx.fns.retargetTaskDefinition, {
      comment:
        'Guide step 4.2: a pinned image must move to the new tag in a new revision, or the restart brings the old image back. Registering a revision changes nothing the service runs.',
      payload: {
        'taskDefinition.$': '$.original.taskDefinition',
        containerName: d.containerName,
        'targetImage.$': '$.plan.targetImage',
        'changeId.$': '$.plan.changeId',
      },
      resultPath: '$.release',
    });
    const keep = new sfn.Pass(scope, 'Keep the current task definition', {
      comment: 'No target image: the restart re-resolves the current tag (a new deployment pulls the image again), and so does the plan task.',
      parameters: { 'taskDefinition.$': '$.original.taskDefinition' },
      resultPath: '$.release',
    });
    const image = new sfn.Choice(scope, 'Was a target image given?', { comment: 'The plan is read from the image the restart will deploy.' })
      .when(sfn.Condition.isString('$.plan.targetImage'), retarget)
      .otherwise(keep);

    const run = sdkCall(scope, 'Start a task of the new release to read the plan', {
      comment: 'One task outside the service, in its subnets and security groups, from the task definition the restart will deploy: it reads the database, changes nothing.',
      service: 'ecs',
      action: 'runTask',
      parameters: {
        Cluster: d.clusterName,
        'TaskDefinition.$': '$.release.taskDefinition',
        LaunchType: 'FARGATE',
        Count: 1,
        StartedBy: PLAN_STARTED_BY,
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            'Subnets.$': '$.original.network.Subnets',
            'SecurityGroups.$': '$.original.network.SecurityGroups',
            'AssignPublicIp.$': '$.original.network.AssignPublicIp',
          },
        },
        Tags: [
          { Key: 'metaflow-migration:change-id', 'Value.$': '$.plan.changeId' },
          { Key: 'metaflow-migration:purpose', Value: 'read the migration plan' },
        ],
      },
      iamResources: [ctx.arns.taskDefinitions],
      additionalIamStatements: [
        ...[passTaskRoles(ctx.arns)].filter((s): s is iam.PolicyStatement => s !== undefined),
        new iam.PolicyStatement({
          actions: ['ecs:TagResource'],
          resources: [ctx.arns.tasks],
          conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
        }),
      ],
      // Kept whole: without capacity ECS answers with Failures and no task.
      resultSelector: { 'Tasks.$': '$.Tasks', 'Failures.$': '$.Failures', 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.planTask',
      retry: { errors: ['Ecs.ServerException'] },
    });
    const notStarted = new sfn.Fail(scope, 'The plan task did not start', {
      comment: 'Nothing was changed; ECS gave its reasons in the answer (see the history).',
      error: 'PlanTaskNotStarted',
      cause: 'RunTask started no task (no capacity, or the task definition cannot run in these subnets); nothing was changed.',
    });
    const locate = locateTask(scope, ctx, { label: 'plan', requireSingleTask: false, taskArnPath: `${PLAN_TASK}.TaskArn`, resultPath: '$.planEndpoint' });
    const ping = waitForMigrationService(scope, ctx, 'plan', '$.planEndpoint');
    const read = readSchemaStatus(
      scope,
      'Read the plan from the new image',
      ctx,
      'GET /db_schema_status from the image that will run: its pending migrations are the plan. Read-only.',
      '$.schema.plan',
      { endpointPath: '$.planEndpoint' },
    );

    const stop = sdkCall(scope, 'Stop the plan task', {
      comment: 'Always, whether the plan was read or not: the task was only there to read it.',
      service: 'ecs',
      action: 'stopTask',
      parameters: { Cluster: d.clusterName, 'Task.$': `${PLAN_TASK}.TaskArn`, Reason: 'metaflow-migration: the plan was read' },
      iamResources: [ctx.arns.tasks],
      resultPath: sfn.JsonPath.DISCARD,
      retry: { errors: ['Ecs.ServerException'] },
    });
    const stopped = new BoundedPoll(scope, {
      title: 'Wait for the plan task to stop',
      why: 'The plan task reads the database: it must be gone before the change starts.',
      counter: 'planTaskStop',
      check: sdkCall(scope, 'Describe the plan task', {
        comment: 'Reads the plan task\'s status until it is STOPPED.',
        service: 'ecs',
        action: 'describeTasks',
        parameters: { Cluster: d.clusterName, 'Tasks.$': `States.Array(${PLAN_TASK}.TaskArn)` },
        iamResources: [ctx.arns.tasks],
        resultSelector: { 'Tasks.$': '$.Tasks' },
        resultPath: '$.planTaskStatus',
        retry: { errors: ['Ecs.ServerException'] },
      }),
      question: 'Has the plan task stopped?',
      done: sfn.Condition.stringEquals('$.planTaskStatus.Tasks[0].LastStatus', 'STOPPED'),
      poll: ctx.config.waits.service,
      timeoutError: 'PlanTaskNotStopped',
    });
    const leftRunning = new sfn.Pass(scope, 'Say which plan task is left running', {
      comment: 'ECS refused to stop it: the operator must, before starting again. Nothing else was changed.',
      parameters: { 'text.$': `States.Format('The plan task {} could not be stopped: stop it with aws ecs stop-task. Nothing else was changed. ECS said: {}', ${PLAN_TASK}.TaskArn, $.planStopError.Cause)` },
      resultPath: '$.planStopError',
    });
    leftRunning.next(
      new sfn.Fail(scope, 'The plan task could not be stopped', {
        comment: 'Nothing was changed but the plan task runs on; the cause names it.',
        error: 'PlanTaskNotStopped',
        causePath: '$.planStopError.text',
      }),
    );
    stop.addCatch(leftRunning, { resultPath: '$.planStopError' });
    const failedToRead = new sfn.Fail(scope, 'The plan could not be read', {
      comment: 'Nothing was changed; the plan task is stopped. The error is the one reading the plan met.',
      errorPath: '$.planError.Error',
      causePath: '$.planError.Cause',
    });
    const planRead = new sfn.Pass(scope, 'Plan read', { comment: 'The pending migrations and the image digest that the approval names.' });
    const outcome = new sfn.Choice(scope, 'Was the plan read?', { comment: 'The task is stopped either way; a failure to read ends the run, nothing changed.' })
      .when(sfn.Condition.isPresent('$.planError'), failedToRead)
      .otherwise(planRead);

    retarget.next(run);
    keep.next(run);
    // A task in the answer without its ARN cannot be stopped by it, and an answer with neither a task
    // nor a failure does not say whether one started: the operator is told how to find it.
    const unnamed = new sfn.Fail(scope, 'The plan task cannot be named', {
      comment: 'ECS answered without the ARN of a task it may have started, so the runbook cannot stop it; nothing else was changed.',
      error: 'PlanTaskNotStopped',
      cause: `RunTask answered without the ARN of the task it started (or any failure): find it with aws ecs list-tasks --cluster ${d.clusterName} --started-by ${PLAN_STARTED_BY} and stop it. Nothing else was changed.`,
    });
    run.next(
      new sfn.Choice(scope, 'Did the plan task start?', { comment: 'RunTask answers with failures, not an error, when no task could start.' })
        .when(sfn.Condition.isPresent(`${PLAN_TASK}.TaskArn`), locate)
        .when(sfn.Condition.and(absent(PLAN_TASK), sfn.Condition.isPresent('$.planTask.Failures[0]')), notStarted)
        .otherwise(unnamed),
    );
    for (const step of [locate, ping, read]) step.addCatch(stop, { resultPath: '$.planError' });
    locate.next(ping).next(read).next(stop);
    stop.next(stopped);
    stopped.next(outcome);
    this.startState = image;
    this.endStates = planRead.endStates;
  }
}
