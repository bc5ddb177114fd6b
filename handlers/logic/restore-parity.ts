import type { DBInstance } from '@aws-sdk/client-rds';
import { sfnMemberName } from '../lib/sdk-casing';

/**
 * What a restore from the pre-migration snapshot puts back, attribute by attribute: every member of
 * RDS's `DBInstance` shape is classified here. The record type makes TypeScript refuse a member that
 * is not classified, and a test enumerates the members from the installed `@aws-sdk/client-rds`
 * model, so an attribute AWS adds later fails the build until someone decides what a restore does
 * with it. Sources: the RDS API reference for RestoreDBInstanceFromDBSnapshot and ModifyDBInstance
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html,
 * .../API_ModifyDBInstance.html) and the user guide "Restoring to a DB instance"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RestoreFromSnapshot.html): a restored
 * instance gets the defaults (default security group, parameter and option groups, Single-AZ, ...)
 * of whatever is not passed.
 *
 * - `snapshot`: the restore takes it from the snapshot (engine and version, encryption and key,
 *   master user, storage size): equal without being passed.
 * - `restore`: passed to RestoreDBInstanceFromDBSnapshot.
 * - `modify`: the restore call does not take it; applied by a ModifyDBInstance once the restored
 *   instance is available.
 * - `not-restored`: status, identity of the new volume, features the metadata database cannot use,
 *   and the few settings deliberately left alone; each with its reason. `warnIfSet` ones are
 *   settings the operator may have turned on: preflight names them in the plan when they are.
 *
 * - `cluster` (Aurora cluster members only, handlers/logic/cluster-parity.ts): the cluster manages
 *   it and the member reports the cluster's value; put back with the cluster.
 *
 * The rehearsal's parity invariant compares the restored instance with the original on every
 * `snapshot`, `restore`, `modify` and `cluster` member, under the original identifier.
 */
export type ParityClass = 'snapshot' | 'restore' | 'modify' | 'cluster' | 'not-restored';
/** The classes the parity invariant compares: every one but `not-restored`. */
export const COMPARED_CLASSES: readonly ParityClass[] = ['snapshot', 'restore', 'modify', 'cluster'];
/** Every member of an API shape (`keyof DBInstance`, `keyof DBCluster`) classified. */
export type ParityTable<M extends string> = Readonly<Record<M, ParityRule>>;

/** A DBInstance description as Step Functions returns it (Java SDK v2 member names). */
export type Described = Record<string, unknown>;
type Params = Record<string, unknown>;

export interface ParityRule {
  readonly class: ParityClass;
  readonly reason?: string;
  /** For `restore`/`modify`: the API parameters (API casing) that carry the original's value, or none to send. */
  readonly params?: (db: Described) => Params | undefined;
  /** Compared only when this holds for the original (e.g. the zone of a Single-AZ instance). */
  readonly comparedWhen?: (db: Described) => boolean;
  /** How two values are compared when plain equality is wrong (tags the runbook adds, reserved tag keys). */
  readonly normalize?: (value: unknown) => unknown;
  /** A deliberately unrestored setting the plan names when the original has it. */
  readonly warnIfSet?: boolean;
}

/** RDS rejects tag keys with these prefixes in Tags (API reference, `Tag`); AWS manages them itself. */
export const RESERVED_TAG_PREFIXES = ['aws:', 'rds:'] as const;
/** Tags the runbook puts on what it creates or restores, for audit and cleanup. */
export const RUNBOOK_TAG_PREFIX = 'metaflow-migration:';
/** gp3 below this size (GiB, PostgreSQL) has a fixed baseline; RDS rejects an explicit Iops or StorageThroughput. */
export const GP3_PROVISIONING_THRESHOLD_GIB = 400;

/** A member's value in a description in Step Functions casing, by the member's API name. */
export const get = (db: Described, member: string): unknown => db[sfnMemberName(member)];
export const isSet = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
/** The member's own value as the parameter of the same name, when the original has one. */
export const sameMember =
  (member: string, param: string = member) =>
  (db: Described): Params | undefined =>
    isSet(get(db, member)) ? { [param]: get(db, member) } : undefined;
