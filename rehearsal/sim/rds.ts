import type { DBInstance } from '@aws-sdk/client-rds';
import { sfnMemberName } from '../../handlers/lib/sdk-casing';
import type { VirtualClock } from '../clock';
import { type DeploymentFixture, describeSubnetGroup, type SubnetGroup } from '../fixtures';
import { memberNames, operation, valueProblems } from '../sdk-model';
import { AwsError } from './aws-error';
import { type Cluster, type ClusterSnapshot, SimulatedAurora } from './rds-cluster';
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

const POSTGRES_LOG_TYPES = ['postgresql', 'upgrade', 'iam-db-auth-error'];
const GP3_THRESHOLD_GIB = 400;

/**
 * RDS as the runbook sees it through Step Functions, as strict as AWS for every call the runbook
 * makes: instances and snapshots (and Aurora clusters and their snapshots, rds-cluster.ts) whose state changes over virtual time, the validation RDS applies
 * (identifiers, reserved tag keys, gp3's provisioning threshold, parameter combinations, states),
 * and what a restore really gives an instance: the snapshot's data and engine, the parameters it is
 * passed, and AWS's defaults for everything else, so a forgotten setting shows up as a difference.
 * Where sources disagree on a default, the one that differs from a typical original is taken.
 * Sources: shared/facts/aws-behaviour.md and the RDS API reference pages cited below. There is no
 * delete operation: the runbook must never need one.
 *
 * Parameters arrive and results leave in Step Functions' casing (DbInstanceIdentifier); inside,
 * instances are kept as the API's `DBInstance` shape. What answers is looked up by endpoint name,
 * as a client resolves it: an instance's, or an Aurora cluster's.
 */

/** The metadata database's state that matters here: its schema version and the data written to it. */
export interface SimDatabase {
  schemaVersion: string;
  /** Rows written by Metaflow clients; a restore loses what was written after the snapshot. */
  rows: number;
}

export interface Instance {
  /** The instance as DescribeDBInstances shows it (API casing). */
  d: DBInstance;
  db: SimDatabase;
  /** The snapshot it was restored from, if it was. */
  createdFrom?: string;
  /** Transitions due at a virtual time, applied in order. */
  timers: Timer[];
}

interface Snapshot {
  id: string;
  status: string;
  readyAt: number;
  createdAt: number;
  /** The source instance at snapshot time: what a restore inherits. */
  source: DBInstance;
  db: SimDatabase;
  tags: { Key: string; Value: string }[];
}

export interface RdsFaults {
  /** The snapshot (an instance's or a cluster's) ends `failed` instead of `available`. */
  snapshotFails?: boolean;
  /** The restored instance ends `incompatible-restore`; a restored cluster, `migration-failed`. */
  restoreFails?: boolean;
  /**
   * RDS refuses to rename the original instance (or cluster), or the one restored from the snapshot;
   * `restored-instance`: an instance restored from the snapshot, alone or in a restored Aurora cluster
   * (whose own rename goes through).
   */
  renameRefused?: 'original' | 'restored' | 'restored-instance';
}

/** Virtual seconds RDS takes; they grow with the database (a large one makes minutes into an hour). */
export interface RdsDurations {
  readonly snapshot: number;
  readonly restore: number;
  readonly rename: number;
  readonly modify: number;
  readonly reboot: number;
  /** The backup RDS starts when automated backups are (re)enabled on a restored instance: hours. */
  readonly baselineBackup: number;
  /**
   * An Aurora cluster's rename: a new DNS name and no restart. AWS gives no figure for Aurora; for a
   * Multi-AZ DB cluster "the new DNS name ... becomes effective in about two minutes"
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/multi-az-db-cluster-rename.html).
   */
  readonly clusterRename: number;
  /** Creating an instance in an Aurora cluster. */
  readonly createInstance: number;
}

export const RDS_DURATIONS: RdsDurations = {
  snapshot: 300,
  restore: 900,
  rename: 600,
  modify: 60,
  reboot: 60,
  baselineBackup: 7200,
  clusterRename: 120,
  createInstance: 600,
};

export class SimulatedRds {
  readonly instances: Instance[] = [];
  readonly snapshots: Snapshot[] = [];
  /** Aurora clusters and their snapshots, and the calls that make them (rds-cluster.ts). */
  readonly aurora: SimulatedAurora;
  /**
   * Whether the watched endpoint (the one the service connects to) answers, each time that
   * changes: the database outage is where it does not.
   */
  readonly reachability: { at: number; reachable: boolean }[] = [];
  watched: string | undefined;
  private seq = 0;

