import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import {
  type Described,
  get,
  isSet,
  left,
  modify,
  type ParityRule,
  type ParityTable,
  restore,
  runtime,
  sameMember,
  securityGroupIds,
  snapshot,
  sorted,
  userTags,
  collectParams,
  warnings,
} from './restore-parity';

/**
 * What a restore of an Aurora cluster snapshot puts back, attribute by attribute, for the cluster
 * (every member of RDS's `DBCluster` shape) and for each of its instances (every member of
 * `DBInstance`, as a cluster member reports it). The record types make TypeScript refuse a member
 * that is not classified; a test enumerates the members from the installed `@aws-sdk/client-rds`
 * model, so an attribute AWS adds later fails the build until someone decides what a restore does
 * with it. Classes as in restore-parity.ts.
 *
 * Sources: the RDS API reference for RestoreDBClusterFromSnapshot, ModifyDBCluster and
 * CreateDBInstance (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html,
 * .../API_ModifyDBCluster.html, .../API_CreateDBInstance.html) and the Aurora user guide, "Modifying
 * an Amazon Aurora DB cluster" (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Modifying.html):
 * a restored cluster gets the defaults (default security group, cluster parameter group, the
 * Region's default engine version...) of whatever is not passed, and "only restores the DB cluster,
 * not the DB instances": each instance is created again with CreateDBInstance, which takes the
 * per-instance settings, while storage, encryption, backups, network and authentication stay the
 * cluster's ("This setting doesn't apply to Amazon Aurora DB instances" in CreateDBInstance's
 * reference, for each of them).
 */

type Params = Record<string, unknown>;

const same = (member: keyof DBCluster, param?: string) => sameMember(member, param);
const sameOf = (member: keyof DBInstance, param?: string) => sameMember(member, param);
const unused = (reason: string): ParityRule => ({ class: 'not-restored', reason: `not used by an Aurora PostgreSQL metadata database: ${reason}` });
/** Set on each instance of an Aurora cluster, not on the cluster: restored with the members (CLUSTER_MEMBER_PARITY). */
const perInstance = (what: string): ParityRule => ({ class: 'not-restored', reason: `for Aurora, ${what} is each instance's: restored on the members` });
/** Managed by the cluster; the member reports the cluster's value. */
const cluster: ParityRule = { class: 'cluster' };
const fromCluster = (what: string): ParityRule => ({ class: 'not-restored', reason: `for Aurora, ${what} is the cluster's: see the cluster's table` });

const enabled = (db: Described, member: string) => get(db, member) === true;
const monitored = (db: Described) => Number(get(db, 'MonitoringInterval') ?? 0) > 0;
/** Roles associated with a cluster, as RestoreDBClusterFromSnapshot takes them (no Status). */
const roles = (v: unknown) =>
  ((v as { RoleArn?: string; FeatureName?: string }[] | undefined) ?? [])
    .map((r) => ({ RoleArn: r.RoleArn, ...(r.FeatureName ? { FeatureName: r.FeatureName } : {}) }))
    .sort((a, b) => String(a.RoleArn).localeCompare(String(b.RoleArn)));
/** A cluster's members by identifier: who is the writer, and in which order readers are promoted. */
const members = (v: unknown) =>
  ((v as { DbInstanceIdentifier?: string; IsClusterWriter?: boolean; PromotionTier?: number }[] | undefined) ?? [])
    .map((m) => ({ DbInstanceIdentifier: m.DbInstanceIdentifier, IsClusterWriter: m.IsClusterWriter, PromotionTier: m.PromotionTier }))
    .sort((a, b) => String(a.DbInstanceIdentifier).localeCompare(String(b.DbInstanceIdentifier)));

