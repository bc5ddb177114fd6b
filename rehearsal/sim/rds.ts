import type { DBInstance } from '@aws-sdk/client-rds';
import { renameKeys, sfnMemberName } from '../../handlers/lib/sdk-casing';
import type { VirtualClock } from '../clock';
import { type DeploymentFixture, describeSubnetGroup, type SubnetGroup } from '../fixtures';
import { memberNames, operation, valueProblems } from '../sdk-model';
import { AwsError } from './aws-error';

/**
 * RDS as the runbook sees it through Step Functions, as strict as AWS for every call the runbook
 * makes: instances and snapshots whose state changes over virtual time, the validation RDS applies
 * (identifiers, reserved tag keys, gp3's provisioning threshold, parameter combinations, states),
 * and what a restore really gives an instance: the snapshot's data and engine, the parameters it is
 * passed, and AWS's defaults for everything else, so a forgotten setting shows up as a difference.
 * Where sources disagree on a default, the one that differs from a typical original is taken.
 * Sources: shared/facts/aws-behaviour.md and the RDS API reference pages cited below. There is no
 * delete operation: the runbook must never need one.
 *
 * Parameters arrive and results leave in Step Functions' casing (DbInstanceIdentifier); inside,
 * instances are kept as the API's `DBInstance` shape.
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
  timers: { at: number; apply: () => void }[];
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
  /** The snapshot ends `failed` instead of `available`. */
  snapshotFails?: boolean;
  /** The restored instance ends `incompatible-restore`. */
  restoreFails?: boolean;
  /** RDS refuses to rename the original instance, or the instance restored from the snapshot. */
  renameRefused?: 'original' | 'restored';
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
}

export const RDS_DURATIONS: RdsDurations = { snapshot: 300, restore: 900, rename: 600, modify: 60, reboot: 60, baselineBackup: 7200 };

/** The database answers connections in these states; in every other one it refuses them. */
const REACHABLE = new Set([
  'available',
  'backing-up',
  'modifying',
  'configuring-enhanced-monitoring',
  'configuring-log-exports',
  'configuring-iam-database-auth',
  'storage-optimization',
]);
const CA_CERTIFICATES = ['rds-ca-rsa2048-g1', 'rds-ca-rsa4096-g1', 'rds-ca-ecc384-g1'];
const POSTGRES_LOG_TYPES = ['postgresql', 'upgrade', 'iam-db-auth-error'];
const GP3_THRESHOLD_GIB = 400;
const IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/;
const SNAPSHOT_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$/;

/** An error RDS has no modeled exception for (InvalidParameterValue, ...): Step Functions calls it Rds.RdsException. */
const unmodeled = (code: string, message: string) => new AwsError('Rds.RdsException', `${message} (Error Code: ${code})`);