  constructor(
    readonly clock: VirtualClock,
    readonly faults: RdsFaults,
    readonly record: (kind: string, start: number, end: number) => void,
    /** Called with an endpoint's name when it stops resolving or restarts (a rename, a reboot): open connections to it break. */
    readonly endpointLost: (host: string) => void,
    readonly account: DeploymentFixture['account'],
    readonly durations: RdsDurations = RDS_DURATIONS,
    readonly region = 'eu-west-1',
    readonly accountId = '123456789012',
  ) {
    this.aurora = new SimulatedAurora(this);
  }

  get clusters(): Cluster[] {
    return this.aurora.clusters;
  }

  get clusterSnapshots(): ClusterSnapshot[] {
    return this.aurora.snapshots;
  }

  /** Every snapshot kept, an instance's or a cluster's. */
  snapshotIds(): string[] {
    return [...this.snapshots.map((s) => s.id), ...this.aurora.snapshots.map((s) => s.id)];
  }

  addInstance(d: DBInstance, db: SimDatabase): Instance {
    const inst: Instance = { d: structuredClone(d), db, timers: [] };
    this.instances.push(inst);
    return inst;
  }

  /** The database of the instance with this identifier, if it answers connections now. */
  connect(id: string): SimDatabase | null {
    const inst = this.find(id);
    return inst && REACHABLE.has(inst.d.DBInstanceStatus as string) ? inst.db : null;
  }

  /** The database behind an endpoint name (an instance's or a cluster's), if it answers connections now. */
  connectTo(host: string): SimDatabase | null {
    const inst = this.instances.find((i) => i.d.Endpoint?.Address === host);
    if (inst) return REACHABLE.has(inst.d.DBInstanceStatus as string) ? inst.db : null;
    return this.aurora.connectTo(host);
  }

  find(id: string): Instance | undefined {
    return this.instances.find((i) => i.d.DBInstanceIdentifier === id);
  }

  advanceTo(now: number): void {
    // Every instance's and cluster's transitions in time order, so the reachability timeline is in order too.
    const owners: { timers: Timer[] }[] = [...this.instances, ...this.aurora.clusters];
    for (;;) {
      const due = owners.flatMap((o) => o.timers.map((t) => ({ o, t }))).filter(({ t }) => t.at <= now).sort((a, b) => a.t.at - b.t.at)[0];
      if (!due) break;
      due.o.timers.splice(due.o.timers.indexOf(due.t), 1);
      due.t.apply();
      this.observe(due.t.at);
    }
    this.observe(now);
    this.aurora.completeSnapshots(now);
    for (const snap of this.snapshots) {
      if (snap.status === 'creating' && snap.readyAt <= now) {
        snap.status = this.faults.snapshotFails ? 'failed' : 'available';
        const source = this.find(snap.source.DBInstanceIdentifier as string);
        if (source?.d.DBInstanceStatus === 'backing-up') source.d.DBInstanceStatus = 'available';
      }
    }
  }

  /** Records whether the watched endpoint answers at `at`, when that changed. */
  observe(at: number): void {
    if (this.watched === undefined) return;
    const reachable = this.connectTo(this.watched) !== null;
    if (this.reachability.at(-1)?.reachable !== reachable) this.reachability.push({ at, reachable });
  }

  /** A reboot or failover: the endpoint refuses connections until the instance is available again. */
  reboot(id: string, seconds: number): void {
    const inst = this.requireInstance(id);
    inst.d.DBInstanceStatus = 'rebooting';
    this.record('reboot', this.clock.now, this.clock.now + seconds * 1000);
    this.after(inst, seconds, () => (inst.d.DBInstanceStatus = 'available'));
  }

  // -------------------------------------------------------------------------------------------
  // The API, as Step Functions' aws-sdk:rds integration calls it
  // -------------------------------------------------------------------------------------------

  describeDBInstances(p: Record<string, unknown>): unknown {
    const params = this.parse('DescribeDBInstances', p);
    let found: Instance[];
    if (typeof params.DBInstanceIdentifier === 'string') {
      const inst = this.find(idOf(params.DBInstanceIdentifier));
      if (!inst) throw new AwsError('Rds.DbInstanceNotFoundException', `DBInstance ${params.DBInstanceIdentifier} not found.`);
      found = [inst];
    } else {
      const filters = (params.Filters ?? []) as { Name: string; Values: string[] }[];
      const ids = filters.find((f) => f.Name === 'db-instance-id')?.Values.map(idOf);
      // db-cluster-id: the instances of these clusters (ARNs or identifiers), API reference DescribeDBInstances.
      const clusters = filters.find((f) => f.Name === 'db-cluster-id')?.Values.map(idOf);
      found = this.instances.filter(
        (i) => (!ids || ids.includes(i.d.DBInstanceIdentifier as string)) && (!clusters || clusters.includes(String(i.d.DBClusterIdentifier))),
      );
    }
    return toSfn({ DBInstances: found.map((i) => this.aurora.described(i)) });
  }

