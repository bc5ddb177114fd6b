import { Aws } from 'aws-cdk-lib';

/** Snapshot identifiers the runbook creates (see handlers/logic/plan-change.ts). */
export const SNAPSHOT_PREFIX = 'metaflow-migration-';

/** An RDS resource of the deployment's account and Region: `db:<id>`, `cluster:<id>`, `snapshot:<id>`... */
export function rdsArn(resource: string): string {
  return `arn:${Aws.PARTITION}:rds:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
}

/**
 * The identifiers handlers/logic/derived-names.ts derives from `identifier`: its first characters
 * (cut to leave room for the tail), then `-<tail>-<hash>`. RDS stores identifiers in lower case and
 * authorizes the ARN it stores: a grant on the name as typed in upper case would match nothing
 * (RDS API reference, CreateDBInstance: "stored as a lowercase string").
 */
export function derivedArns(type: 'db' | 'cluster', identifier: string, tail: 'pre' | 'restored'): string {
  const id = identifier.toLowerCase();
  return rdsArn(`${type}:${id.slice(0, 63 - `-${tail}-12345678`.length)}*-${tail}-*`);
}

/** What a deployment whose database is an RDS DB instance is granted on. */
export interface InstanceArns {
  readonly dbInstance: string;
  /** Renamed-aside instances: the original identifier's first characters, then `-pre-<hash>`. */
  readonly asideInstances: string;
  /** Instances restored beside the original: its first characters, then `-restored-<hash>`. */
  readonly restoredInstances: string;
  readonly snapshots: string;
  /** Describe calls with Filters (no identifier) authorize on every instance; they only read. */
  readonly anyDbInstance: string;
  readonly subnetGroups: string;
  readonly parameterGroups: string;
  readonly optionGroups: string;
}

export function instanceArns(dbInstanceIdentifier: string): InstanceArns {
  return {
    dbInstance: rdsArn(`db:${dbInstanceIdentifier.toLowerCase()}`),
    asideInstances: derivedArns('db', dbInstanceIdentifier, 'pre'),
    restoredInstances: derivedArns('db', dbInstanceIdentifier, 'restored'),
    snapshots: rdsArn(`snapshot:${SNAPSHOT_PREFIX}*`),
    subnetGroups: rdsArn('subgrp:*'),
    parameterGroups: rdsArn('pg:*'),
    optionGroups: rdsArn('og:*'),
    anyDbInstance: rdsArn('db:*'),
  };
}

/** What a deployment whose database is an Aurora DB cluster is granted on; no standalone instance. */
export interface ClusterArns {
  readonly dbCluster: string;
  readonly asideClusters: string;
  readonly restoredClusters: string;
  readonly clusterSnapshots: string;
  /**
   * The cluster's instances: those whose identifier starts with the cluster's, as the Terraform
   * module names its `<cluster>-0` and the console its `<cluster>-instance-1` (preflight refuses a
   * cluster with another). Their renamed-aside and restored counterparts are derived from them.
   */
  readonly memberInstances: string;
  readonly asideInstances: string;
  readonly restoredInstances: string;
  /** Describe calls with Filters authorize on every cluster or instance; they only read. */
  readonly anyDbCluster: string;
  readonly anyDbInstance: string;
  readonly subnetGroups: string;
  readonly clusterParameterGroups: string;
  readonly parameterGroups: string;
}

export function clusterArns(dbClusterIdentifier: string): ClusterArns {
  const id = dbClusterIdentifier.toLowerCase();
  return {
    dbCluster: rdsArn(`cluster:${id}`),
    asideClusters: derivedArns('cluster', id, 'pre'),
    restoredClusters: derivedArns('cluster', id, 'restored'),
    clusterSnapshots: rdsArn(`cluster-snapshot:${SNAPSHOT_PREFIX}*`),
    memberInstances: rdsArn(`db:${id}*`),
    asideInstances: derivedArns('db', id, 'pre'),
    restoredInstances: derivedArns('db', id, 'restored'),
    anyDbCluster: rdsArn('cluster:*'),
    anyDbInstance: rdsArn('db:*'),
    subnetGroups: rdsArn('subgrp:*'),
    clusterParameterGroups: rdsArn('cluster-pg:*'),
    parameterGroups: rdsArn('pg:*'),
  };
}
