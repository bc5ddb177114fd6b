import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { bestEffort, notify } from '../fragments/notify';
import { RestoreCluster } from '../fragments/restore-cluster';
import { TakeSnapshot } from '../fragments/snapshot';
import { sdkCall } from '../tasks';
import { type ClusterArns, clusterArns } from './arns';
import { grantRestoreDependencies, grantTaggingOnCreate } from './grants';
import type { DatabaseKind } from './kind';
import { DATABASE_STATE_NAMES } from './names';

/**
 * An Aurora PostgreSQL DB cluster (the Terraform datastore module with `db_engine =
 * "aurora-postgresql"`: one cluster, one instance `<cluster>-0`, its own KMS key). The service's
 * MF_METADATA_DB_HOST is the cluster endpoint; snapshots and restores are cluster operations, and a
 * restore brings the instances back only when they are created again
 * (workflows/fragments/restore-cluster.ts).
 */
export class ClusterKind implements DatabaseKind {
  readonly kind = 'cluster' as const;
  readonly names = DATABASE_STATE_NAMES.cluster;
  readonly arns: ClusterArns;
  readonly planInput: Readonly<Record<string, string>>;
  readonly assessInput: Readonly<Record<string, unknown>>;
  readonly reportResources = { 'dbClusters.$': '$.inspect.db', 'dbInstances.$': '$.inspect.instances' };
  readonly lastOnceServing = 'A restored cluster came back with its automated backups (Aurora backs up continuously): the subscribers are told.';

  constructor(readonly identifier: string) {
    this.arns = clusterArns(identifier);
    this.planInput = { dbClusterIdentifier: identifier };
    this.assessInput = {
      'dbClusters.$': '$.described.db.DbClusters',
      'dbInstances.$': '$.described.instances.DbInstances',
      dbClusterIdentifier: identifier,
      'restoreClusterId.$': '$.plan.restoreClusterId',
      // The members' counterparts end with the same hash as every name the plan derived.
      'executionName.$': '$$.Execution.Name',
    };
  }

  describe(scope: Construct, _ctx: RunbookContext) {
    const [clusterName, instancesName] = this.names.describe as [string, string];
    const cluster = sdkCall(scope, clusterName, {
      comment: 'A cluster snapshot needs the cluster available; its settings are what a restore must put back.',
      service: 'rds',
      action: 'describeDBClusters',
      parameters: { DbClusterIdentifier: this.identifier },
      iamResources: [this.arns.dbCluster],
      resultSelector: { 'DbClusters.$': '$.DbClusters' },
      resultPath: '$.described.db',
      retry: { errors: ['Rds.RdsException'] },
    });
    const instances = sdkCall(scope, instancesName, {
      comment: "Every instance must be available; each one's settings are what its counterpart in a restored cluster is created with.",
      service: 'rds',
      action: 'describeDBInstances',
      parameters: { Filters: [{ Name: 'db-cluster-id', Values: [this.identifier] }] },
      iamResources: [this.arns.anyDbInstance],
      iamAction: 'rds:DescribeDBInstances',
      resultSelector: { 'DbInstances.$': '$.DbInstances' },
      resultPath: '$.described.instances',
      retry: { errors: ['Rds.RdsException'] },
    });
    cluster.next(instances);
    return { first: cluster, last: instances };
  }

  snapshot(scope: Construct, ctx: RunbookContext): sfn.StateMachineFragment {
    return new TakeSnapshot(scope, ctx, {
      names: {
        create: this.names.snapshot,
        describe: 'Describe the cluster snapshot',
        wait: 'Wait for the cluster snapshot available',
        question: 'Is the cluster snapshot available?',
        failed: 'Cluster snapshot did not complete',
      },
      create: {
        action: 'createDBClusterSnapshot',
        parameters: { DbClusterIdentifier: this.identifier, 'DbClusterSnapshotIdentifier.$': '$.plan.snapshotId' },
      },
      describe: { action: 'describeDBClusterSnapshots', parameters: { 'DbClusterSnapshotIdentifier.$': '$.plan.snapshotId' }, list: '$.DbClusterSnapshots' },
      iamResources: [this.arns.dbCluster, this.arns.clusterSnapshots],
    });
  }

  restore(scope: Construct, ctx: RunbookContext): sfn.StateMachineFragment {
    return new RestoreCluster(scope, ctx, this);
  }

  afterServiceBack(scope: Construct, ctx: RunbookContext, then: sfn.IChainable): sfn.IChainable {
    return bestEffort(
      notify(scope, ctx, 'Notify: database restored', 'Metaflow database restored:', 'The Aurora cluster was restored from the pre-migration snapshot; metadata written after it is on the renamed-aside cluster.'),
      then,
    );
  }

  inspect(scope: Construct, _ctx: RunbookContext, then: sfn.State): sfn.State {
    const everyCluster = `States.Array('${this.identifier}', $.plan.asideClusterId, $.plan.restoreClusterId)`;
    const clusters = sdkCall(scope, this.names.inspect, {
      comment: 'The original identifier, the renamed-aside one and the restored one, whichever exist.',
      service: 'rds',
      action: 'describeDBClusters',
      parameters: { Filters: [{ Name: 'db-cluster-id', 'Values.$': everyCluster }] },
      iamResources: [this.arns.anyDbCluster],
      iamAction: 'rds:DescribeDBClusters',
      resultSelector: { 'Clusters.$': '$.DbClusters' },
      resultPath: '$.inspect.db',
    });
    const instances = sdkCall(scope, 'Describe the DB instances after the failed rollback', {
      comment: 'Every instance of those clusters, under whichever identifier it has now.',
      service: 'rds',
      action: 'describeDBInstances',
      parameters: { Filters: [{ Name: 'db-cluster-id', 'Values.$': everyCluster }] },
      iamResources: [this.arns.anyDbInstance],
      iamAction: 'rds:DescribeDBInstances',
      resultSelector: { 'Instances.$': '$.DbInstances' },
      resultPath: '$.inspect.instances',
    });
    clusters.addCatch(instances, { resultPath: '$.inspect.db' });
    clusters.next(instances);
    instances.addCatch(then, { resultPath: '$.inspect.instances' });
    instances.next(then);
    return clusters;
  }

  grant(stateMachine: sfn.StateMachine): void {
    grantTaggingOnCreate(stateMachine, [this.arns.clusterSnapshots, this.arns.restoredClusters, this.arns.restoredInstances]);
    grantRestoreDependencies(stateMachine);
  }
}