  createDBSnapshot(p: Record<string, unknown>): unknown {
    const params = this.parse('CreateDBSnapshot', p);
    const inst = this.requireInstance(params.DBInstanceIdentifier);
    if (inst.d.DBClusterIdentifier) {
      // cevoaustralia/aws-backup-lambda#5 quotes this answer.
      throw unmodeled('InvalidParameterValue', 'The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.');
    }
    const id = String(params.DBSnapshotIdentifier);
    if (!SNAPSHOT_IDENTIFIER.test(id)) throw unmodeled('InvalidParameterValue', `The parameter DBSnapshotIdentifier is not a valid identifier: ${id}`);
    checkTags(params.Tags);
    if (inst.d.DBInstanceStatus !== 'available') {
      throw new AwsError('Rds.InvalidDbInstanceStateException', `Cannot create a snapshot because the database instance ${inst.d.DBInstanceIdentifier} is not currently in the available state.`);
    }
    if (this.snapshots.some((s) => s.id === id.toLowerCase())) {
      throw new AwsError('Rds.DbSnapshotAlreadyExistsException', `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`);
    }
    const snap: Snapshot = {
      id: id.toLowerCase(),
      status: 'creating',
      createdAt: this.clock.now,
      readyAt: this.clock.now + this.durations.snapshot * 1000,
      source: structuredClone(inst.d),
      db: { ...inst.db },
      // A snapshot made with tags does not copy the instance's own (RDS user guide, "Tagging").
      tags: (params.Tags as Snapshot['tags'] | undefined) ?? [],
    };
    this.snapshots.push(snap);
    inst.d.DBInstanceStatus = 'backing-up';
    this.record('snapshot', this.clock.now, snap.readyAt);
    return toSfn({ DBSnapshot: this.describeSnapshot(snap) });
  }

  describeDBSnapshots(p: Record<string, unknown>): unknown {
    const params = this.parse('DescribeDBSnapshots', p);
    const snap = this.snapshots.find((s) => s.id === String(params.DBSnapshotIdentifier).toLowerCase());
    if (!snap) throw new AwsError('Rds.DbSnapshotNotFoundException', `DBSnapshot not found: ${String(params.DBSnapshotIdentifier)}`);
    return toSfn({ DBSnapshots: [this.describeSnapshot(snap)] });
  }

  modifyDBInstance(p: Record<string, unknown>): unknown {
    const params = this.parse('ModifyDBInstance', p);
    const inst = this.requireInstance(params.DBInstanceIdentifier);
    if (inst.d.DBInstanceStatus !== 'available') {
      throw new AwsError('Rds.InvalidDbInstanceStateException', 'Database instance is not in available state.');
    }
    // ModifyDBInstance may answer InvalidDBClusterStateFault, "The requested operation can't be
    // performed while the cluster is in this state" (the API's own list of its errors); AWS does not
    // say which states, so an instance of a cluster that is not available is refused outright.
    const cluster = inst.d.DBClusterIdentifier ? this.aurora.find(inst.d.DBClusterIdentifier) : undefined;
    if (cluster && cluster.d.Status !== 'available') {
      throw new AwsError('Rds.InvalidDbClusterStateException', `DB cluster ${cluster.d.DBClusterIdentifier} of instance ${inst.d.DBInstanceIdentifier} is in ${cluster.d.Status} state.`);
    }
    const { DBInstanceIdentifier: _id, ApplyImmediately, NewDBInstanceIdentifier, ...changes } = params;
    // Without ApplyImmediately every change waits for the next maintenance window (days away): RDS
    // puts it in the pending modifications queue, which DescribeDBInstances shows as
    // PendingModifiedValues, and applies the queue in the window or with the next request that
    // applies immediately (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.ApplyImmediately.html).
    // A new DBInstanceIdentifier is such a change: renamed at once, or in the window
    // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html, "DB instance identifier").
    // No rehearsal lasts until a window, so a deferred change stays pending.
    if (ApplyImmediately !== true) {
      inst.d.PendingModifiedValues = { ...inst.d.PendingModifiedValues, ...(NewDBInstanceIdentifier ? { DBInstanceIdentifier: String(NewDBInstanceIdentifier) } : {}), ...changes };
      return toSfn({ DBInstance: inst.d });
    }
    // Applied now, with whatever was queued before (this request's values win).
    const { DBInstanceIdentifier: queuedId, ...queued } = (inst.d.PendingModifiedValues ?? {}) as Record<string, unknown>;
    inst.d.PendingModifiedValues = {};
    const newId = NewDBInstanceIdentifier ?? queuedId;
    const settings = { ...queued, ...changes };
    if (typeof newId === 'string') return this.rename(inst, newId);
    if (inst.d.DBClusterIdentifier) this.aurora.refuseClusterSettings(Object.keys(settings), 'modify');
    this.validateSettings(inst.d, settings, 'modify');
    this.applySettings(inst, settings);
    return toSfn({ DBInstance: inst.d });
  }

