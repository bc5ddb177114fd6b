import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { invoke, sdkCall } from '../tasks';
import { bestEffort, notify } from './notify';
import { RestartService } from './restart-service';
import { checkServiceVersion } from './service-version';

/**
 * The failure branch. The database is restored only when the upgrade request had been sent (the
 * schema may have changed); before that a restore would only throw away writes made since the
 * snapshot. Either way the service goes back to its original task definition and count and must
 * answer /version. Wrapped in a Parallel so that any failure inside it stops everything at once:
 * a rollback that fails touches nothing more.
 */
export class Rollback extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];
  /** Where a failed rollback goes: the caller reports the resources' state and fails. */
  readonly parallel: sfn.Parallel;

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Rollback');
    const restoreDb = ctx.database.restore(scope, ctx);
    const restart = new RestartService(scope, ctx, {
      label: 'on the original release',
      key: 'rollbackRestart',
      why: 'Puts back the original release and task count in one deployment.',
      taskDefinitionPath: '$.rollbackRelease.taskDefinition',
      desiredCountPath: '$.original.desiredCount',
      requireSingleTask: false,
      waitForMigrationService: false,
    });
    const answers = checkServiceVersion(scope, ctx, {
      name: 'Check the service answers after the rollback',
      comment: 'The rollback is done only when the metadata service answers /version again.',
      resultPath: '$.versionAfterRollback',
    });
    const rolledBack = new sfn.Pass(scope, 'Service rolled back', { comment: 'The service runs its original release and count again.' });
    const tellRolledBack = bestEffort(
      notify(scope, ctx, 'Notify: rolled back', 'Metaflow migration rolled back:', 'The migration failed and was rolled back; the execution ends FAILED with the report.'),
      rolledBack,
    );
    // The original task definition names a tag; a new deployment resolves it again, and the tag may
    // have been pushed since the service's tasks started (`latest` moves with every release). The
    // original release is only back for certain when pinned to the digest those tasks ran, recorded
    // in preflight: ECS pins a deployment to the digest it resolved, so that digest is the release.
    const pin = invoke(scope, 'Pin the original image by digest', ctx.fns.retargetTaskDefinition, {
      comment:
        'A revision of the original task definition that runs the digest the service ran before the change, everything else kept; the original itself when it already names that digest.',
      payload: {
        'taskDefinition.$': '$.original.taskDefinition',
        containerName: ctx.config.deployment.containerName,
        'pinDigest.$': '$.runningRelease.ImageDigest',
        'changeId.$': '$.plan.changeId',
      },
      resultPath: '$.rollbackRelease',
    });
    pin.next(restart);
    const restoredDb = sfn.Condition.booleanEquals('$.rollback.restoreDatabase', true);
    restart.next(answers).next(
      new sfn.Choice(scope, 'Was the database restored?', { comment: ctx.database.lastOnceServing })
        .when(restoredDb, ctx.database.afterServiceBack(scope, ctx, tellRolledBack))
          .otherwise(tellRolledBack),
    );
    const serviceBack = pin;
    const decide = new sfn.Choice(scope, 'Restore the database?', {
      comment: 'Only when the upgrade request was sent: otherwise the schema is untouched and the snapshot is kept unused.',
    })
      .when(restoredDb, restoreDb)
      .otherwise(serviceBack);
    restoreDb.next(serviceBack);

    this.parallel = new sfn.Parallel(scope, 'Roll back', {
      comment: 'Any failure in here stops the rollback where it is; nothing more is changed.',
      outputPath: '$[0]',
    }).branch(decide);
    this.startState = this.parallel;
    this.endStates = this.parallel.endStates;
  }
}

/**
 * After a failed rollback: describe what is there, without changing anything, so the error says
 * which resource is in which state. Each look tolerates its own failure and goes on to `then`.
 */
export function inspectAfterFailedRollback(scope: Construct, ctx: RunbookContext, then: sfn.IChainable): sfn.State {
  const d = ctx.config.deployment;
  const svc = sdkCall(scope, 'Describe the service after the failed rollback', {
    comment: 'Task definition, desired and running counts as they are now.',
    service: 'ecs',
    action: 'describeServices',
    parameters: { Cluster: d.clusterName, Services: [d.serviceName] },
    iamResources: [ctx.arns.service],
    resultSelector: { 'Services.$': '$.Services' },
    resultPath: '$.inspect.service',
  });
  svc.addCatch(then, { resultPath: '$.inspect.service' });
  svc.next(then);
  return ctx.database.inspect(scope, ctx, svc);
}
