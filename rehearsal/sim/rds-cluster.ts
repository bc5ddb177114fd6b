import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import { describeSubnetGroup, type SubnetGroup } from '../fixtures';
import { memberDocs } from '../sdk-docs';
import { AwsError } from './aws-error';
import type { Instance, SimDatabase, SimulatedRds } from './rds';
import {
  checkCertificate,
  checkInsightsRetention,
  checkMonitoring,
  checkTags,
  DEFAULT_SUBNET_GROUP,
  DEFAULT_VPC_SECURITY_GROUP,
  ENDPOINT_HASH,
  HOSTED_ZONE_ID,
  IDENTIFIER,
  idOf,
  REACHABLE,
  SNAPSHOT_IDENTIFIER,
  type Timer,
  toSfn,
  unmodeled,
} from './rds-common';

/**
 * Aurora PostgreSQL clusters as the runbook sees them through Step Functions, as strict as the
 * instances of rds.ts: clusters and cluster snapshots whose state changes over virtual time, the
 * validation RDS applies, and what a restore really gives a cluster: the snapshot's data, engine and
 * encryption, the parameters it is passed, AWS's defaults for the rest, and no instance at all
 * ("This operation only restores the DB cluster, not the DB instances for that DB cluster",
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html).
 * The cluster's instances are instances of rds.ts that name it; what the cluster manages (storage,
 * encryption, backups, network, authentication, log exports) they report from it.
 *
 * The cluster endpoint `<id>.cluster-<hash>.<region>.rds.amazonaws.com` is named after the cluster
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Overview.Endpoints.html) and
 * answers while the cluster and its writer instance do; a cluster rename moves the endpoints and
 * restarts nothing ("When you change the DB cluster identifier, the DB cluster endpoints change.
 * The endpoints of the DB instances in the DB cluster don't change ... An outage doesn't occur
 * during this change", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Modifying.html).
 */

export interface Cluster {
  /** The cluster as DescribeDBClusters shows it (API casing). */
  d: DBCluster;
  /** The cluster volume: one database, whichever instance serves it. */
  db: SimDatabase;
  /** The cluster snapshot it was restored from, if it was. */
  createdFrom?: string;
  timers: Timer[];
}

export interface ClusterSnapshot {
  id: string;
  status: string;
  readyAt: number;
  createdAt: number;
  /** The source cluster at snapshot time: what a restore inherits. */
  source: DBCluster;
  db: SimDatabase;
  tags: { Key: string; Value: string }[];
}