const same = (member: keyof DBInstance, param?: string) => sameMember(member, param);
export const restore = (params: ParityRule['params'], extra: Partial<ParityRule> = {}): ParityRule => ({ class: 'restore', params, ...extra });
export const modify = (params: ParityRule['params'], extra: Partial<ParityRule> = {}): ParityRule => ({ class: 'modify', params, ...extra });
export const snapshot: ParityRule = { class: 'snapshot' };
export const runtime = (reason: string): ParityRule => ({ class: 'not-restored', reason });
export const left = (reason: string): ParityRule => ({ class: 'not-restored', reason, warnIfSet: true });
const unused = (reason: string): ParityRule => ({ class: 'not-restored', reason: `not used by an RDS for PostgreSQL metadata database: ${reason}` });

const singleAz = (db: Described) => get(db, 'MultiAZ') !== true;
const storageGiB = (db: Described) => Number(get(db, 'AllocatedStorage') ?? 0);
/** io1/io2 always take Iops; gp3 only at or above the threshold (below it RDS rejects the baseline it reports). */
const provisionsIops = (db: Described) =>
  ['io1', 'io2'].includes(String(get(db, 'StorageType'))) || (get(db, 'StorageType') === 'gp3' && storageGiB(db) >= GP3_PROVISIONING_THRESHOLD_GIB);
const provisionsThroughput = (db: Described) => get(db, 'StorageType') === 'gp3' && storageGiB(db) >= GP3_PROVISIONING_THRESHOLD_GIB;
const reservedTag = (key: unknown) => RESERVED_TAG_PREFIXES.some((p) => String(key).startsWith(p));
/** The tags an owner set: not the keys RDS reserves, not the runbook's own; in a stable order. */
export const userTags = (tags: unknown) =>
  ((tags as { Key?: string; Value?: string }[] | undefined) ?? [])
    .filter((t) => !reservedTag(t.Key) && !String(t.Key).startsWith(RUNBOOK_TAG_PREFIX))
    .map((t) => ({ Key: t.Key, Value: t.Value ?? '' }))
    .sort((a, b) => String(a.Key).localeCompare(String(b.Key)));
/** A list compared as a set. */
export const sorted = (v: unknown) => [...((v as string[] | undefined) ?? [])].sort();
/**
 * Security groups compared by id as a set: the restore passes ids only, DescribeDBInstances
 * documents no order for the memberships, and a membership's Status (active, adding) is where
 * RDS is in applying it, not a setting.
 */
export const securityGroupIds = (v: unknown) => sorted(((v as { VpcSecurityGroupId?: string }[] | undefined) ?? []).map((g) => g.VpcSecurityGroupId));

