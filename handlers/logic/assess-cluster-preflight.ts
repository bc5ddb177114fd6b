import { PreflightFailed } from '../lib/errors';
import { assessService, type EcsServiceDescription, type OriginalService, runbookTags } from './assess-preflight';
import { clusterNotRestoredSettings, clusterRestoreParameters, clusterSettingsParameters, memberCreateParameters } from './cluster-parity';
import { memberNames } from './derived-names';
import type { Described } from './restore-parity';

/** An Aurora DB cluster as DescribeDBClusters returns it through Step Functions (Java SDK v2 member names). */
export interface DbClusterDescription extends Described {
  DbClusterIdentifier?: string;
  Status?: string;
  Engine?: string;
  DbClusterMembers?: { DbInstanceIdentifier?: string; IsClusterWriter?: boolean }[];
}

/** An instance of the cluster, as DescribeDBInstances returns it. */
export interface DbClusterInstanceDescription extends Described {
  DbInstanceIdentifier?: string;
  DbInstanceStatus?: string;
}

/** One instance of the cluster: its counterpart in the restored cluster, where it goes aside, and how it is created. */
export interface ClusterMember {
  readonly id: string;
  readonly restoredId: string;
  readonly asideId: string;
  readonly writer: boolean;
  /** CreateDBInstance's request for its counterpart, built from the parity table. */
  readonly create: Record<string, unknown>;
}

export interface ClusterOriginalState extends OriginalService {
  readonly dbClusterIdentifier: string;
  /** RestoreDBClusterFromSnapshot's request, sent whole. */
  readonly restore: { readonly parameters: Record<string, unknown> };
  /** ModifyDBCluster's request for what the restore cannot set, sent whole. */
  readonly afterRestore: { readonly settings: Record<string, unknown> };
  /** The writer first: the first instance of a cluster becomes its writer. */
  readonly members: ClusterMember[];
  readonly notRestored: { attribute: string; reason: string }[];
}

export interface ClusterPreflightRequest {
  readonly dbClusterIdentifier: string;
  readonly serviceName: string;
  readonly snapshotId: string;
  /** Where a restore puts the cluster snapshot, beside the original (derived-names.ts). */
  readonly restoreClusterId: string;
  readonly changeId: string;
  readonly executionId: string;
  /** Its hash ends every name the execution derives, the members' counterparts too. */
  readonly executionName: string;
}

/** Without these a restored cluster would land in the default VPC with default groups, or on another engine version. */
const RESTORE_NEEDS = ['Engine', 'EngineVersion', 'DbSubnetGroupName', 'VpcSecurityGroupIds', 'DbClusterParameterGroupName', 'Port'];
/** Without these an instance of the restored cluster would not be like its original. */
const CREATE_NEEDS = ['DbInstanceClass', 'Engine', 'DbParameterGroupName', 'AvailabilityZone'];

/**
 * An Aurora deployment starts only from a quiet cluster: the cluster and every one of its instances
 * available (a cluster snapshot needs the cluster available), the service steady. It records what a
 * rollback must put back: the restore of the cluster, the settings it cannot take, and each
 * instance's creation in the restored cluster.
 */
export function assessClusterPreflight(
  clusters: readonly DbClusterDescription[],
  instances: readonly DbClusterInstanceDescription[],
  services: readonly EcsServiceDescription[],
  expected: ClusterPreflightRequest,
): ClusterOriginalState {
  const problems: string[] = [];
  const id = expected.dbClusterIdentifier.toLowerCase();
  const cluster = clusters.find((c) => c.DbClusterIdentifier === id);
  const clusterMembers = cluster?.DbClusterMembers ?? [];
  const memberIds = clusterMembers.map((m) => String(m.DbInstanceIdentifier));
  if (!cluster) problems.push(`DB cluster ${expected.dbClusterIdentifier} was not found`);
  else if (cluster.Status !== 'available') problems.push(`DB cluster ${id} is '${cluster.Status}', expected 'available'`);
  else if (cluster.Engine !== undefined && !cluster.Engine.includes('postgres')) {
    problems.push(`DB cluster ${id} runs ${cluster.Engine}; the metadata service needs PostgreSQL`);
  } else if (memberIds.length === 0) problems.push(`DB cluster ${id} has no instance: nothing serves its endpoint`);
  for (const memberId of memberIds) {
    const instance = instances.find((i) => i.DbInstanceIdentifier === memberId);
    if (!instance) problems.push(`instance ${memberId} of DB cluster ${id} was not described`);
    else if (instance.DbInstanceStatus !== 'available') problems.push(`instance ${memberId} of DB cluster ${id} is '${instance.DbInstanceStatus}', expected 'available'`);
    // The stack grants the instance calls of a swap on the cluster identifier's instances only
    // (infra: the cluster kind's IAM); the Terraform module names its instance <cluster>-0.
    if (!memberId.startsWith(id)) problems.push(`instance ${memberId} of DB cluster ${id}: the runbook may rename only instances whose identifier starts with the cluster's (${id})`);
  }
  const service = assessService(services, expected.serviceName, problems);
  if (problems.length > 0 || !cluster || !service) throw new PreflightFailed(`nothing was changed: ${problems.join('; ')}`);

  const tags = runbookTags(expected);
  const restore = clusterRestoreParameters(cluster, { restoreClusterId: expected.restoreClusterId, snapshotId: expected.snapshotId, runbookTags: tags });
  const lacking = (request: Record<string, unknown>, needs: string[]) => needs.filter((key) => request[key] === undefined || (Array.isArray(request[key]) && request[key].length === 0));
  const missing = lacking(restore, RESTORE_NEEDS).map((key) => `${key} (cluster)`);
  const isWriter = (m: (typeof clusterMembers)[number]) => m.IsClusterWriter === true;
  const writerFirst = [...clusterMembers.filter(isWriter), ...clusterMembers.filter((m) => !isWriter(m))];
  const members = writerFirst.map((m) => {
    const memberId = String(m.DbInstanceIdentifier);
    const names = memberNames(memberId, expected.executionName);
    const instance = instances.find((i) => i.DbInstanceIdentifier === memberId) as Described;
    const create = memberCreateParameters(instance, { restoredId: names.restoredId, restoreClusterId: expected.restoreClusterId, runbookTags: tags });
    missing.push(...lacking(create, CREATE_NEEDS).map((key) => `${key} (${memberId})`));
    return { id: memberId, ...names, writer: isWriter(m), create };
  });
  if (missing.length > 0) throw new PreflightFailed(`nothing was changed: the descriptions lack what a restore needs: ${missing.join(', ')}`);
  return {
    ...service(),
    dbClusterIdentifier: id,
    restore: { parameters: restore },
    afterRestore: { settings: clusterSettingsParameters(cluster, expected.restoreClusterId) },
    members,
    notRestored: clusterNotRestoredSettings(
      cluster,
      members.map((m) => instances.find((i) => i.DbInstanceIdentifier === m.id) as Described),
    ),
  };
}