/** The cluster endpoint answers connections in these states, as long as its writer does. */
const CLUSTER_REACHABLE = new Set(['available', 'backing-up', 'modifying', 'maintenance', 'storage-optimization', 'update-iam-db-auth']);
/** Aurora PostgreSQL's log types (RestoreDBClusterFromSnapshot, EnableCloudwatchLogsExports). */
const AURORA_POSTGRES_LOG_TYPES = ['instance', 'postgresql', 'iam-db-auth-error'];
/** What a restore without EngineVersion gets: "the default version for the database engine in the Amazon Web Services Region". */
const REGION_DEFAULT_VERSION = '16.6';
const WEEKLY_WINDOW = /^(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d-(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d$/;
const DAILY_WINDOW = /^\d\d:\d\d-\d\d:\d\d$/;

/**
 * CreateDBInstance's members whose reference says "This setting doesn't apply to Amazon Aurora DB
 * instances" (or that "Aurora DB instances inherit ... from the DB cluster"): passed for an instance
 * of a cluster, RDS refuses them with "The requested DB Instance will be a member of a DB Cluster.
 * Set <setting> for the DB Cluster." (InvalidParameterCombination, quoted by public Terraform code
 * for the backup window and the VPC security groups). Derived from the installed SDK's words, less
 * those that "have no effect" (CopyTagsToSnapshot) and EngineVersion, which the Terraform provider's
 * aws_rds_cluster_instance sends as the cluster's and RDS takes.
 */
let clusterManagedOnCreate: Set<string> | undefined;
function clusterManaged(): Set<string> {
  clusterManagedOnCreate ??= new Set(
    [...memberDocs('@aws-sdk/client-rds', 'CreateDBInstanceMessage')]
      .filter(([, doc]) => /doesn't apply to (?:the following DB instances: )?(?:Amazon )?Aurora|Aurora DB instances inherit this value|For Amazon Aurora DB instances, [^.]* is managed by the DB cluster/.test(doc))
      .filter(([member, doc]) => !/has no effect/.test(doc) && member !== 'EngineVersion')
      .map(([member]) => member),
  );
  return clusterManagedOnCreate;
}

const major = (version: unknown) => String(version).split('.')[0];

export class SimulatedAurora {
  readonly clusters: Cluster[] = [];
  readonly snapshots: ClusterSnapshot[] = [];

  constructor(private readonly rds: SimulatedRds) {}

  addCluster(d: DBCluster, db: SimDatabase): Cluster {
    const cluster: Cluster = { d: structuredClone(d), db, timers: [] };
    this.clusters.push(cluster);
    return cluster;
  }

  find(id: string): Cluster | undefined {
    return this.clusters.find((c) => c.d.DBClusterIdentifier === id);
  }

  /** The writer instance of a cluster, if it has one. */
  writer(cluster: Cluster): Instance | undefined {
    const id = cluster.d.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
    return id === undefined ? undefined : this.rds.find(id);
  }

  /** The database behind a cluster's writer or reader endpoint, if it answers now. */
  connectTo(host: string): SimDatabase | null {
    const cluster = this.clusters.find((c) => c.d.Endpoint === host || c.d.ReaderEndpoint === host);
    if (!cluster || !CLUSTER_REACHABLE.has(String(cluster.d.Status))) return null;
    const writer = this.writer(cluster);
    return writer && REACHABLE.has(String(writer.d.DBInstanceStatus)) ? cluster.db : null;
  }

  /** The cluster endpoints an instance serves: its cluster's, when it is the writer. */
  endpointsServedBy(inst: Instance): string[] {
    const cluster = inst.d.DBClusterIdentifier ? this.find(inst.d.DBClusterIdentifier) : undefined;
    if (!cluster || this.writer(cluster) !== inst) return [];
    return [cluster.d.Endpoint, cluster.d.ReaderEndpoint].filter((h): h is string => !!h);
  }

  /** An instance as DescribeDBInstances shows it: what its cluster manages, read from the cluster. */
  described(inst: Instance): DBInstance {
    const cluster = inst.d.DBClusterIdentifier ? this.find(inst.d.DBClusterIdentifier) : undefined;
    if (!cluster) return inst.d;
    const c = cluster.d;
    const group = this.rds.subnetGroup(String(c.DBSubnetGroup));
    return {
      ...inst.d,
      Engine: c.Engine,
      EngineVersion: c.EngineVersion,
      EngineLifecycleSupport: c.EngineLifecycleSupport,
      DatabaseInsightsMode: c.DatabaseInsightsMode,
      MasterUsername: c.MasterUsername,
      DBName: c.DatabaseName,
      AllocatedStorage: 1,
      StorageType: c.StorageType,
      StorageEncrypted: c.StorageEncrypted,
      StorageEncryptionType: c.StorageEncryptionType,
      ...(c.KmsKeyId ? { KmsKeyId: c.KmsKeyId } : {}),
      LicenseModel: 'postgresql-license',
      OptionGroupMemberships: [{ OptionGroupName: `default:aurora-postgresql-${major(c.EngineVersion)}`, Status: 'in-sync' }],
      BackupRetentionPeriod: c.BackupRetentionPeriod,
      PreferredBackupWindow: c.PreferredBackupWindow,
      VpcSecurityGroups: c.VpcSecurityGroups,
      ...(group ? { DBSubnetGroup: describeSubnetGroup(group) } : {}),
      NetworkType: c.NetworkType,
      MultiAZ: false,
      IAMDatabaseAuthenticationEnabled: c.IAMDatabaseAuthenticationEnabled,
      EnabledCloudwatchLogsExports: c.EnabledCloudwatchLogsExports ?? [],
      DeletionProtection: c.DeletionProtection,
      ...(inst.d.Endpoint ? { Endpoint: { ...inst.d.Endpoint, Port: c.Port } } : {}),
    };
  }

  completeSnapshots(now: number): void {
    for (const snap of this.snapshots) {
      if (snap.status === 'creating' && snap.readyAt <= now) snap.status = this.rds.faults.snapshotFails ? 'failed' : 'available';
    }
  }

  // -------------------------------------------------------------------------------------------
  // The API, as Step Functions' aws-sdk:rds integration calls it (SimulatedRds passes the calls on)
  // -------------------------------------------------------------------------------------------

  describeDBClusters(p: Record<string, unknown>): unknown {
    const params = this.rds.parse('DescribeDBClusters', p);
    let found: Cluster[];
    if (typeof params.DBClusterIdentifier === 'string') {
      const cluster = this.find(idOf(params.DBClusterIdentifier));
      if (!cluster) throw new AwsError('Rds.DbClusterNotFoundException', `DBCluster ${params.DBClusterIdentifier} not found.`);
      found = [cluster];
    } else {
      const filters = (params.Filters ?? []) as { Name: string; Values: string[] }[];
      const ids = filters.find((f) => f.Name === 'db-cluster-id')?.Values.map(idOf);
      found = this.clusters.filter((c) => !ids || ids.includes(String(c.d.DBClusterIdentifier)));
    }
    return toSfn({ DBClusters: found.map((c) => c.d) });
  }

  createDBClusterSnapshot(p: Record<string, unknown>): unknown {
    const params = this.rds.parse('CreateDBClusterSnapshot', p);
    const cluster = this.requireCluster(params.DBClusterIdentifier);
    const id = String(params.DBClusterSnapshotIdentifier);
    if (!SNAPSHOT_IDENTIFIER.test(id)) throw unmodeled('InvalidParameterValue', `The parameter DBClusterSnapshotIdentifier is not a valid identifier: ${id}`);
    checkTags(params.Tags);
    if (cluster.d.Status !== 'available') {
      throw new AwsError('Rds.InvalidDbClusterStateException', `Cannot create a snapshot because the DB cluster ${cluster.d.DBClusterIdentifier} is not currently in the available state.`);
    }
    if (this.snapshots.some((s) => s.id === id.toLowerCase())) {
      throw new AwsError('Rds.DbClusterSnapshotAlreadyExistsException', `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`);
    }
    const clock = this.rds.clock;
    const snap: ClusterSnapshot = {
      id: id.toLowerCase(),
      status: 'creating',
      createdAt: clock.now,
      readyAt: clock.now + this.rds.durations.snapshot * 1000,
      source: structuredClone(cluster.d),
      db: { ...cluster.db },
      tags: (params.Tags as ClusterSnapshot['tags'] | undefined) ?? [],
    };
    this.snapshots.push(snap);
    // Aurora takes a cluster snapshot from its storage volume: the cluster keeps serving, no I/O pause.
    this.rds.record('snapshot', clock.now, snap.readyAt);
    return toSfn({ DBClusterSnapshot: this.describeSnapshot(snap) });
  }

  describeDBClusterSnapshots(p: Record<string, unknown>): unknown {
    const params = this.rds.parse('DescribeDBClusterSnapshots', p);
    const snap = this.snapshots.find((s) => s.id === idOf(params.DBClusterSnapshotIdentifier));
    if (!snap) throw new AwsError('Rds.DbClusterSnapshotNotFoundException', `DBClusterSnapshot not found: ${String(params.DBClusterSnapshotIdentifier)}`);
    return toSfn({ DBClusterSnapshots: [this.describeSnapshot(snap)] });
  }

  restoreDBClusterFromSnapshot(p: Record<string, unknown>): unknown {
    const params = this.rds.parse('RestoreDBClusterFromSnapshot', p);
    const id = String(params.DBClusterIdentifier);
    if (!IDENTIFIER.test(id)) throw unmodeled('InvalidParameterValue', `The parameter DBClusterIdentifier is not a valid identifier: ${id}`);
    if (this.find(id.toLowerCase())) throw new AwsError('Rds.DbClusterAlreadyExistsException', 'DB Cluster already exists');
    const snap = this.snapshots.find((s) => s.id === idOf(params.SnapshotIdentifier));
    if (!snap) throw new AwsError('Rds.DbClusterSnapshotNotFoundException', `DBClusterSnapshot not found: ${String(params.SnapshotIdentifier)}`);
    if (snap.status !== 'available') throw new AwsError('Rds.InvalidDbClusterSnapshotStateException', `Snapshot ${snap.id} is not in available state (${snap.status}).`);
    checkTags(params.Tags);
    const src = snap.source;
    if (params.Engine !== src.Engine) {
      throw unmodeled('InvalidParameterCombination', `The engine ${String(params.Engine)} is not compatible with the engine of the snapshot (${String(src.Engine)}).`);
    }
    // Not given, the Region's default version: a snapshot of another major version would be upgraded
    // or refused, which the simulation does not guess at; it refuses, as for a version below the snapshot's.
    const version = String(params.EngineVersion ?? REGION_DEFAULT_VERSION);
    if (major(version) !== major(src.EngineVersion) || version.localeCompare(String(src.EngineVersion), undefined, { numeric: true }) < 0) {
      throw unmodeled('InvalidParameterCombination', `Cannot restore a ${String(src.Engine)} ${String(src.EngineVersion)} snapshot to version ${version}.`);
    }
    // The caller's right to use the snapshot's (or the given) KMS key is IAM's to decide (rehearsal/sim/iam.ts).
    if (params.KmsKeyId !== undefined && !this.rds.account.kmsKeys.some((k) => k.arn === params.KmsKeyId || k.arn.endsWith(`/${String(params.KmsKeyId)}`))) {
      throw new AwsError('Rds.KmsKeyNotAccessibleException', `The specified KMS key [${String(params.KmsKeyId)}] does not exist, is not enabled or you do not have permissions to access it.`);
    }
    const defaults = this.restoreDefaults(src, params, version);
    this.validateSettings(defaults, params);
    const clock = this.rds.clock;
    const d: DBCluster = {
      ...defaults,
      DBClusterIdentifier: id.toLowerCase(),
      DBClusterArn: this.rds.arn('cluster', id.toLowerCase()),
      Status: 'creating',
      DbClusterResourceId: `cluster-RESTORED${String(this.rds.nextSeq()).padStart(10, '0')}`,
      ClusterCreateTime: new Date(clock.now),
      // Whether a restore without Tags copies the source's is not documented for clusters: none is the answer that differs.
      TagList: (params.Tags as DBCluster['TagList']) ?? [],
    };
    this.apply(d, params);
    const cluster = this.addCluster(d, { ...snap.db });
    cluster.createdFrom = snap.id;
    const ready = clock.now + this.rds.durations.restore * 1000;
    this.rds.record('restore', clock.now, ready);
    this.rds.after(cluster, this.rds.durations.restore, () => {
      // The status table names no failure of a cluster snapshot restore; migration-failed is a restore's into a cluster.
      if (this.rds.faults.restoreFails) {
        cluster.d.Status = 'migration-failed';
        return;
      }
      cluster.d.Status = 'available';
      Object.assign(cluster.d, this.endpoints(String(cluster.d.DBClusterIdentifier)));
    });
    return toSfn({ DBCluster: cluster.d });
  }

  /** An instance in a cluster: the only CreateDBInstance the runbook makes. */
  createDBInstance(p: Record<string, unknown>): unknown {
    const params = this.rds.parse('CreateDBInstance', p);
    if (typeof params.DBClusterIdentifier !== 'string') {
      throw new AwsError('Rds.RdsException', 'CreateDBInstance of a standalone instance is not simulated (the runbook restores instances, it does not create them).');
    }
    const id = String(params.DBInstanceIdentifier);
    if (!IDENTIFIER.test(id)) throw unmodeled('InvalidParameterValue', `The parameter DBInstanceIdentifier is not a valid identifier: ${id}`);
    if (this.rds.find(id.toLowerCase())) throw new AwsError('Rds.DbInstanceAlreadyExistsException', 'DB instance already exists');
    const cluster = this.requireCluster(params.DBClusterIdentifier);
    // "You can create DB instances only after the RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available."
    if (cluster.d.Status !== 'available') throw new AwsError('Rds.InvalidDbClusterStateException', `DB cluster ${cluster.d.DBClusterIdentifier} is not in available state.`);
    if (params.Engine !== cluster.d.Engine) {
      throw unmodeled('InvalidParameterCombination', `The engine name requested for your DB instance (${String(params.Engine)}) doesn't match the engine name of your DB cluster (${String(cluster.d.Engine)}).`);
    }
    if (params.EngineVersion !== undefined && params.EngineVersion !== cluster.d.EngineVersion) {
      throw unmodeled('InvalidParameterCombination', `The engine version of a DB cluster's instance is the cluster's (${String(cluster.d.EngineVersion)}).`);
    }
    this.refuseClusterSettings(Object.keys(params).filter((k) => k !== 'EngineVersion'), 'create');
    this.validateMemberSettings(cluster, params);
    const clock = this.rds.clock;
    const tier = params.PromotionTier ?? 1;
    const d: DBInstance = {
      DBInstanceIdentifier: id.toLowerCase(),
      DBInstanceArn: this.rds.arn('db', id.toLowerCase()),
      DBInstanceClass: String(params.DBInstanceClass),
      DBInstanceStatus: 'creating',
      DBClusterIdentifier: cluster.d.DBClusterIdentifier,
      DbiResourceId: `db-CREATED${String(this.rds.nextSeq()).padStart(16, '0')}`,
      InstanceCreateTime: new Date(clock.now),
      // AWS's defaults for what the request leaves out; where the reference gives none, one that differs.
      DBParameterGroups: [{ DBParameterGroupName: String(params.DBParameterGroupName ?? `default.aurora-postgresql${major(cluster.d.EngineVersion)}`), ParameterApplyStatus: 'in-sync' }],
      // "Aurora automatically chooses an appropriate Availability Zone if you don't specify one."
      AvailabilityZone: String(params.AvailabilityZone ?? cluster.d.AvailabilityZones?.at(-1) ?? 'eu-west-1c'),
      // "If DBSubnetGroup isn't specified, PubliclyAccessible defaults to false for Aurora instances."
      PubliclyAccessible: (params.PubliclyAccessible as boolean | undefined) ?? false,
      PromotionTier: Number(tier),
      AutoMinorVersionUpgrade: (params.AutoMinorVersionUpgrade as boolean | undefined) ?? true,
      PreferredMaintenanceWindow: String(params.PreferredMaintenanceWindow ?? 'wed:06:01-wed:06:31'),
      CACertificateIdentifier: String(params.CACertificateIdentifier ?? 'rds-ca-rsa2048-g1'),
      CertificateDetails: { CAIdentifier: String(params.CACertificateIdentifier ?? 'rds-ca-rsa2048-g1'), ValidTill: new Date(clock.now + 365 * 86_400_000) },
      CopyTagsToSnapshot: (params.CopyTagsToSnapshot as boolean | undefined) ?? false,
      MonitoringInterval: Number(params.MonitoringInterval ?? 0),
      ...(params.MonitoringRoleArn ? { MonitoringRoleArn: String(params.MonitoringRoleArn) } : {}),
      PerformanceInsightsEnabled: params.EnablePerformanceInsights === true,
      ...(params.EnablePerformanceInsights === true
        ? {
            PerformanceInsightsKMSKeyId: String(params.PerformanceInsightsKMSKeyId ?? this.rds.account.kmsKeys.find((k) => k.manager === 'AWS')?.arn),
            PerformanceInsightsRetentionPeriod: Number(params.PerformanceInsightsRetentionPeriod ?? 7),
          }
        : {}),
      TagList: (params.Tags as DBInstance['TagList']) ?? [],
      DbInstancePort: 0,
      DBSecurityGroups: [],
      DomainMemberships: [],
      AssociatedRoles: [],
      ReadReplicaDBInstanceIdentifiers: [],
      ReadReplicaDBClusterIdentifiers: [],
      DBInstanceAutomatedBackupsReplications: [],
      PendingModifiedValues: {},
      CustomerOwnedIpEnabled: false,
      ActivityStreamStatus: 'stopped',
      BackupTarget: 'region',
      MultiTenant: false,
      DedicatedLogVolume: false,
      IsStorageConfigUpgradeAvailable: false,
      UpgradeRolloutOrder: 'second',
    };
    const inst = this.rds.addInstance(d, cluster.db);
    // The instance shares the cluster volume: the same database, whichever instance serves it.
    inst.db = cluster.db;
    inst.createdFrom = cluster.createdFrom;
    // The first instance of a cluster is its writer ("the primary instance"); the others are readers.
    const writer = !(cluster.d.DBClusterMembers ?? []).some((m) => m.IsClusterWriter);
    cluster.d.DBClusterMembers = [
      ...(cluster.d.DBClusterMembers ?? []),
      { DBInstanceIdentifier: id.toLowerCase(), IsClusterWriter: writer, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: Number(tier) },
    ];
    const ready = clock.now + this.rds.durations.createInstance * 1000;
    this.rds.record('create instance', clock.now, ready);
    this.rds.after(inst, this.rds.durations.createInstance, () => {
      inst.d.DBInstanceStatus = 'available';
      inst.d.Endpoint = this.rds.endpoint(String(inst.d.DBInstanceIdentifier), Number(cluster.d.Port ?? 5432));
    });
    return toSfn({ DBInstance: this.described(inst) });
  }

  modifyDBCluster(p: Record<string, unknown>): unknown {
    const params = this.rds.parse('ModifyDBCluster', p);
    const cluster = this.requireCluster(params.DBClusterIdentifier);
    if (cluster.d.Status !== 'available') throw new AwsError('Rds.InvalidDbClusterStateException', `DbCluster ${cluster.d.DBClusterIdentifier} is in ${cluster.d.Status} state.`);
    const { DBClusterIdentifier: _id, ApplyImmediately, NewDBClusterIdentifier, ...changes } = params;
    if (typeof NewDBClusterIdentifier === 'string') {
      // "The ApplyImmediately parameter only affects the EnableIAMDatabaseAuthentication,
      // MasterUserPassword, and NewDBClusterIdentifier values" (ModifyDBCluster): without it the
      // rename waits for the maintenance window.
      if (ApplyImmediately !== true) {
        cluster.d.PendingModifiedValues = { ...cluster.d.PendingModifiedValues, DBClusterIdentifier: NewDBClusterIdentifier };
        return toSfn({ DBCluster: cluster.d });
      }
      return this.rename(cluster, NewDBClusterIdentifier);
    }
    if (Object.keys(changes).length === 0) throw unmodeled('InvalidParameterCombination', 'No modifications were requested');
    this.validateSettings(cluster.d, changes);
    this.apply(cluster.d, changes);
    cluster.d.Status = 'modifying';
    const clock = this.rds.clock;
    this.rds.record('modify', clock.now, clock.now + this.rds.durations.modify * 1000);
    this.rds.after(cluster, this.rds.durations.modify, () => {
      if (cluster.d.Status === 'modifying') cluster.d.Status = 'available';
    });
    return toSfn({ DBCluster: cluster.d });
  }

  /** AddTagsToResource on a cluster or a cluster snapshot; false when the ARN names neither. */
  addTags(arn: string, merge: (current: { Key?: string; Value?: string }[]) => { Key?: string; Value?: string }[]): boolean {
    const cluster = this.clusters.find((c) => c.d.DBClusterArn === arn);
    const snap = this.snapshots.find((s) => this.rds.arn('cluster-snapshot', s.id) === arn);
    if (cluster) cluster.d.TagList = merge(cluster.d.TagList ?? []);
    else if (snap) snap.tags = merge(snap.tags) as ClusterSnapshot['tags'];
    return !!(cluster || snap);
  }

  /** A renamed instance stays the cluster's member under its new identifier. */
  memberRenamed(oldId: string, newId: string): void {
    for (const c of this.clusters) for (const m of c.d.DBClusterMembers ?? []) if (m.DBInstanceIdentifier === oldId) m.DBInstanceIdentifier = newId;
  }

  /** Settings of a cluster passed for one of its instances: refused as RDS refuses them. */
  refuseClusterSettings(members: string[], call: 'create' | 'modify'): void {
    const managed = members.filter((m) => clusterManaged().has(m));
    if (managed.length === 0) return;
    if (call === 'create') throw unmodeled('InvalidParameterCombination', `The requested DB Instance will be a member of a DB Cluster. Set ${managed.join(', ')} for the DB Cluster.`);
    // cloud-custodian/cloud-custodian#178 quotes the answer for the backup retention.
    throw unmodeled('InvalidParameterCombination', `The specified DB Instance is a member of a cluster and its ${managed.join(', ')} should not be modified directly. Instead, modify the DB cluster using the ModifyDbCluster API.`);
  }

  // -------------------------------------------------------------------------------------------

  private rename(cluster: Cluster, newId: string): unknown {
    const which = cluster.createdFrom ? 'restored' : 'original';
    if (this.rds.faults.renameRefused === which) {
      throw new AwsError('Rds.InvalidDbClusterStateException', `DB cluster ${cluster.d.DBClusterIdentifier} cannot be renamed now.`);
    }
    if (!IDENTIFIER.test(newId)) throw unmodeled('InvalidParameterValue', `The parameter NewDBClusterIdentifier is not a valid identifier: ${newId}`);
    const target = newId.toLowerCase();
    if (this.find(target)) throw new AwsError('Rds.DbClusterAlreadyExistsException', 'DB Cluster already exists');
    // As for an instance or a Multi-AZ DB cluster: the old DNS names go at once, the new ones take
    // effect when the rename is done, and the cluster "isn't available until the new name becomes effective".
    cluster.d.Status = 'renaming';
    for (const host of [cluster.d.Endpoint, cluster.d.ReaderEndpoint]) if (host) this.rds.endpointLost(host);
    const answer = toSfn({ DBCluster: cluster.d });
    delete cluster.d.Endpoint;
    delete cluster.d.ReaderEndpoint;
    const clock = this.rds.clock;
    this.rds.record('rename', clock.now, clock.now + this.rds.durations.clusterRename * 1000);
    this.rds.after(cluster, Math.min(60, this.rds.durations.clusterRename), () => {
      const oldId = cluster.d.DBClusterIdentifier;
      cluster.d.DBClusterIdentifier = target;
      cluster.d.DBClusterArn = this.rds.arn('cluster', target);
      for (const inst of this.rds.instances) if (inst.d.DBClusterIdentifier === oldId) inst.d.DBClusterIdentifier = target;
    });
    this.rds.after(cluster, this.rds.durations.clusterRename, () => {
      cluster.d.Status = 'available';
      Object.assign(cluster.d, this.endpoints(target));
    });
    return answer;
  }

  /** A cluster's writer and reader endpoints, named after its identifier. */
  endpoints(id: string) {
    return {
      Endpoint: `${id}.cluster-${ENDPOINT_HASH}.${this.rds.region}.rds.amazonaws.com`,
      ReaderEndpoint: `${id}.cluster-ro-${ENDPOINT_HASH}.${this.rds.region}.rds.amazonaws.com`,
      HostedZoneId: HOSTED_ZONE_ID,
    };
  }

  /** What a restore gives every attribute it is not passed (RestoreDBClusterFromSnapshot's reference). */
  private restoreDefaults(src: DBCluster, params: Record<string, unknown>, version: string): DBCluster {
    // Without a subnet group the restore lands in the default VPC's default subnet group.
    const group = (params.DBSubnetGroupName === undefined ? undefined : this.rds.subnetGroup(String(params.DBSubnetGroupName))) ?? DEFAULT_SUBNET_GROUP;
    const encrypted = src.StorageEncrypted === true || params.KmsKeyId !== undefined;
    return {
      // From the snapshot: data, master user, database name, encryption and its key.
      Engine: src.Engine,
      EngineVersion: version,
      MasterUsername: src.MasterUsername,
      DatabaseName: src.DatabaseName,
      StorageEncrypted: encrypted,
      StorageEncryptionType: encrypted ? 'sse-kms' : 'none',
      ...(encrypted ? { KmsKeyId: String(params.KmsKeyId ?? src.KmsKeyId) } : {}),
      // "Default: The same port as the original DB cluster"; retention: "Uses existing setting".
      Port: src.Port,
      BackupRetentionPeriod: src.BackupRetentionPeriod,
      // AWS's defaults for the rest; where the reference gives none, the one that differs.
      AvailabilityZones: group.subnets.map((s) => s.zone),
      DBSubnetGroup: group.name,
      VpcSecurityGroups: [{ VpcSecurityGroupId: this.rds.account.securityGroups[group.vpcId]?.[0] ?? DEFAULT_VPC_SECURITY_GROUP, Status: 'active' }],
      DBClusterParameterGroup: `default.aurora-postgresql${major(version)}`,
      PreferredBackupWindow: '23:11-23:41',
      PreferredMaintenanceWindow: 'tue:21:52-tue:22:22',
      EngineMode: 'provisioned',
      StorageType: 'aurora',
      NetworkType: 'IPV4',
      MultiAZ: false,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      IAMDatabaseAuthenticationEnabled: false,
      EnabledCloudwatchLogsExports: [],
      HttpEndpointEnabled: false,
      AutoMinorVersionUpgrade: true,
      EngineLifecycleSupport: 'open-source-rds-extended-support',
      DatabaseInsightsMode: 'standard',
      PerformanceInsightsEnabled: false,
      ActivityStreamStatus: 'stopped',
      CrossAccountClone: false,
      AllocatedStorage: 1,
      UpgradeRolloutOrder: 'second',
      DBClusterMembers: [],
      DBClusterOptionGroupMemberships: [],
      ReadReplicaIdentifiers: [],
      AssociatedRoles: [],
      DomainMemberships: [],
      CustomEndpoints: [],
      HostedZoneId: HOSTED_ZONE_ID,
    };
  }

  /** The checks RDS makes on a cluster's settings, given to a restore or a modify. */
  private validateSettings(current: DBCluster, p: Record<string, unknown>): void {
    const groupName = p.DBSubnetGroupName as string | undefined;
    const group: SubnetGroup | undefined = groupName === undefined ? this.rds.subnetGroup(String(current.DBSubnetGroup)) : this.rds.subnetGroup(groupName);
    if (groupName !== undefined && !group) throw new AwsError('Rds.DbSubnetGroupNotFoundException', `DBSubnetGroup ${groupName} not found.`);
    const vpc = group?.vpcId ?? DEFAULT_SUBNET_GROUP.vpcId;
    for (const sg of (p.VpcSecurityGroupIds as string[] | undefined) ?? []) {
      if (!(this.rds.account.securityGroups[vpc] ?? []).includes(sg)) throw unmodeled('InvalidParameterValue', `Invalid security group, groupId= ${sg}, vpc= ${vpc}`);
    }
    for (const zone of (p.AvailabilityZones as string[] | undefined) ?? []) {
      if (!zone.startsWith(this.rds.region)) throw unmodeled('InvalidParameterValue', `${zone} is not an Availability Zone of ${this.rds.region}.`);
    }
    const family = `aurora-postgresql${major(current.EngineVersion)}`;
    const pg = p.DBClusterParameterGroupName as string | undefined;
    if (pg !== undefined && pg !== `default.${family}`) {
      const found = (this.rds.account.clusterParameterGroups ?? []).find((g) => g.name === pg);
      if (!found) throw new AwsError('Rds.DbClusterParameterGroupNotFoundException', `DBClusterParameterGroup not found: ${pg}`);
      if (found.family !== family) throw unmodeled('InvalidParameterCombination', `The parameter group ${pg} with DBParameterGroupFamily ${found.family} cannot be used for this cluster.`);
    }
    if (p.Port !== undefined && !(Number(p.Port) >= 1150 && Number(p.Port) <= 65535)) throw unmodeled('InvalidParameterValue', `Invalid port ${String(p.Port)}`);
    if (p.BackupRetentionPeriod !== undefined && !(Number(p.BackupRetentionPeriod) >= 1 && Number(p.BackupRetentionPeriod) <= 35)) {
      throw unmodeled('InvalidParameterValue', `Invalid backup retention period: ${String(p.BackupRetentionPeriod)} (an Aurora cluster keeps 1 to 35 days)`);
    }
    if (p.PreferredBackupWindow !== undefined && !DAILY_WINDOW.test(String(p.PreferredBackupWindow))) throw unmodeled('InvalidParameterValue', `Invalid backup window: ${String(p.PreferredBackupWindow)}`);
    if (p.PreferredMaintenanceWindow !== undefined && !WEEKLY_WINDOW.test(String(p.PreferredMaintenanceWindow))) {
      throw unmodeled('InvalidParameterValue', `Invalid maintenance window: ${String(p.PreferredMaintenanceWindow)}`);
    }
    const logs = [...((p.EnableCloudwatchLogsExports as string[] | undefined) ?? []), ...(((p.CloudwatchLogsExportConfiguration as { EnableLogTypes?: string[] } | undefined)?.EnableLogTypes) ?? [])];
    for (const log of logs) {
      if (!AURORA_POSTGRES_LOG_TYPES.includes(log)) throw unmodeled('InvalidParameterCombination', `You cannot use the log types '${log}' with engine aurora-postgresql.`);
    }
    if (p.StorageType !== undefined && !['aurora', 'aurora-iopt1'].includes(String(p.StorageType))) throw unmodeled('InvalidParameterValue', `Invalid storage type for an Aurora cluster: ${String(p.StorageType)}`);
    if (p.EngineMode !== undefined && !['provisioned', 'serverless'].includes(String(p.EngineMode))) throw unmodeled('InvalidParameterValue', `Invalid engine mode: ${String(p.EngineMode)}`);
    if (p.DatabaseInsightsMode === 'advanced' && (p.EnablePerformanceInsights ?? current.PerformanceInsightsEnabled) !== true) {
      throw unmodeled('InvalidParameterCombination', 'Database Insights advanced mode needs Performance Insights.');
    }
    checkInsightsRetention(p.PerformanceInsightsRetentionPeriod);
  }

  /** The checks RDS makes on what CreateDBInstance sets for an instance of a cluster. */
  private validateMemberSettings(cluster: Cluster, p: Record<string, unknown>): void {
    const family = `aurora-postgresql${major(cluster.d.EngineVersion)}`;
    const pg = p.DBParameterGroupName as string | undefined;
    if (pg !== undefined && pg !== `default.${family}`) {
      const found = this.rds.account.parameterGroups.find((g) => g.name === pg);
      if (!found) throw new AwsError('Rds.DbParameterGroupNotFoundException', `DBParameterGroup not found: ${pg}`);
      if (found.family !== family) throw unmodeled('InvalidParameterCombination', `The parameter group ${pg} with DBParameterGroupFamily ${found.family} cannot be used for this instance.`);
    }
    if (p.AvailabilityZone !== undefined && !(cluster.d.AvailabilityZones ?? []).includes(String(p.AvailabilityZone))) {
      throw unmodeled('InvalidParameterCombination', `The Availability Zone ${String(p.AvailabilityZone)} is not one of the DB cluster's (${(cluster.d.AvailabilityZones ?? []).join(', ')}).`);
    }
    if (p.PromotionTier !== undefined && !(Number(p.PromotionTier) >= 0 && Number(p.PromotionTier) <= 15)) throw unmodeled('InvalidParameterValue', `Invalid promotion tier ${String(p.PromotionTier)}`);
    if (p.PreferredMaintenanceWindow !== undefined && !WEEKLY_WINDOW.test(String(p.PreferredMaintenanceWindow))) {
      throw unmodeled('InvalidParameterValue', `Invalid maintenance window: ${String(p.PreferredMaintenanceWindow)}`);
    }
    checkMonitoring(p, {}, this.rds.account.roles);
    checkInsightsRetention(p.PerformanceInsightsRetentionPeriod);
    checkCertificate(p.CACertificateIdentifier);
  }

  /** Settings given to a restore or a modify, in the describe's shape. */
  private apply(d: DBCluster, p: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(p)) {
      switch (key) {
        case 'DBClusterIdentifier':
        case 'SnapshotIdentifier':
        case 'Tags':
        case 'KmsKeyId':
        case 'EngineVersion':
          break;
        case 'VpcSecurityGroupIds':
          d.VpcSecurityGroups = (value as string[]).map((g) => ({ VpcSecurityGroupId: g, Status: 'active' }));
          break;
        case 'DBClusterParameterGroupName':
          d.DBClusterParameterGroup = String(value);
          break;
        case 'DBSubnetGroupName':
          d.DBSubnetGroup = String(value);
          break;
        case 'EnableIAMDatabaseAuthentication':
          d.IAMDatabaseAuthenticationEnabled = value as boolean;
          break;
        case 'EnableCloudwatchLogsExports':
          d.EnabledCloudwatchLogsExports = value as string[];
          break;
        case 'CloudwatchLogsExportConfiguration': {
          const c = value as { EnableLogTypes?: string[]; DisableLogTypes?: string[] };
          d.EnabledCloudwatchLogsExports = [...new Set([...(d.EnabledCloudwatchLogsExports ?? []), ...(c.EnableLogTypes ?? [])])].filter((l) => !c.DisableLogTypes?.includes(l));
          break;
        }
        case 'EnableHttpEndpoint':
          d.HttpEndpointEnabled = value as boolean;
          break;
        case 'EnablePerformanceInsights':
          d.PerformanceInsightsEnabled = value as boolean;
          if (value === true) {
            d.PerformanceInsightsRetentionPeriod ??= 7;
            d.PerformanceInsightsKMSKeyId ??= this.rds.account.kmsKeys.find((k) => k.manager === 'AWS')?.arn;
          }
          break;
        case 'AssociatedRoles':
          d.AssociatedRoles = (value as { RoleArn: string; FeatureName?: string }[]).map((r) => ({ ...r, Status: 'ACTIVE' }));
          break;
        default:
          (d as Record<string, unknown>)[key] = value;
      }
    }
  }

  private describeSnapshot(s: ClusterSnapshot): Record<string, unknown> {
    const src = s.source;
    const clock = this.rds.clock;
    const total = this.rds.durations.snapshot * 1000;
    const progress = s.status === 'creating' ? Math.min(99, Math.floor(((clock.now - s.createdAt) / total) * 100)) : 100;
    const group = this.rds.subnetGroup(String(src.DBSubnetGroup));
    return {
      DBClusterSnapshotIdentifier: s.id,
      DBClusterSnapshotArn: this.rds.arn('cluster-snapshot', s.id),
      DBClusterIdentifier: src.DBClusterIdentifier,
      // Absent until the snapshot has started copying data, as for an instance's.
      ...(progress > 0 ? { PercentProgress: progress, SnapshotCreateTime: new Date(s.createdAt) } : {}),
      AvailabilityZones: src.AvailabilityZones,
      Engine: src.Engine,
      EngineMode: src.EngineMode,
      EngineVersion: src.EngineVersion,
      AllocatedStorage: src.AllocatedStorage,
      Status: s.status,
      Port: src.Port,
      ...(group ? { VpcId: group.vpcId } : {}),
      ClusterCreateTime: src.ClusterCreateTime,
      MasterUsername: src.MasterUsername,
      LicenseModel: 'aurora-postgresql',
      SnapshotType: 'manual',
      StorageEncrypted: src.StorageEncrypted,
      StorageEncryptionType: src.StorageEncryptionType,
      ...(src.KmsKeyId ? { KmsKeyId: src.KmsKeyId } : {}),
      BackupRetentionPeriod: src.BackupRetentionPeriod,
      PreferredBackupWindow: src.PreferredBackupWindow,
      IAMDatabaseAuthenticationEnabled: src.IAMDatabaseAuthenticationEnabled,
      StorageType: src.StorageType,
      DbClusterResourceId: src.DbClusterResourceId,
      TagList: s.tags,
    };
  }

  private requireCluster(id: unknown): Cluster {
    const cluster = typeof id === 'string' ? this.find(idOf(id)) : undefined;
    if (!cluster) throw new AwsError('Rds.DbClusterNotFoundException', `DBCluster ${String(id)} not found.`);
    return cluster;
  }
}