  restoreDBInstanceFromDBSnapshot(p: Record<string, unknown>): unknown {
    const params = this.parse('RestoreDBInstanceFromDBSnapshot', p);
    const id = String(params.DBInstanceIdentifier);
    if (!IDENTIFIER.test(id)) throw unmodeled('InvalidParameterValue', `The parameter DBInstanceIdentifier is not a valid identifier: ${id}`);
    if (this.find(id.toLowerCase())) throw new AwsError('Rds.DbInstanceAlreadyExistsException', 'DB instance already exists');
    const snap = this.snapshots.find((s) => s.id === String(params.DBSnapshotIdentifier).toLowerCase());
    if (!snap) throw new AwsError('Rds.DbSnapshotNotFoundException', `DBSnapshot not found: ${String(params.DBSnapshotIdentifier)}`);
    if (snap.status !== 'available') throw new AwsError('Rds.InvalidDbSnapshotStateException', `Snapshot ${snap.id} is not in available state (${snap.status}).`);
    checkTags(params.Tags);
    // The caller's right to use the snapshot's KMS key is IAM's to decide (rehearsal/sim/iam.ts).
    const src = snap.source;
    const defaults = this.restoreDefaults(src, params);
    this.validateSettings(defaults, params, 'restore');
    // The port becomes part of the endpoint, which exists only once the instance is created.
    const { DBInstanceIdentifier: _i, DBSnapshotIdentifier: _s, Tags, Port: _p, ...given } = params;
    const d: DBInstance = {
      ...defaults,
      DBInstanceIdentifier: id.toLowerCase(),
      DBInstanceArn: this.arn('db', id.toLowerCase()),
      DBInstanceStatus: 'creating',
      DbiResourceId: `db-RESTORED${String(++this.seq).padStart(15, '0')}`,
      InstanceCreateTime: new Date(this.clock.now),
      // A restore with no Tags gets the snapshot's own tags (what RDS documents as the source's tags).
      TagList: (Tags as DBInstance['TagList']) ?? snap.tags,
    };
    // Endpoint is absent while creating (API reference, DBInstance "Endpoint").
    delete d.Endpoint;
    delete d.LatestRestorableTime;
    const inst = this.addInstance(d, { ...snap.db });
    this.applySettings(inst, given, { immediate: true });
    inst.createdFrom = snap.id;
    const ready = this.clock.now + this.durations.restore * 1000;
    this.record('restore', this.clock.now, ready);
    this.after(inst, this.durations.restore, () => {
      if (this.faults.restoreFails) {
        inst.d.DBInstanceStatus = 'incompatible-restore';
        return;
      }
      inst.d.Endpoint = this.endpoint(inst.d.DBInstanceIdentifier as string, (params.Port as number | undefined) ?? src.Endpoint?.Port ?? 5432);
      // A custom parameter group takes effect only after a reboot (AWS's own CloudFormation handler reboots after such a restore).
      const group = inst.d.DBParameterGroups?.[0];
      if (group && !String(group.DBParameterGroupName).startsWith('default.')) group.ParameterApplyStatus = 'pending-reboot';
      // With automated backups on, RDS takes a baseline backup at once and stays backing-up for hours
      // (hashicorp/terraform-provider-aws#44104), refusing modifications and renames meanwhile.
      if ((inst.d.BackupRetentionPeriod ?? 0) > 0) this.backingUp(inst);
      else inst.d.DBInstanceStatus = 'available';
    });
    return toSfn({ DBInstance: inst.d });
  }

  rebootDBInstance(p: Record<string, unknown>): unknown {
    const params = this.parse('RebootDBInstance', p);
    const inst = this.requireInstance(params.DBInstanceIdentifier);
    if (inst.d.DBInstanceStatus !== 'available') throw new AwsError('Rds.InvalidDbInstanceStateException', `Instance ${inst.d.DBInstanceIdentifier} is not in available state.`);
    inst.d.DBInstanceStatus = 'rebooting';
    this.lost(inst);
    this.record('reboot', this.clock.now, this.clock.now + this.durations.reboot * 1000);
    this.after(inst, this.durations.reboot, () => {
      inst.d.DBInstanceStatus = 'available';
      for (const g of inst.d.DBParameterGroups ?? []) g.ParameterApplyStatus = 'in-sync';
    });
    return toSfn({ DBInstance: inst.d });
  }

  // Aurora clusters (rds-cluster.ts): the same integration, the same account.
  describeDBClusters(p: Record<string, unknown>): unknown {
    return this.aurora.describeDBClusters(p);
  }

  createDBClusterSnapshot(p: Record<string, unknown>): unknown {
    return this.aurora.createDBClusterSnapshot(p);
  }

  describeDBClusterSnapshots(p: Record<string, unknown>): unknown {
    return this.aurora.describeDBClusterSnapshots(p);
  }