export const DB_INSTANCE_PARITY: ParityTable<keyof DBInstance> = {
  // Identity: the restore (or the final rename) uses the original identifier, so the ARN and the
  // endpoint are the original's again: what CloudFormation, Terraform and the service's
  // MF_METADATA_DB_HOST name.
  DBInstanceIdentifier: restore(undefined),
  DBInstanceArn: restore(undefined),
  Endpoint: restore((db) => ({ Port: (get(db, 'Endpoint') as { Port?: number } | undefined)?.Port })),
  DBInstanceClass: restore(same('DBInstanceClass')),
  Engine: snapshot,
  EngineVersion: snapshot,
  LicenseModel: snapshot,
  MasterUsername: snapshot,
  DBName: snapshot,
  AllocatedStorage: snapshot,
  StorageEncrypted: snapshot,
  StorageEncryptionType: snapshot,
  KmsKeyId: snapshot,
  DedicatedLogVolume: snapshot,
  StorageType: restore(same('StorageType')),
  Iops: restore((db) => (provisionsIops(db) ? same('Iops')(db) : undefined), { comparedWhen: provisionsIops }),
  StorageThroughput: restore((db) => (provisionsThroughput(db) ? same('StorageThroughput')(db) : undefined), { comparedWhen: provisionsThroughput }),
  DBSubnetGroup: restore((db) => ({ DBSubnetGroupName: (get(db, 'DBSubnetGroup') as { DbSubnetGroupName?: string } | undefined)?.DbSubnetGroupName })),
  VpcSecurityGroups: restore((db) => ({ VpcSecurityGroupIds: securityGroupIds(get(db, 'VpcSecurityGroups')) }), { normalize: securityGroupIds }),
  DBParameterGroups: restore((db) => ({
    DBParameterGroupName: (get(db, 'DBParameterGroups') as { DbParameterGroupName?: string }[] | undefined)?.[0]?.DbParameterGroupName,
  })),
  OptionGroupMemberships: restore((db) => ({
    OptionGroupName: (get(db, 'OptionGroupMemberships') as { OptionGroupName?: string }[] | undefined)?.[0]?.OptionGroupName,
  })),
  MultiAZ: restore(same('MultiAZ')),
  // A Multi-AZ instance's zones are AWS's choice; a Single-AZ one is put back in its zone.
  AvailabilityZone: restore((db) => (singleAz(db) ? same('AvailabilityZone')(db) : undefined), { comparedWhen: singleAz }),
  PubliclyAccessible: restore(same('PubliclyAccessible')),
  AutoMinorVersionUpgrade: restore(same('AutoMinorVersionUpgrade')),
  CopyTagsToSnapshot: restore(same('CopyTagsToSnapshot')),
  DeletionProtection: restore(same('DeletionProtection')),
  CACertificateIdentifier: restore(same('CACertificateIdentifier')),
  IAMDatabaseAuthenticationEnabled: restore(same('IAMDatabaseAuthenticationEnabled', 'EnableIAMDatabaseAuthentication')),
  EnabledCloudwatchLogsExports: restore(same('EnabledCloudwatchLogsExports', 'EnableCloudwatchLogsExports'), { normalize: sorted }),
  NetworkType: restore(same('NetworkType')),
  BackupTarget: restore(same('BackupTarget')),
  EngineLifecycleSupport: restore(same('EngineLifecycleSupport')),
  DBCapacityReservationIdentifier: restore(same('DBCapacityReservationIdentifier')),
  // Keys RDS reserves (aws:cloudformation:* on a CloudFormation instance) cannot be passed and are
  // AWS's to set; the runbook adds its own metaflow-migration:* tags to mark the restore.
  TagList: restore((db) => ({ Tags: userTags(get(db, 'TagList')) }), { normalize: userTags }),
  // A restore that keeps automated backups on starts a baseline backup at once and stays
  // `backing-up` for hours (hashicorp/terraform-provider-aws#44104), refusing every modify and
  // rename meanwhile: the restore is made without them and retention goes back last.
  BackupRetentionPeriod: modify(same('BackupRetentionPeriod')),
  PreferredBackupWindow: modify(same('PreferredBackupWindow')),
  PreferredMaintenanceWindow: modify(same('PreferredMaintenanceWindow')),
  MaxAllocatedStorage: modify(same('MaxAllocatedStorage')),
  MonitoringInterval: modify((db) => (Number(get(db, 'MonitoringInterval') ?? 0) > 0 ? { MonitoringInterval: get(db, 'MonitoringInterval') } : undefined)),
  MonitoringRoleArn: modify((db) => (Number(get(db, 'MonitoringInterval') ?? 0) > 0 ? same('MonitoringRoleArn')(db) : undefined)),
  PerformanceInsightsEnabled: modify((db) => (get(db, 'PerformanceInsightsEnabled') === true ? { EnablePerformanceInsights: true } : undefined)),
  PerformanceInsightsKMSKeyId: modify((db) => (get(db, 'PerformanceInsightsEnabled') === true ? same('PerformanceInsightsKMSKeyId')(db) : undefined)),
  PerformanceInsightsRetentionPeriod: modify((db) =>
    get(db, 'PerformanceInsightsEnabled') === true ? same('PerformanceInsightsRetentionPeriod')(db) : undefined,
  ),
  DatabaseInsightsMode: modify(same('DatabaseInsightsMode')),

  DBInstanceStatus: runtime('the status of the restored instance; the runbook waits for it to be available'),
  InstanceCreateTime: runtime('the restored instance is a new instance, created at the restore'),
  LatestRestorableTime: runtime('point-in-time recovery starts anew with the restored instance\'s own backups'),
  PendingModifiedValues: runtime('changes in flight, not settings'),
  UpgradeRolloutOrder: runtime('set by AWS for the account, not by the instance\'s owner'),
  SecondaryAvailabilityZone: runtime('the standby zone of a Multi-AZ instance is chosen by AWS'),
  StatusInfos: runtime('read replica status'),
  DbInstancePort: runtime('the port of a cluster member; 0 for an instance (its port is in Endpoint)'),
  DbiResourceId: runtime('the restored volume gets a new resource id'),
  EnhancedMonitoringResourceArn: runtime('derived from the new resource id once monitoring is on again'),
  CertificateDetails: runtime('the server certificate issued for the restored instance (its CA is restored)'),
  AwsBackupRecoveryPointArn: runtime('AWS Backup\'s own record'),
  AutomaticRestartTime: runtime('only for a stopped instance'),
  PercentProgress: runtime('progress of a storage operation'),
  IsStorageConfigUpgradeAvailable: runtime('an AWS recommendation'),
  StorageVolumeStatus: runtime('storage diagnostics'),
  StorageOperationStatus: runtime('a storage operation in progress (initializing after a restore)'),
  StorageOperationPercentProgress: runtime('progress of a storage operation'),

  DBSecurityGroups: unused('EC2-Classic DB security groups'),
  ReadReplicaSourceDBInstanceIdentifier: unused('the instance is not a read replica'),
  ReadReplicaDBClusterIdentifiers: unused('Aurora replicas of an instance'),
  ReadReplicaSourceDBClusterIdentifier: unused('the instance is not a replica of a cluster'),
  ReplicaMode: unused('Oracle and Db2 replicas'),
  CharacterSetName: unused('Oracle and SQL Server'),
  NcharCharacterSetName: unused('Oracle'),
  TdeCredentialArn: unused('Oracle and SQL Server TDE'),
  DBClusterIdentifier: unused('an Aurora cluster member (Aurora has its own path)'),
  PromotionTier: unused('Aurora replicas'),
  Timezone: unused('Db2 and SQL Server'),
  ProcessorFeatures: unused('Oracle'),
  ListenerEndpoint: unused('SQL Server Always On'),
  AutomationMode: unused('RDS Custom'),
  ResumeFullAutomationModeTime: unused('RDS Custom'),
  CustomIamInstanceProfile: unused('RDS Custom'),
  DBSystemId: unused('RDS Custom and Oracle'),
  CustomerOwnedIpEnabled: unused('RDS on Outposts'),
  ActivityStreamStatus: unused('database activity streams (Oracle and SQL Server instances)'),
  ActivityStreamKmsKeyId: unused('database activity streams'),
  ActivityStreamKinesisStreamName: unused('database activity streams'),
  ActivityStreamMode: unused('database activity streams'),
  ActivityStreamEngineNativeAuditFieldsIncluded: unused('database activity streams'),
  ActivityStreamPolicyStatus: unused('database activity streams'),
  MultiTenant: unused('Oracle container databases'),
  AdditionalStorageVolumes: unused('Oracle and SQL Server'),

  ReadReplicaDBInstanceIdentifiers: left('read replicas stay attached to the renamed-aside instance; create them again from the restored one'),
  DBInstanceAutomatedBackupsReplications: left('cross-Region backup replication is a separate API; start it again on the restored instance'),
  // Turning managed passwords on after a restore creates a new secret with a new password: the
  // metadata service, configured with the old one, could no longer connect.
  MasterUserSecret: left('the restored instance keeps the password stored in the snapshot; turning Secrets Manager management on would rotate it under the running service'),
  AssociatedRoles: left('IAM roles for s3Import or Lambda: AddRoleToDBInstance again if the database uses them (the metadata service does not)'),
  DomainMemberships: left('Kerberos authentication: the metadata service connects with a password'),
};