export class SimulatedRds {
  readonly instances: Instance[] = [];
  readonly snapshots: Snapshot[] = [];
  /**
   * Whether the watched identifier (the one the service connects to) answers, each time that
   * changes: the database outage is where it does not.
   */
  readonly reachability: { at: number; reachable: boolean }[] = [];
  watched: string | undefined;
  private seq = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly faults: RdsFaults,
    private readonly record: (kind: string, start: number, end: number) => void,
    /** Called when an endpoint stops resolving (a rename starts): open connections to it break. */
    private readonly endpointLost: (id: string) => void,
    private readonly account: DeploymentFixture['account'],
    readonly durations: RdsDurations = RDS_DURATIONS,
    readonly region = 'eu-west-1',
    readonly accountId = '123456789012',
  ) {}

  addInstance(d: DBInstance, db: SimDatabase): Instance {
    const inst: Instance = { d: structuredClone(d), db, timers: [] };
    this.instances.push(inst);
    return inst;
  }

  /** The database behind an endpoint name, if it answers connections now. */
  connect(id: string): SimDatabase | null {
    const inst = this.find(id);
    return inst && REACHABLE.has(inst.d.DBInstanceStatus as string) ? inst.db : null;
  }

  find(id: string): Instance | undefined {
    return this.instances.find((i) => i.d.DBInstanceIdentifier === id);
  }

  advanceTo(now: number): void {
    // Every instance's transitions in time order, so the reachability timeline is in order too.
    for (;;) {
      const due = this.instances.flatMap((i) => i.timers.map((t) => ({ i, t }))).filter(({ t }) => t.at <= now).sort((a, b) => a.t.at - b.t.at)[0];
      if (!due) break;
      due.i.timers.splice(due.i.timers.indexOf(due.t), 1);
      due.t.apply();
      this.observe(due.t.at);
    }
    this.observe(now);
    for (const snap of this.snapshots) {
      if (snap.status === 'creating' && snap.readyAt <= now) {
        snap.status = this.faults.snapshotFails ? 'failed' : 'available';
        const source = this.find(snap.source.DBInstanceIdentifier as string);
        if (source?.d.DBInstanceStatus === 'backing-up') source.d.DBInstanceStatus = 'available';
      }
    }
  }

  /** Records whether the watched identifier answers at `at`, when that changed. */
  observe(at: number): void {
    if (this.watched === undefined) return;
    const reachable = this.connect(this.watched) !== null;
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
      found = this.instances.filter((i) => !ids || ids.includes(i.d.DBInstanceIdentifier as string));
    }
    return toSfn({ DBInstances: found.map((i) => i.d) });
  }

  createDBSnapshot(p: Record<string, unknown>): unknown {
    const params = this.parse('CreateDBSnapshot', p);
    const inst = this.requireInstance(params.DBInstanceIdentifier);
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
    this.endpointLost(inst.d.DBInstanceIdentifier as string);
    this.record('reboot', this.clock.now, this.clock.now + this.durations.reboot * 1000);
    this.after(inst, this.durations.reboot, () => {
      inst.d.DBInstanceStatus = 'available';
      for (const g of inst.d.DBParameterGroups ?? []) g.ParameterApplyStatus = 'in-sync';
    });
    return toSfn({ DBInstance: inst.d });
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
    else throw new AwsError('Rds.DbInstanceNotFoundException', `DBInstance ${arn} not found.`);
    return {};
  }

  // -------------------------------------------------------------------------------------------

  /** Parameters in Step Functions casing, checked against the API model and converted to the API's names. */
  private parse(op: string, p: Record<string, unknown>): Record<string, unknown> {
    const { input } = operation('rds', op);
    const problems = valueProblems(input, p, op);
    if (problems.length > 0) throw unmodeled('InvalidParameterValue', problems.join('; '));
    const byName = new Map(memberNames(input).map((m) => [sfnMemberName(m), m]));
    return Object.fromEntries(Object.entries(p).map(([k, v]) => [byName.get(k) as string, v]));
  }

  private rename(inst: Instance, newId: string): unknown {
    const which = inst.createdFrom ? 'restored' : 'original';
    if (this.faults.renameRefused === which) {
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
    this.endpointLost(oldId);
    const answer = toSfn({ DBInstance: inst.d });
    const port = inst.d.Endpoint?.Port ?? 5432;
    delete inst.d.Endpoint;
    this.record('rename', this.clock.now, this.clock.now + this.durations.rename * 1000);
    // For a minute the old identifier still describes as renaming; then only the new one exists.
    this.after(inst, 60, () => {
      inst.d.DBInstanceIdentifier = target;
      inst.d.DBInstanceArn = this.arn('db', target);
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
    const interval = Number(p.MonitoringInterval ?? current.MonitoringInterval ?? 0);
    if (p.MonitoringInterval !== undefined && ![0, 1, 5, 10, 15, 30, 60].includes(interval)) throw unmodeled('InvalidParameterValue', `Invalid MonitoringInterval ${interval}.`);
    if (interval > 0 && (p.MonitoringRoleArn ?? current.MonitoringRoleArn) === undefined) {
      throw unmodeled('InvalidParameterCombination', 'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.');
    }
    if (p.MonitoringRoleArn !== undefined && !this.account.roles.includes(String(p.MonitoringRoleArn))) {
      throw unmodeled('InvalidParameterValue', `IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING (${String(p.MonitoringRoleArn)})`);
    }
    const retention = p.PerformanceInsightsRetentionPeriod;
    if (retention !== undefined && !(retention === 7 || retention === 731 || (Number(retention) % 31 === 0 && Number(retention) <= 713))) {
      throw unmodeled('InvalidParameterValue', `Invalid Performance Insights retention period: ${String(retention)}`);
    }
    if (p.PerformanceInsightsKMSKeyId !== undefined && !this.account.kmsKeys.some((k) => k.arn === p.PerformanceInsightsKMSKeyId)) {
      throw new AwsError('Rds.KmsKeyNotAccessibleException', `The specified KMS key ${String(p.PerformanceInsightsKMSKeyId)} does not exist or is not accessible.`);
    }
    if (p.CACertificateIdentifier !== undefined && !CA_CERTIFICATES.includes(String(p.CACertificateIdentifier))) {
      throw new AwsError('Rds.CertificateNotFoundException', `CACertificateIdentifier ${String(p.CACertificateIdentifier)} not found.`);
    }
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

  private subnetGroup(name: string): SubnetGroup | undefined {
    return this.account.subnetGroups.find((g) => g.name === name);
  }

  private endpoint(id: string, port: number) {
    return { Address: `${id}.c9akciq32.${this.region}.rds.amazonaws.com`, Port: port, HostedZoneId: 'Z29XKXDKYMONMX' };
  }

  private after(inst: Instance, seconds: number, apply: () => void): void {
    inst.timers.push({ at: this.clock.now + seconds * 1000, apply });
  }

  private requireInstance(id: unknown): Instance {
    const inst = typeof id === 'string' ? this.find(idOf(id)) : undefined;
    if (!inst) throw new AwsError('Rds.DbInstanceNotFoundException', `DBInstance ${String(id)} not found.`);
    return inst;
  }

  arn(kind: string, id: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:${kind}:${id}`;
  }
}

/** Where a restore lands without a subnet group: the default VPC, and its default security group. */
const DEFAULT_SUBNET_GROUP: SubnetGroup = {
  name: 'default',
  vpcId: 'vpc-0defau170000000a',
  subnets: [
    { id: 'subnet-0defau170000000a', zone: 'eu-west-1a' },
    { id: 'subnet-0defau170000000b', zone: 'eu-west-1b' },
    { id: 'subnet-0defau170000000c', zone: 'eu-west-1c' },
  ],
};
const DEFAULT_VPC_SECURITY_GROUP = 'sg-0defau1700000000a';

/** An identifier or ARN as RDS matches it: case-insensitively (it stores identifiers in lower case). */
function idOf(value: unknown): string {
  const s = String(value);
  return (s.startsWith('arn:') ? (s.split(':').pop() as string) : s).toLowerCase();
}

/** RDS refuses tag keys and values that start with `aws:` or `rds:` (API reference, `Tag`). */
function checkTags(tags: unknown): void {
  for (const t of (tags as { Key?: string; Value?: string }[] | undefined) ?? []) {
    for (const prefix of ['aws:', 'rds:']) {
      if (String(t.Key).toLowerCase().startsWith(prefix)) throw unmodeled('InvalidParameterValue', `Tag keys cannot start with the reserved prefix "${prefix}".`);
      if (String(t.Value ?? '').toLowerCase().startsWith(prefix)) throw unmodeled('InvalidParameterValue', `Tag values cannot start with the reserved prefix "${prefix}".`);
    }
  }
}

/** A result as Step Functions returns it: Java SDK v2 member names, timestamps as text, absent members left out. */
function toSfn(value: unknown): unknown {
  return renameKeys(JSON.parse(JSON.stringify(value)), sfnMemberName);
}