  restoreDBClusterFromSnapshot(p: Record<string, unknown>): unknown {
    return this.aurora.restoreDBClusterFromSnapshot(p);
  }

  modifyDBCluster(p: Record<string, unknown>): unknown {
    return this.aurora.modifyDBCluster(p);
  }

  /** Only in an Aurora cluster: the runbook restores standalone instances, it never creates one. */
  createDBInstance(p: Record<string, unknown>): unknown {
    return this.aurora.createDBInstance(p);
  }

  addTagsToResource(p: Record<string, unknown>): unknown {
    const params = this.parse('AddTagsToResource', p);
    checkTags(params.Tags);
    const arn = String(params.ResourceName);
    const tags = params.Tags as { Key: string; Value: string }[];
    const merge = (current: { Key?: string; Value?: string }[]) => [...current.filter((t) => !tags.some((n) => n.Key === t.Key)), ...tags];
    const inst = this.instances.find((i) => i.d.DBInstanceArn === arn);
    const snap = this.snapshots.find((s) => this.arn('snapshot', s.id) === arn);
    if (inst) inst.d.TagList = merge(inst.d.TagList ?? []);
    else if (snap) snap.tags = merge(snap.tags) as Snapshot['tags'];
    else if (!this.aurora.addTags(arn, merge)) throw new AwsError('Rds.DbInstanceNotFoundException', `DBInstance ${arn} not found.`);
    return {};
  }

  // -------------------------------------------------------------------------------------------

  /** Parameters in Step Functions casing, checked against the API model and converted to the API's names. */
  parse(op: string, p: Record<string, unknown>): Record<string, unknown> {
    const { input } = operation('rds', op);
    const problems = valueProblems(input, p, op);
    if (problems.length > 0) throw unmodeled('InvalidParameterValue', problems.join('; '));
    const byName = new Map(memberNames(input).map((m) => [sfnMemberName(m), m]));
    return Object.fromEntries(Object.entries(p).map(([k, v]) => [byName.get(k) as string, v]));
  }

  private rename(inst: Instance, newId: string): unknown {
    const which = inst.createdFrom ? 'restored' : 'original';
    if (this.faults.renameRefused === which || (this.faults.renameRefused === 'restored-instance' && inst.createdFrom)) {
      throw new AwsError('Rds.InvalidDbInstanceStateException', `DB instance ${inst.d.DBInstanceIdentifier} cannot be renamed now.`);
    }
    if (!IDENTIFIER.test(newId)) throw unmodeled('InvalidParameterValue', `The parameter NewDBInstanceIdentifier is not a valid identifier: ${newId}`);
    const target = newId.toLowerCase();
    if (this.find(target)) throw new AwsError('Rds.DbInstanceAlreadyExistsException', 'DB instance already exists');
    const oldId = inst.d.DBInstanceIdentifier as string;
    // The old DNS name goes at once; the new one takes effect about ten minutes later, after a reboot
    // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html).
    inst.d.DBInstanceStatus = 'renaming';
    inst.d.PendingModifiedValues = { DBInstanceIdentifier: target };
    this.lost(inst);
    const answer = toSfn({ DBInstance: inst.d });
    const port = inst.d.Endpoint?.Port ?? 5432;
    delete inst.d.Endpoint;
    this.record('rename', this.clock.now, this.clock.now + this.durations.rename * 1000);
    // For a minute the old identifier still describes as renaming; then only the new one exists.
    this.after(inst, 60, () => {
      inst.d.DBInstanceIdentifier = target;
      inst.d.DBInstanceArn = this.arn('db', target);
      this.aurora.memberRenamed(oldId, target);
    });
    // The rename reboots the instance: a parameter group waiting for a reboot is in force afterwards.
    this.after(inst, this.durations.rename, () => {
      inst.d.DBInstanceStatus = 'available';
      inst.d.PendingModifiedValues = {};
      inst.d.Endpoint = this.endpoint(target, port);
      for (const g of inst.d.DBParameterGroups ?? []) g.ParameterApplyStatus = 'in-sync';
    });
    return answer;
  }