/** The members of a class, in the model's order. */
export function membersOf(parityClass: ParityClass): (keyof DBInstance)[] {
  return classMembers(DB_INSTANCE_PARITY, parityClass);
}

/** The members of `table` in a class, in the model's order. */
export function classMembers<M extends string>(table: ParityTable<M>, parityClass: ParityClass): M[] {
  return (Object.keys(table) as M[]).filter((m) => table[m].class === parityClass);
}

/** The parameters (Step Functions casing) that carry the original's value of every member of a class. */
export function collectParams<M extends string>(table: ParityTable<M>, parityClass: ParityClass, db: Described): Params {
  const out: Params = {};
  for (const member of classMembers(table, parityClass)) {
    for (const [key, value] of Object.entries(table[member].params?.(db) ?? {})) {
      if (value !== undefined && value !== null) out[sfnMemberName(key)] = value;
    }
  }
  return out;
}

function collect(parityClass: ParityClass, db: Described): Params {
  return collectParams(DB_INSTANCE_PARITY, parityClass, db);
}

/** The deliberately unrestored settings a description has, for the plan: what a restore will not put back. */
export function warnings<M extends string>(table: ParityTable<M>, db: Described, prefix = ''): { attribute: string; reason: string }[] {
  return (Object.keys(table) as M[])
    .filter((m) => table[m].warnIfSet && isSet(get(db, m)))
    .map((m) => ({ attribute: `${prefix}${m}`, reason: table[m].reason as string }));
}