export const DB_CLUSTER_PARITY: ParityTable<keyof DBCluster> = {
  // Identity: the restored cluster takes the original identifier last, and every endpoint is named
  // after the identifier ("When you change the DB cluster identifier, the DB cluster endpoints
  // change", Aurora.Modifying): the original's endpoint, the service's MF_METADATA_DB_HOST, answers
  // with the restored cluster.
  DBClusterIdentifier: restore(undefined),
  DBClusterArn: restore(undefined),
  Endpoint: restore(undefined),
  ReaderEndpoint: restore(undefined),
  // Each instance is created in the restored cluster and renamed to its original's identifier.
  DBClusterMembers: restore(undefined, { normalize: members }),
  // Follows from the instances' zones, each put back.
  MultiAZ: restore(undefined),
  // Required by the restore ("Must be compatible with the engine of the source"); the version is
  // passed too: without it the restore takes "the default version for the database engine in the
  // Amazon Web Services Region" (RestoreDBClusterFromSnapshot, EngineVersion).
  Engine: restore(same('Engine')),
  EngineVersion: restore(same('EngineVersion')),
  EngineMode: restore(same('EngineMode')),
  EngineLifecycleSupport: restore(same('EngineLifecycleSupport')),
  MasterUsername: snapshot,
  DatabaseName: snapshot,
  StorageEncrypted: snapshot,
  StorageEncryptionType: snapshot,
  // "If the DB snapshot or DB cluster snapshot in SnapshotIdentifier is encrypted, then the restored
  // DB cluster is encrypted using the KMS key that was used to encrypt" it (RestoreDBClusterFromSnapshot, KmsKeyId).
  KmsKeyId: snapshot,
  Port: restore(same('Port')),
  DBSubnetGroup: restore((c) => ({ DBSubnetGroupName: get(c, 'DBSubnetGroup') })),
  VpcSecurityGroups: restore((c) => ({ VpcSecurityGroupIds: securityGroupIds(get(c, 'VpcSecurityGroups')) }), { normalize: securityGroupIds }),
  DBClusterParameterGroup: restore((c) => ({ DBClusterParameterGroupName: get(c, 'DBClusterParameterGroup') })),
  AvailabilityZones: restore(same('AvailabilityZones'), { normalize: sorted }),
  NetworkType: restore(same('NetworkType')),
  StorageType: restore(same('StorageType')),
  // Aurora backs up continuously: unlike an RDS instance's, a restored cluster takes no baseline
  // backup that would hold off the renames, so retention and window go with the restore.
  BackupRetentionPeriod: restore(same('BackupRetentionPeriod')),
  PreferredBackupWindow: restore(same('PreferredBackupWindow')),
  CopyTagsToSnapshot: restore(same('CopyTagsToSnapshot')),
  DeletionProtection: restore(same('DeletionProtection')),
  IAMDatabaseAuthenticationEnabled: restore(same('IAMDatabaseAuthenticationEnabled', 'EnableIAMDatabaseAuthentication')),
  EnabledCloudwatchLogsExports: restore(same('EnabledCloudwatchLogsExports', 'EnableCloudwatchLogsExports'), { normalize: sorted }),
  ServerlessV2ScalingConfiguration: restore(same('ServerlessV2ScalingConfiguration')),
  AssociatedRoles: restore((c) => (isSet(get(c, 'AssociatedRoles')) ? { AssociatedRoles: roles(get(c, 'AssociatedRoles')) } : undefined), { normalize: roles }),
  PerformanceInsightsEnabled: restore((c) => (enabled(c, 'PerformanceInsightsEnabled') ? { EnablePerformanceInsights: true } : undefined)),
  PerformanceInsightsKMSKeyId: restore((c) => (enabled(c, 'PerformanceInsightsEnabled') ? same('PerformanceInsightsKMSKeyId')(c) : undefined)),
  PerformanceInsightsRetentionPeriod: restore((c) => (enabled(c, 'PerformanceInsightsEnabled') ? same('PerformanceInsightsRetentionPeriod')(c) : undefined)),
  // Keys RDS reserves cannot be passed; the runbook adds its own metaflow-migration:* tags.
  TagList: restore((c) => ({ Tags: userTags(get(c, 'TagList')) }), { normalize: userTags }),
  // Not restore parameters: ModifyDBCluster once the restored cluster is available.
  PreferredMaintenanceWindow: modify(same('PreferredMaintenanceWindow')),
  AutoMinorVersionUpgrade: modify(same('AutoMinorVersionUpgrade')),
  DatabaseInsightsMode: modify(same('DatabaseInsightsMode')),
  HttpEndpointEnabled: modify((c) => (enabled(c, 'HttpEndpointEnabled') ? { EnableHttpEndpoint: true } : undefined)),

  Status: runtime('the status of the restored cluster; the runbook waits for it to be available'),
  PercentProgress: runtime('progress of an operation'),
  ClusterCreateTime: runtime('the restored cluster is a new cluster, created at the restore'),
  EarliestRestorableTime: runtime("point-in-time recovery starts anew with the restored cluster's own backups"),
  LatestRestorableTime: runtime("point-in-time recovery starts anew with the restored cluster's own backups"),
  DbClusterResourceId: runtime('the restored cluster gets a new resource id'),
  HostedZoneId: runtime("the Region's hosted zone, the same for every cluster"),
  AllocatedStorage: runtime('the cluster volume grows and shrinks with the data'),
  IOOptimizedNextAllowedModificationTime: runtime('when the storage type may next change'),
  PendingModifiedValues: runtime('changes in flight, not settings'),
  UpgradeRolloutOrder: runtime("set by AWS for the account, not by the cluster's owner"),
  StatusInfos: runtime('reserved for future use'),
  CloneGroupId: runtime('a restore starts no clone group'),
  CrossAccountClone: runtime('a restore is not a clone'),
  AutomaticRestartTime: runtime('only for a stopped cluster'),
  AwsBackupRecoveryPointArn: runtime("AWS Backup's own record"),
  ServerlessV2PlatformVersion: runtime("AWS's platform for Serverless v2 capacity"),
  CertificateDetails: perInstance('the server certificate (its CA)'),
  ActivityStreamStatus: runtime('follows the activity stream (ActivityStreamMode)'),
  ActivityStreamKmsKeyId: runtime('follows the activity stream (ActivityStreamMode)'),
  ActivityStreamKinesisStreamName: runtime('follows the activity stream (ActivityStreamMode)'),
  GlobalWriteForwardingStatus: runtime('follows the global database membership (GlobalClusterIdentifier)'),
  GlobalWriteForwardingRequested: runtime('follows the global database membership (GlobalClusterIdentifier)'),
  MonitoringInterval: perInstance('enhanced monitoring'),
  MonitoringRoleArn: perInstance('enhanced monitoring'),
  PubliclyAccessible: perInstance('public access'),

  CharacterSetName: unused('a character set of another engine'),
  DBClusterOptionGroupMemberships: unused('Aurora PostgreSQL clusters have no option group'),
  ReplicationSourceIdentifier: unused('the cluster is not a read replica'),
  EarliestBacktrackTime: unused('Backtrack (Aurora MySQL)'),
  BacktrackWindow: unused('Backtrack (Aurora MySQL)'),
  BacktrackConsumedChangeRecords: unused('Backtrack (Aurora MySQL)'),
  Capacity: unused('Aurora Serverless v1'),
  ScalingConfigurationInfo: unused('Aurora Serverless v1'),
  RdsCustomClusterConfiguration: unused('reserved for future use'),
  DBSystemId: unused('reserved for future use'),
  DBClusterInstanceClass: unused('Multi-AZ DB clusters (not Aurora)'),
  Iops: unused('Multi-AZ DB clusters (not Aurora)'),
  StorageThroughput: unused('Multi-AZ DB clusters (not Aurora)'),
  LimitlessDatabase: unused('Aurora Limitless Database'),
  ClusterScalabilityType: unused('Aurora Limitless Database'),
  VPCNetworkingEnabled: unused('clusters created through express configuration'),
  InternetAccessGatewayEnabled: unused('clusters created through express configuration'),

  // Custom endpoints are not named after the cluster: they stay with the renamed-aside one.
  CustomEndpoints: left('custom endpoints stay with the renamed-aside cluster; create them again on the restored one (CreateDBClusterEndpoint)'),
  ReadReplicaIdentifiers: left('read replica clusters stay attached to the renamed-aside cluster; create them again from the restored one'),
  GlobalClusterIdentifier: left('the restored cluster is not a member of the global database; add it again'),
  ActivityStreamMode: left('the database activity stream: start it again on the restored cluster (StartActivityStream)'),
  LocalWriteForwardingStatus: left('write forwarding from readers: the metadata service writes to the writer; turn it on again (EnableLocalWriteForwarding) if other clients need it'),
  // Turning managed passwords on after a restore creates a new secret with a new password: the
  // metadata service, configured with the old one, could no longer connect.
  MasterUserSecret: left('the restored cluster keeps the password stored in the snapshot; turning Secrets Manager management on would rotate it under the running service'),
  DomainMemberships: left('Kerberos authentication: the metadata service connects with a password'),
};