  /** What a restore gives every attribute it is not passed (API reference and user guide, "Restoring to a DB instance"). */
  private restoreDefaults(src: DBInstance, params: Record<string, unknown>): DBInstance {
    const major = String(src.EngineVersion).split('.')[0];
    // Without a subnet group the restore lands in the default VPC's default subnet group.
    const group = params.DBSubnetGroupName === undefined ? DEFAULT_SUBNET_GROUP : (this.subnetGroup(String(params.DBSubnetGroupName)) ?? DEFAULT_SUBNET_GROUP);
    const otherZone = group.subnets.map((s) => s.zone).find((z) => z !== src.AvailabilityZone) ?? 'eu-west-1c';
    return {
      // From the snapshot: data, engine, storage, encryption, master user.
      Engine: src.Engine,
      EngineVersion: src.EngineVersion,
      LicenseModel: src.LicenseModel,
      MasterUsername: src.MasterUsername,
      DBName: src.DBName,
      AllocatedStorage: src.AllocatedStorage,
      StorageEncrypted: src.StorageEncrypted,
      StorageEncryptionType: src.StorageEncryptionType,
      KmsKeyId: src.KmsKeyId,
      DedicatedLogVolume: src.DedicatedLogVolume,
      Iops: src.Iops,
      StorageThroughput: src.StorageThroughput,
      DBInstanceClass: src.DBInstanceClass,
      // AWS's defaults for the rest; where the documentation disagrees, the one that differs.
      StorageType: 'gp3',
      MultiAZ: false,
      AvailabilityZone: otherZone,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      CopyTagsToSnapshot: false,
      DeletionProtection: false,
      IAMDatabaseAuthenticationEnabled: false,
      EnabledCloudwatchLogsExports: [],
      BackupRetentionPeriod: 1,
      PreferredBackupWindow: '23:11-23:41',
      PreferredMaintenanceWindow: 'tue:21:52-tue:22:22',
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      NetworkType: 'IPV4',
      BackupTarget: 'region',
      EngineLifecycleSupport: 'open-source-rds-extended-support',
      MonitoringInterval: 0,
      PerformanceInsightsEnabled: false,
      DatabaseInsightsMode: 'standard',
      VpcSecurityGroups: [{ VpcSecurityGroupId: this.account.securityGroups[group.vpcId]?.[0] ?? DEFAULT_VPC_SECURITY_GROUP, Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: `default.postgres${major}`, ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: `default:postgres-${major}`, Status: 'in-sync' }],
      DBSubnetGroup: describeSubnetGroup(group),
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
      MultiTenant: false,
      IsStorageConfigUpgradeAvailable: false,
      UpgradeRolloutOrder: 'second',
    };
  }

  /** The checks RDS makes on settings given to a restore or a modify; throws as RDS fails. */
  private validateSettings(current: DBInstance, p: Record<string, unknown>, call: 'restore' | 'modify'): void {
    const storageType = String(p.StorageType ?? current.StorageType);
    const size = Number(p.AllocatedStorage ?? current.AllocatedStorage);
    const multiAz = (p.MultiAZ ?? current.MultiAZ) === true;
    if (p.Iops !== undefined && storageType === 'gp2') {
      throw unmodeled('InvalidParameterCombination', `Invalid iops value for engine name postgres and storage type gp2: ${String(p.Iops)}`);
    }
    if (storageType === 'gp3' && size < GP3_THRESHOLD_GIB && (p.Iops !== undefined || p.StorageThroughput !== undefined)) {
      throw unmodeled('InvalidParameterCombination', `You can't specify IOPS or storage throughput for engine postgres and a storage size less than ${GP3_THRESHOLD_GIB}.`);
    }
    if (p.StorageThroughput !== undefined && storageType !== 'gp3') throw unmodeled('InvalidParameterCombination', 'StorageThroughput applies only to the gp3 storage type.');
    if (['io1', 'io2'].includes(storageType) && p.Iops === undefined && call === 'restore' && current.Iops === undefined) {
      throw unmodeled('InvalidParameterCombination', `The storage type ${storageType} requires iops to be specified.`);
    }
    if (call === 'restore' && multiAz && p.AvailabilityZone !== undefined) {
      throw unmodeled('InvalidParameterCombination', 'Requesting a specific availability zone is not valid for Multi-AZ instances.');
    }
    if (p.MaxAllocatedStorage !== undefined && Number(p.MaxAllocatedStorage) < size * 1.1) {
      throw unmodeled('InvalidParameterCombination', 'The maximum allocated storage must be increased by at least 10 percent.');
    }
    checkMonitoring(p, current, this.account.roles);
    checkInsightsRetention(p.PerformanceInsightsRetentionPeriod);
    if (p.PerformanceInsightsKMSKeyId !== undefined && !this.account.kmsKeys.some((k) => k.arn === p.PerformanceInsightsKMSKeyId)) {
      throw new AwsError('Rds.KmsKeyNotAccessibleException', `The specified KMS key ${String(p.PerformanceInsightsKMSKeyId)} does not exist or is not accessible.`);
    }
    checkCertificate(p.CACertificateIdentifier);
    for (const log of (p.EnableCloudwatchLogsExports as string[] | undefined) ?? []) {
      if (!POSTGRES_LOG_TYPES.includes(log)) throw unmodeled('InvalidParameterCombination', `You cannot use the log types '${log}' with engine version postgres.`);
    }
    if (p.BackupRetentionPeriod !== undefined && !(Number(p.BackupRetentionPeriod) >= 0 && Number(p.BackupRetentionPeriod) <= 35)) {
      throw unmodeled('InvalidParameterValue', `Invalid backup retention period: ${String(p.BackupRetentionPeriod)}`);
    }
    if (p.Port !== undefined && !(Number(p.Port) >= 1150 && Number(p.Port) <= 65535)) throw unmodeled('InvalidParameterValue', `Invalid port ${String(p.Port)}`);
    const groupName = p.DBSubnetGroupName as string | undefined;
    const group = groupName === undefined ? undefined : this.subnetGroup(groupName);
    if (groupName !== undefined && !group) throw new AwsError('Rds.DbSubnetGroupNotFoundException', `DBSubnetGroup ${groupName} not found.`);
    const vpc = group?.vpcId ?? current.DBSubnetGroup?.VpcId ?? '';
    for (const sg of (p.VpcSecurityGroupIds as string[] | undefined) ?? []) {
      if (!(this.account.securityGroups[vpc] ?? []).includes(sg)) throw unmodeled('InvalidParameterValue', `Invalid security group, groupId= ${sg}, vpc= ${vpc}`);
    }
    if (p.AvailabilityZone !== undefined && group && !group.subnets.some((s) => s.zone === p.AvailabilityZone)) {
      throw unmodeled('InvalidParameterValue', `The DB subnet group ${group.name} has no subnet in ${String(p.AvailabilityZone)}.`);
    }
    const major = String(current.EngineVersion).split('.')[0];
    const pg = p.DBParameterGroupName as string | undefined;
    if (pg !== undefined && pg !== `default.postgres${major}`) {
      const found = this.account.parameterGroups.find((g) => g.name === pg);
      if (!found) throw new AwsError('Rds.DbParameterGroupNotFoundException', `DBParameterGroup not found: ${pg}`);
      if (found.family !== `postgres${major}`) throw unmodeled('InvalidParameterCombination', `The parameter group ${pg} with DBParameterGroupFamily ${found.family} cannot be used for this instance.`);
    }
    const og = p.OptionGroupName as string | undefined;
    if (og !== undefined && og !== `default:postgres-${major}` && !this.account.optionGroups.includes(og)) {
      throw new AwsError('Rds.OptionGroupNotFoundException', `Specified OptionGroupName: ${og} not found.`);
    }
  }

