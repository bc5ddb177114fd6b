import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { RestoreDatabase, turnBackupsOn } from '../fragments/restore-database';
import { TakeSnapshot } from '../fragments/snapshot';
import { sdkCall } from '../tasks';
import { type InstanceArns, instanceArns } from './arns';
import { grantRestoreDependencies, grantTaggingOnCreate } from './grants';
import type { DatabaseKind } from './kind';
import { DATABASE_STATE_NAMES } from './names';

/**
 * An RDS DB instance (the guide's CloudFormation template, the Terraform modules' default, one made
 * in the console): snapshot with CreateDBSnapshot, restore with RestoreDBInstanceFromDBSnapshot
 * beside the original, then the swap (workflows/fragments/restore-database.ts).
 */
export class InstanceKind implements DatabaseKind {
  readonly kind = 'instance' as const;
  readonly names = DATABASE_STATE_NAMES.instance;
  readonly arns: InstanceArns;
  readonly planInput: Readonly<Record<string, string>>;
  readonly assessInput: Readonly<Record<string, unknown>>;
  readonly reportResources = { 'dbInstances.$': '$.inspect.db' };
  readonly lastOnceServing = 'A restored instance gets its automated backups back last, once the service answers again.';

  constructor(readonly identifier: string) {
    this.arns = instanceArns(identifier);
    this.planInput = { dbInstanceIdentifier: identifier };
    this.assessInput = {
      'dbInstances.$': '$.described.db.DbInstances',
      dbInstanceIdentifier: identifier,
      'restoreInstanceId.$': '$.plan.restoreInstanceId',
    };
  }

  describe(scope: Construct, _ctx: RunbookContext) {
    const [name] = this.names.describe as [string];
    const task = sdkCall(scope, name, {
      comment: 'A snapshot needs the instance available; its settings are what a restore must put back.',
      service: 'rds',
      action: 'describeDBInstances',
      parameters: { DbInstanceIdentifier: this.identifier },
      iamResources: [this.arns.dbInstance],
      resultSelector: { 'DbInstances.$': '$.DbInstances' },
      resultPath: '$.described.db',
      retry: { errors: ['Rds.RdsException'] },
    });
    return { first: task, last: task };
  }

  snapshot(scope: Construct, ctx: RunbookContext): sfn.StateMachineFragment {
    return new TakeSnapshot(scope, ctx, {
      names: {
        create: this.names.snapshot,
        describe: 'Describe the snapshot',
        wait: 'Wait for snapshot available',
        question: 'Is the snapshot available?',
        failed: 'Snapshot did not complete',
      },
      create: {
        action: 'createDBSnapshot',
        parameters: { DbInstanceIdentifier: this.identifier, 'DbSnapshotIdentifier.$': '$.plan.snapshotId' },
      },
      describe: { action: 'describeDBSnapshots', parameters: { 'DbSnapshotIdentifier.$': '$.plan.snapshotId' }, list: '$.DbSnapshots' },
      iamResources: [this.arns.dbInstance, this.arns.snapshots],
    });
  }

  restore(scope: Construct, ctx: RunbookContext): sfn.StateMachineFragment {
    return new RestoreDatabase(scope, ctx, this);
  }

  afterServiceBack(scope: Construct, ctx: RunbookContext, then: sfn.IChainable): sfn.IChainable {
    return turnBackupsOn(scope, ctx, this, then);
  }

  inspect(scope: Construct, _ctx: RunbookContext, then: sfn.State): sfn.State {
    const dbs = sdkCall(scope, this.names.inspect, {
      comment: 'The original identifier, the renamed-aside one and the restored one, whichever exist.',
      service: 'rds',
      action: 'describeDBInstances',
      parameters: {
        Filters: [{ Name: 'db-instance-id', 'Values.$': `States.Array('${this.identifier}', $.plan.asideInstanceId, $.plan.restoreInstanceId)` }],
      },
      iamResources: [this.arns.anyDbInstance],
      iamAction: 'rds:DescribeDBInstances',
      resultSelector: { 'Instances.$': '$.DbInstances' },
      resultPath: '$.inspect.db',
    });
    dbs.addCatch(then, { resultPath: '$.inspect.db' });
    dbs.next(then);
    return dbs;
  }

  grant(stateMachine: sfn.StateMachine): void {
    grantTaggingOnCreate(stateMachine, [this.arns.snapshots, this.arns.restoredInstances]);
    grantRestoreDependencies(stateMachine);
  }
}