/**
 * An instance of an Aurora cluster: what CreateDBInstance takes per instance (class, parameter
 * group, zone, CA, public access, promotion tier, windows, monitoring, Performance Insights,
 * tags) is `restore`; what the cluster manages is `cluster`, compared all the same.
 */
export const CLUSTER_MEMBER_PARITY: ParityTable<keyof DBInstance> = {
  // The created instance is renamed to its original's identifier, in the restored cluster, which
  // itself takes the original cluster identifier: instance endpoints are named after instances.
  DBInstanceIdentifier: restore(undefined),
  DBInstanceArn: restore(undefined),
  Endpoint: restore(undefined),
  DBClusterIdentifier: restore(undefined),
  // CreateDBInstance requires the engine, the cluster's.
  Engine: restore(sameOf('Engine')),
  DBInstanceClass: restore(sameOf('DBInstanceClass')),
  DBParameterGroups: restore((db) => ({
    DBParameterGroupName: (get(db, 'DBParameterGroups') as { DbParameterGroupName?: string }[] | undefined)?.[0]?.DbParameterGroupName,
  })),
  // Each instance of a cluster is in one zone; "Aurora automatically chooses an appropriate
  // Availability Zone if you don't specify one" (CreateDBInstance).
  AvailabilityZone: restore(sameOf('AvailabilityZone')),
  PubliclyAccessible: restore(sameOf('PubliclyAccessible')),
  PromotionTier: restore(sameOf('PromotionTier')),
  AutoMinorVersionUpgrade: restore(sameOf('AutoMinorVersionUpgrade')),
  PreferredMaintenanceWindow: restore(sameOf('PreferredMaintenanceWindow')),
  CACertificateIdentifier: restore(sameOf('CACertificateIdentifier')),
  // "Setting this value for an Aurora DB instance has no effect on the DB cluster setting": the
  // instance keeps its own all the same.
  CopyTagsToSnapshot: restore(sameOf('CopyTagsToSnapshot')),
  MonitoringInterval: restore((db) => (monitored(db) ? { MonitoringInterval: get(db, 'MonitoringInterval') } : undefined)),
  MonitoringRoleArn: restore((db) => (monitored(db) ? sameOf('MonitoringRoleArn')(db) : undefined)),
  PerformanceInsightsEnabled: restore((db) => (enabled(db, 'PerformanceInsightsEnabled') ? { EnablePerformanceInsights: true } : undefined)),
  PerformanceInsightsKMSKeyId: restore((db) => (enabled(db, 'PerformanceInsightsEnabled') ? sameOf('PerformanceInsightsKMSKeyId')(db) : undefined)),
  PerformanceInsightsRetentionPeriod: restore((db) => (enabled(db, 'PerformanceInsightsEnabled') ? sameOf('PerformanceInsightsRetentionPeriod')(db) : undefined)),
  DBCapacityReservationIdentifier: restore(sameOf('DBCapacityReservationIdentifier')),
  TagList: restore((db) => ({ Tags: userTags(get(db, 'TagList')) }), { normalize: userTags }),

  // The cluster's, reported by each instance: put back with the cluster.
  EngineVersion: cluster,
  EngineLifecycleSupport: cluster,
  DatabaseInsightsMode: cluster,
  MasterUsername: cluster,
  DBName: cluster,
  AllocatedStorage: cluster,
  StorageType: cluster,
  StorageEncrypted: cluster,
  StorageEncryptionType: cluster,
  KmsKeyId: cluster,
  LicenseModel: cluster,
  OptionGroupMemberships: cluster,
  BackupRetentionPeriod: cluster,
  PreferredBackupWindow: cluster,
  VpcSecurityGroups: { class: 'cluster', normalize: securityGroupIds },
  DBSubnetGroup: cluster,
  NetworkType: cluster,
  MultiAZ: cluster,
  IAMDatabaseAuthenticationEnabled: cluster,
  EnabledCloudwatchLogsExports: { class: 'cluster', normalize: sorted },
  DeletionProtection: cluster,

  DBInstanceStatus: runtime('the status of the created instance; the runbook waits for it to be available'),
  InstanceCreateTime: runtime('the instance is created anew in the restored cluster'),
  LatestRestorableTime: runtime("point-in-time recovery is the cluster's"),
  PendingModifiedValues: runtime('changes in flight, not settings'),
  UpgradeRolloutOrder: runtime("set by AWS for the account, not by the instance's owner"),
  SecondaryAvailabilityZone: runtime('a standby zone: Aurora instances have none'),
  StatusInfos: runtime('read replica status'),
  DbInstancePort: runtime("the instance's port as a cluster member; the cluster's port is put back"),
  DbiResourceId: runtime('the created instance gets a new resource id'),
  EnhancedMonitoringResourceArn: runtime('derived from the new resource id once monitoring is on'),
  CertificateDetails: runtime('the server certificate issued for the created instance (its CA is restored)'),
  AwsBackupRecoveryPointArn: runtime("AWS Backup's own record"),
  AutomaticRestartTime: runtime('only for a stopped instance'),
  PercentProgress: runtime('progress of an operation'),
  IsStorageConfigUpgradeAvailable: runtime('an AWS recommendation'),
  StorageVolumeStatus: runtime('storage diagnostics'),
  StorageOperationStatus: runtime('a storage operation in progress'),
  StorageOperationPercentProgress: runtime('progress of a storage operation'),

  // Settings of the cluster, not of its instances (see the cluster's table).
  MasterUserSecret: fromCluster('the master user and its secret'),
  AssociatedRoles: fromCluster('the IAM roles'),
  DomainMemberships: fromCluster('the directory domain'),
  DBInstanceAutomatedBackupsReplications: fromCluster('automated backups and their replication'),

  DBSecurityGroups: unused('EC2-Classic DB security groups'),
  ReadReplicaSourceDBInstanceIdentifier: unused('in Aurora the readers are cluster members'),
  ReadReplicaDBInstanceIdentifiers: unused('in Aurora the readers are cluster members'),
  ReadReplicaDBClusterIdentifiers: unused('the cluster is not replicated'),
  ReadReplicaSourceDBClusterIdentifier: unused('the cluster is not a replica'),
  ReplicaMode: unused('Oracle and Db2 replicas'),
  CharacterSetName: unused('Oracle and SQL Server'),
  NcharCharacterSetName: unused('Oracle'),
  TdeCredentialArn: unused('Oracle and SQL Server TDE'),
  Timezone: unused('Db2 and SQL Server'),
  ProcessorFeatures: unused('Oracle'),
  ListenerEndpoint: unused('SQL Server Always On'),
  AutomationMode: unused('RDS Custom'),
  ResumeFullAutomationModeTime: unused('RDS Custom'),
  CustomIamInstanceProfile: unused('RDS Custom'),
  DBSystemId: unused('RDS Custom and Oracle'),
  CustomerOwnedIpEnabled: unused('RDS on Outposts'),
  BackupTarget: unused('RDS on Outposts'),
  Iops: unused('RDS storage: an Aurora instance has the cluster volume'),
  StorageThroughput: unused('RDS storage: an Aurora instance has the cluster volume'),
  MaxAllocatedStorage: unused('RDS storage: an Aurora instance has the cluster volume'),
  DedicatedLogVolume: unused('RDS storage: an Aurora instance has the cluster volume'),
  AdditionalStorageVolumes: unused('Oracle and SQL Server'),
  MultiTenant: unused('Oracle container databases'),
  ActivityStreamStatus: unused("instance activity streams are Oracle's and SQL Server's; Aurora's is the cluster's"),
  ActivityStreamKmsKeyId: unused("instance activity streams are Oracle's and SQL Server's; Aurora's is the cluster's"),
  ActivityStreamKinesisStreamName: unused("instance activity streams are Oracle's and SQL Server's; Aurora's is the cluster's"),
  ActivityStreamMode: unused("instance activity streams are Oracle's and SQL Server's; Aurora's is the cluster's"),
  ActivityStreamEngineNativeAuditFieldsIncluded: unused("instance activity streams are Oracle's and SQL Server's; Aurora's is the cluster's"),
  ActivityStreamPolicyStatus: unused("instance activity streams are Oracle's and SQL Server's; Aurora's is the cluster's"),
};