  /** Settings given to a restore or an immediate modify, in the describe's shape. */
  private applySettings(inst: Instance, p: Record<string, unknown>, opts: { immediate?: boolean } = {}): void {
    const d = inst.d;
    let status = 'modifying';
    for (const [key, value] of Object.entries(p)) {
      switch (key) {
        case 'VpcSecurityGroupIds':
          d.VpcSecurityGroups = (value as string[]).map((g) => ({ VpcSecurityGroupId: g, Status: 'active' }));
          break;
        case 'DBParameterGroupName':
          d.DBParameterGroups = [{ DBParameterGroupName: String(value), ParameterApplyStatus: opts.immediate ? 'in-sync' : 'pending-reboot' }];
          break;
        case 'OptionGroupName':
          d.OptionGroupMemberships = [{ OptionGroupName: String(value), Status: 'in-sync' }];
          break;
        case 'DBSubnetGroupName':
          d.DBSubnetGroup = describeSubnetGroup(this.subnetGroup(String(value)) as SubnetGroup);
          break;
        case 'Port':
        case 'DBPortNumber':
          d.Endpoint = { ...(d.Endpoint ?? {}), Port: Number(value) };
          break;
        case 'EnableIAMDatabaseAuthentication':
          d.IAMDatabaseAuthenticationEnabled = value as boolean;
          status = 'configuring-iam-database-auth';
          break;
        case 'EnableCloudwatchLogsExports':
          d.EnabledCloudwatchLogsExports = value as string[];
          break;
        case 'CloudwatchLogsExportConfiguration': {
          const c = value as { EnableLogTypes?: string[]; DisableLogTypes?: string[] };
          d.EnabledCloudwatchLogsExports = [...new Set([...(d.EnabledCloudwatchLogsExports ?? []), ...(c.EnableLogTypes ?? [])])].filter((l) => !c.DisableLogTypes?.includes(l));
          status = 'configuring-log-exports';
          break;
        }
        case 'EnablePerformanceInsights':
          d.PerformanceInsightsEnabled = value as boolean;
          if (value === true) {
            d.PerformanceInsightsRetentionPeriod ??= 7;
            d.PerformanceInsightsKMSKeyId ??= this.account.kmsKeys.find((k) => k.manager === 'AWS')?.arn;
          }
          break;
        case 'MonitoringInterval':
          d.MonitoringInterval = Number(value);
          if (Number(value) > 0) d.EnhancedMonitoringResourceArn = `arn:aws:logs:${this.region}:${this.accountId}:log-group:RDSOSMetrics:log-stream:${d.DbiResourceId}`;
          status = 'configuring-enhanced-monitoring';
          break;
        case 'CACertificateIdentifier':
          d.CACertificateIdentifier = String(value);
          d.CertificateDetails = { CAIdentifier: String(value), ValidTill: new Date(this.clock.now + 365 * 86_400_000) };
          break;
        case 'BackupRetentionPeriod': {
          const before = d.BackupRetentionPeriod ?? 0;
          d.BackupRetentionPeriod = Number(value);
          if (!opts.immediate && before === 0 && Number(value) > 0) status = 'backing-up';
          break;
        }
        default:
          (d as Record<string, unknown>)[key] = value;
      }
    }
    if (opts.immediate) return;
    const previous = d.DBInstanceStatus;
    if (status === 'backing-up') {
      this.backingUp(inst);
      return;
    }
    d.DBInstanceStatus = status;
    this.record('modify', this.clock.now, this.clock.now + this.durations.modify * 1000);
    this.after(inst, this.durations.modify, () => {
      if (d.DBInstanceStatus === status) d.DBInstanceStatus = previous === 'available' ? 'available' : previous;
    });
  }