/**
 * Differences between an original and the database now under its identifier, on every attribute
 * `table` says a restore puts back, each named with both values. Both are descriptions in Step
 * Functions casing, as the runbook reads and writes them.
 */
export function parityDifferences<M extends string>(table: ParityTable<M>, original: Described, now: Described, what: string): string[] {
  const v: string[] = [];
  for (const member of COMPARED_CLASSES.flatMap((c) => classMembers(table, c))) {
    const rule = table[member];
    if (rule.comparedWhen && !rule.comparedWhen(original)) continue;
    const key = sfnMemberName(member);
    const normalize = rule.normalize ?? ((x: unknown) => x);
    const [a, b] = [JSON.stringify(normalize(original[key]) ?? null), JSON.stringify(normalize(now[key]) ?? null)];
    if (a !== b) v.push(`${member}: the original had ${a}, ${what} has ${b}`);
  }
  return v;
}

export interface RestoreTarget {
  /** The identifier the snapshot is restored into. */
  readonly dbInstanceIdentifier: string;
  readonly snapshotId: string;
  /** Tags that mark the restored instance as the runbook's (change id, execution). */
  readonly runbookTags: readonly { Key: string; Value: string }[];
}

/**
 * RestoreDBInstanceFromDBSnapshot's parameters, in Step Functions casing, for an instance like
 * `db`: every `restore` member's value, automated backups off (they go back last, see
 * BackupRetentionPeriod above).
 */
export function restoreParameters(db: Described, target: RestoreTarget): Params {
  const params = collect('restore', db);
  return {
    ...params,
    DbInstanceIdentifier: target.dbInstanceIdentifier,
    DbSnapshotIdentifier: target.snapshotId,
    BackupRetentionPeriod: 0,
    Tags: [...(params.Tags as Params[]), ...target.runbookTags],
  };
}

/** ModifyDBInstance's parameters that put back every `modify` member but automated backups, applied at once. */
export function settingsParameters(db: Described, dbInstanceIdentifier: string): Params {
  const { BackupRetentionPeriod: _retention, PreferredBackupWindow: _window, ...rest } = collect('modify', db);
  return { ...rest, DbInstanceIdentifier: dbInstanceIdentifier, ApplyImmediately: true };
}

/** ModifyDBInstance's parameters that turn automated backups back on, last: they start a backup at once. */
export function backupParameters(db: Described, dbInstanceIdentifier: string): Params {
  const { BackupRetentionPeriod, PreferredBackupWindow } = collect('modify', db);
  return { DbInstanceIdentifier: dbInstanceIdentifier, BackupRetentionPeriod, PreferredBackupWindow, ApplyImmediately: true };
}

/** The deliberately unrestored settings the original has, for the plan: what a restore will not put back. */
export function notRestoredSettings(db: Described): { attribute: string; reason: string }[] {
  return warnings(DB_INSTANCE_PARITY, db);
}