export type RunbookTags = readonly { Key: string; Value: string }[];

/**
 * RestoreDBClusterFromSnapshot's parameters, in Step Functions casing, for a cluster like
 * `described`: every `restore` member's value, under `restoreClusterId`, tagged as the runbook's.
 */
export function clusterRestoreParameters(described: Described, target: { restoreClusterId: string; snapshotId: string; runbookTags: RunbookTags }): Params {
  const params = collectParams(DB_CLUSTER_PARITY, 'restore', described);
  return {
    ...params,
    DbClusterIdentifier: target.restoreClusterId,
    SnapshotIdentifier: target.snapshotId,
    Tags: [...(params.Tags as Params[]), ...target.runbookTags],
  };
}

/** ModifyDBCluster's parameters that put back every `modify` member on the restored cluster, at once. */
export function clusterSettingsParameters(described: Described, restoreClusterId: string): Params {
  return { ...collectParams(DB_CLUSTER_PARITY, 'modify', described), DbClusterIdentifier: restoreClusterId, ApplyImmediately: true };
}

/** CreateDBInstance's parameters for the counterpart of a member like `described`, in the restored cluster. */
export function memberCreateParameters(described: Described, target: { restoredId: string; restoreClusterId: string; runbookTags: RunbookTags }): Params {
  const params = collectParams(CLUSTER_MEMBER_PARITY, 'restore', described);
  return {
    ...params,
    DbInstanceIdentifier: target.restoredId,
    DbClusterIdentifier: target.restoreClusterId,
    Tags: [...(params.Tags as Params[]), ...target.runbookTags],
  };
}

/** The deliberately unrestored settings of the cluster and its instances, for the plan. */
export function clusterNotRestoredSettings(described: Described, instances: readonly Described[]): { attribute: string; reason: string }[] {
  return [
    ...warnings(DB_CLUSTER_PARITY, described),
    ...instances.flatMap((i) => warnings(CLUSTER_MEMBER_PARITY, i, `${String(i.DbInstanceIdentifier)}.`)),
  ];
}