  private backingUp(inst: Instance): void {
    inst.d.DBInstanceStatus = 'backing-up';
    this.record('baseline backup', this.clock.now, this.clock.now + this.durations.baselineBackup * 1000);
    this.after(inst, this.durations.baselineBackup, () => {
      if (inst.d.DBInstanceStatus === 'backing-up') inst.d.DBInstanceStatus = 'available';
      inst.d.LatestRestorableTime = new Date(this.clock.now);
    });
  }

  private describeSnapshot(s: Snapshot): Record<string, unknown> {
    const src = s.source;
    const total = this.durations.snapshot * 1000;
    const progress = s.status === 'creating' ? Math.min(99, Math.floor(((this.clock.now - s.createdAt) / total) * 100)) : 100;
    return {
      DBSnapshotIdentifier: s.id,
      DBSnapshotArn: this.arn('snapshot', s.id),
      DBInstanceIdentifier: src.DBInstanceIdentifier,
      // Absent until the snapshot has started copying data (API reference, DBSnapshot: "PercentProgress" is optional).
      ...(progress > 0 ? { PercentProgress: progress, SnapshotCreateTime: new Date(s.createdAt) } : {}),
      Engine: src.Engine,
      EngineVersion: src.EngineVersion,
      AllocatedStorage: src.AllocatedStorage,
      Status: s.status,
      Port: src.Endpoint?.Port,
      AvailabilityZone: src.AvailabilityZone,
      VpcId: src.DBSubnetGroup?.VpcId,
      InstanceCreateTime: src.InstanceCreateTime,
      MasterUsername: src.MasterUsername,
      LicenseModel: src.LicenseModel,
      SnapshotType: 'manual',
      StorageType: src.StorageType,
      ...(src.Iops !== undefined ? { Iops: src.Iops } : {}),
      ...(src.StorageThroughput !== undefined ? { StorageThroughput: src.StorageThroughput } : {}),
      Encrypted: src.StorageEncrypted,
      ...(src.KmsKeyId ? { KmsKeyId: src.KmsKeyId } : {}),
      IAMDatabaseAuthenticationEnabled: src.IAMDatabaseAuthenticationEnabled,
      DbiResourceId: src.DbiResourceId,
      TagList: s.tags,
    };
  }

  subnetGroup(name: string): SubnetGroup | undefined {
    return this.account.subnetGroups.find((g) => g.name === name);
  }

  /** An instance's endpoint: `<id>.<hash>.<region>.rds.amazonaws.com` (RDS user guide, "Connecting to a DB instance"). */
  endpoint(id: string, port: number) {
    return { Address: `${id}.${ENDPOINT_HASH}.${this.region}.rds.amazonaws.com`, Port: port, HostedZoneId: HOSTED_ZONE_ID };
  }

  /** Connections to the instance break: through its own endpoint, and the cluster's when it is a cluster's writer. */
  private lost(inst: Instance): void {
    if (inst.d.Endpoint?.Address) this.endpointLost(inst.d.Endpoint.Address);
    for (const host of this.aurora.endpointsServedBy(inst)) this.endpointLost(host);
  }

  after(owner: { timers: Timer[] }, seconds: number, apply: () => void): void {
    owner.timers.push({ at: this.clock.now + seconds * 1000, apply });
  }

  nextSeq(): number {
    return ++this.seq;
  }

  requireInstance(id: unknown): Instance {
    const inst = typeof id === 'string' ? this.find(idOf(id)) : undefined;
    if (!inst) throw new AwsError('Rds.DbInstanceNotFoundException', `DBInstance ${String(id)} not found.`);
    return inst;
  }

  arn(kind: string, id: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:${kind}:${id}`;
  }
}
