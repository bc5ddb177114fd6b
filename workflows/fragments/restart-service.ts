import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { absent, ENTERED_TIME, invoke, retryUntilReady, sdkCall } from '../tasks';
import { BoundedPoll } from './bounded-poll';
import { locateTask } from './locate-task';
import { describeService, runsDeployment, serviceNotThere, steady } from './service';

export interface RestartServiceProps {
  /** Distinguishes the restarts in the console: "for the migration", "on the new schema", "on the original release". */
  readonly label: string;
  readonly key: string;
  readonly why: string;
  /** JSONPath of the task definition the new deployment runs. */
  readonly taskDefinitionPath: string;
  /** When set, the same call also sets the desired count (the rollback puts both back at once). */
  readonly desiredCountPath?: string;
  /** Upgrading must talk to exactly one task: refuse to go on when more than one runs. */
  readonly requireSingleTask: boolean;
  /** Wait for the migration service on 8082 to answer before going on. */
  readonly waitForMigrationService: boolean;
  /** The new task must run this image digest (the approved plan's), or the step fails with PlanChanged. */
  readonly expectedDigestPath?: string;
}

/** GET /ping on the migration service of the task at `endpointPath`, retried while it starts, bounded. */
export function waitForMigrationService(scope: Construct, ctx: RunbookContext, label: string, endpointPath: string): sfn.TaskStateBase {
  const ping = invoke(scope, `Wait for the migration service to answer (${label})`, ctx.fns.pingMigrationService, {
    comment: 'The container starts the migration service on 8082 first; retried while it is not up yet, a bounded number of times.',
    payload: { 'baseUrl.$': `${endpointPath}.migrationUrl`, timeoutMs: ctx.config.migration.requestTimeoutSeconds * 1000 },
    resultPath: sfn.JsonPath.DISCARD,
  });
  retryUntilReady(ping, ['MigrationServiceUnavailable', 'MigrationServiceBusy'], ctx.config.waits.migrationService);
  return ping;
}

/**
 * The guide's "Stop All" no longer pulls a newer image: ECS pins a deployment's tasks to the image
 * digest it resolved. A new deployment (forceNewDeployment) resolves the tag again, respects the
 * service's minimum healthy percent, and is what "restart" means here. Done when the deployment the
 * restart created is the only one and all its tasks run; then the task's address is recorded in `$.endpoint`.
 */
export class RestartService extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext, props: RestartServiceProps) {
    super(scope, `fragment: Restart ${props.label}`);
    const d = ctx.config.deployment;
    const count = props.desiredCountPath ? { 'DesiredCount.$': props.desiredCountPath } : {};
    const restart = sdkCall(scope, `Restart the service ${props.label}`, {
      comment: props.why,
      service: 'ecs',
      action: 'updateService',
      parameters: {
        Cluster: d.clusterName,
        Service: d.serviceName,
        'TaskDefinition.$': props.taskDefinitionPath,
        ForceNewDeployment: true,
        ...count,
      },
      iamResources: [ctx.arns.service],
      // The answer names the deployment the restart created: the wait is for that one.
      resultSelector: { 'StartedAt.$': ENTERED_TIME, 'Service.$': '$.Service' },
      resultPath: `$.steps.${props.key}`,
      retry: { errors: ['Ecs.ServerException'] },
    });
    const wait = new BoundedPoll(scope, {
      title: `Wait for the restart ${props.label}`,
      why: 'The restart is done when the new deployment is the only one and all its tasks run.',
      counter: props.key,
      check: describeService(scope, `Describe the service (restart ${props.label})`, ctx),
      question: `Has the restart ${props.label} rolled out?`,
      done: sfn.Condition.and(steady(props.desiredCountPath), runsDeployment(`$.steps.${props.key}`)),
      ...serviceNotThere(props.key),
      poll: ctx.config.waits.service,
      timeoutError: 'NewTaskNotHealthyInTime',
    });
    const locate = locateTask(scope, ctx, { label: props.label, requireSingleTask: props.requireSingleTask, expectedDigestPath: props.expectedDigestPath });
    // The wait is for the deployment this call started: the PRIMARY one its answer names. Without
    // it (every field of an AWS answer is optional) the wait could never tell it from the one
    // before: stop at once, rather than wait out the bound. Each field is tested for presence before
    // a rule reads it (a missing path read by a Choice ends the execution in States.Runtime).
    const first = `$.steps.${props.key}.Service.Deployments[0]`;
    const unnamed = new sfn.Fail(scope, `The restart ${props.label} named no deployment`, {
      comment: 'UpdateService answered without the deployment it started: which one to wait for is unknown.',
      error: 'RestartNotConfirmed',
      cause: `UpdateService answered the restart ${props.label} without naming the deployment it started; the runbook cannot tell when it has rolled out. See the service's deployments in the ECS console.`,
    });
    restart.next(
      new sfn.Choice(scope, `Did the restart ${props.label} name its deployment?`, { comment: 'The deployment to wait for is the PRIMARY one this UpdateService answer names.' })
        .when(absent(`${first}.Id`), unnamed)
        .when(absent(`${first}.Status`), unnamed)
        .when(sfn.Condition.not(sfn.Condition.stringEquals(`${first}.Status`, 'PRIMARY')), unnamed)
        .otherwise(wait),
    );
    wait.next(locate);
    if (props.waitForMigrationService) {
      const ping = waitForMigrationService(scope, ctx, props.label, '$.endpoint');
      locate.next(ping);
      this.endStates = ping.endStates;
    } else {
      this.endStates = locate.endStates;
    }
    this.startState = restart;
  }
}
