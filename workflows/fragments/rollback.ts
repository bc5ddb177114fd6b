import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { sdkCall } from '../tasks';
import { bestEffort, notify } from './notify';
import { RestoreDatabase, turnBackupsOn } from './restore-database';
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
    const restoreDb = new RestoreDatabase(scope, ctx);
    const restart = new RestartService(scope, ctx, {
      label: 'on the original release',
      key: 'rollbackRestart',
      why: 'Puts back the original task definition and task count in one deployment.',
      taskDefinitionPath: '$.original.taskDefinition',
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
    const restoredDb = sfn.Condition.booleanEquals('$.rollback.restoreDatabase', true);
    const serviceBack = sfn.Chain.start(restart)
      .next(answers)
      .next(
        new sfn.Choice(scope, 'Was the database restored?', { comment: 'A restored instance gets its automated backups back last, once the service answers again.' })
          .when(restoredDb, turnBackupsOn(scope, ctx, tellRolledBack))
          .otherwise(tellRolledBack),
      );
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
  const dbs = sdkCall(scope, 'Describe the DB instances after the failed rollback', {
    comment: 'The original identifier, the renamed-aside one and the restored one, whichever exist.',
    service: 'rds',
    action: 'describeDBInstances',
    parameters: {
      Filters: [{ Name: 'db-instance-id', 'Values.$': `States.Array('${d.dbInstanceIdentifier}', $.plan.asideInstanceId, $.plan.restoreInstanceId)` }],
    },
    iamResources: [ctx.arns.anyDbInstance],
    iamAction: 'rds:DescribeDBInstances',
    resultSelector: { 'Instances.$': '$.DbInstances' },
    resultPath: '$.inspect.db',
  });
  const svc = sdkCall(scope, 'Describe the service after the failed rollback', {
    comment: 'Task definition, desired and running counts as they are now.',
    service: 'ecs',
    action: 'describeServices',
    parameters: { Cluster: d.clusterName, Services: [d.serviceName] },
    iamResources: [ctx.arns.service],
    resultSelector: { 'Services.$': '$.Services' },
    resultPath: '$.inspect.service',
  });
  dbs.addCatch(svc, { resultPath: '$.inspect.db' });
  svc.addCatch(then, { resultPath: '$.inspect.service' });
  dbs.next(svc).next(then);
  return dbs;
}
