import type { VirtualClock } from '../clock';
import { AwsError, DURATIONS } from './aws-error';

/** The metadata database's state that matters here: its schema version and the data written to it. */
export interface SimDatabase {
  schemaVersion: string;
  /** Rows written by Metaflow clients; a restore loses what was written after the snapshot. */
  rows: number;
}

type Settings = Record<string, unknown>;

interface Instance {
  id: string;
  status: string;
  settings: Settings;
  db: SimDatabase;
  tags: { Key: string; Value: string }[];
  pending?: { at: number; apply: () => void };
  createdFrom?: string;
}

interface Snapshot {
  id: string;
  instanceId: string;
  status: string;
  readyAt: number;
  db: SimDatabase;
  tags: unknown[];
}

export interface RdsFaults {
  /** The snapshot ends `failed` instead of `available`. */
  snapshotFails?: boolean;
  /** The restored instance ends `incompatible-restore`. */
  restoreFails?: boolean;
}

/** What a restore gets when a setting is not passed: the defaults AWS applies. */
const RESTORE_DEFAULTS: Settings = {
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-default', Status: 'active' }],
  DbParameterGroups: [{ DbParameterGroupName: 'default.postgres15' }],
  OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-15' }],
  MultiAZ: false,
  PubliclyAccessible: false,
  DeletionProtection: false,
  CopyTagsToSnapshot: false,
  BackupRetentionPeriod: 1,
  StorageType: 'gp2',
};

/**
 * RDS as the runbook sees it through Step Functions: instances and snapshots whose state changes
 * over virtual time. There is no delete operation: the runbook must never need one.
 */
export class SimulatedRds {
  readonly instances: Instance[] = [];
  readonly snapshots: Snapshot[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly faults: RdsFaults,
    private readonly record: (kind: string, start: number, end: number) => void,
    /** Called when an endpoint stops resolving (a rename starts): open connections to it break. */
    private readonly endpointLost: (id: string) => void,
    readonly region = 'eu-west-1',
    readonly account = '123456789012',
  ) {}

  addInstance(id: string, settings: Settings, db: SimDatabase, tags: { Key: string; Value: string }[]): void {
    this.instances.push({ id, status: 'available', settings, db, tags });
  }

  /** The database behind an endpoint name, if it is reachable now. */
  connect(id: string): SimDatabase | null {
    const inst = this.instances.find((i) => i.id === id);
    return inst && ['available', 'backing-up', 'modifying'].includes(inst.status) ? inst.db : null;
  }

  find(id: string): Instance | undefined {
    return this.instances.find((i) => i.id === id);
  }

  advanceTo(now: number): void {
    for (const inst of this.instances) {
      if (inst.pending && inst.pending.at <= now) {
        const { apply } = inst.pending;
        inst.pending = undefined;
        apply();
      }
    }
    for (const snap of this.snapshots) {
      if (snap.status === 'creating' && snap.readyAt <= now) snap.status = this.faults.snapshotFails ? 'failed' : 'available';
    }
  }

  /** A reboot or failover: the endpoint refuses connections until the instance is available again. */
  reboot(id: string, seconds: number): void {
    const inst = this.requireInstance(id);
    inst.status = 'rebooting';
    this.record('reboot', this.clock.now, this.clock.now + seconds * 1000);
    inst.pending = { at: this.clock.now + seconds * 1000, apply: () => (inst.status = 'available') };
  }

  describeDBInstances(p: Record<string, unknown>): unknown {
    let found: Instance[];
    if (typeof p.DbInstanceIdentifier === 'string') {
      const inst = this.find(p.DbInstanceIdentifier);
      if (!inst) throw new AwsError('Rds.DbInstanceNotFoundException', `DBInstance ${p.DbInstanceIdentifier} not found.`);
      found = [inst];
    } else {
      const filters = (p.Filters ?? []) as { Name: string; Values: string[] }[];
      const ids = filters.find((f) => f.Name === 'db-instance-id')?.Values;
      found = this.instances.filter((i) => !ids || ids.includes(i.id));
    }
    return { DbInstances: found.map((i) => this.describe(i)) };
  }

  createDBSnapshot(p: Record<string, unknown>): unknown {
    const inst = this.requireInstance(p.DbInstanceIdentifier);
    if (inst.status !== 'available') {
      throw new AwsError('Rds.InvalidDbInstanceStateException', `DB instance ${inst.id} is ${inst.status}, not available.`);
    }
    const id = String(p.DbSnapshotIdentifier);
    if (!/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$/.test(id)) {
      throw new AwsError('Rds.RdsException', `The parameter DBSnapshotIdentifier is not a valid identifier: ${id}`);
    }
    if (this.snapshots.some((s) => s.id === id)) throw new AwsError('Rds.DbSnapshotAlreadyExistsException', `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`);
    this.record('snapshot', this.clock.now, this.clock.now + DURATIONS.snapshot * 1000);
    const snap = { id, instanceId: inst.id, status: 'creating', readyAt: this.clock.now + DURATIONS.snapshot * 1000, db: { ...inst.db }, tags: (p.Tags as unknown[]) ?? [] };
    this.snapshots.push(snap);
    return { DbSnapshot: { DbSnapshotIdentifier: id, DbSnapshotArn: this.arn('snapshot', id), Status: 'creating' } };
  }

  describeDBSnapshots(p: Record<string, unknown>): unknown {
    const snap = this.snapshots.find((s) => s.id === p.DbSnapshotIdentifier);
    if (!snap) throw new AwsError('Rds.DbSnapshotNotFoundException', `DBSnapshot ${String(p.DbSnapshotIdentifier)} not found.`);
    const total = DURATIONS.snapshot * 1000;
    const progress = snap.status === 'creating' ? Math.min(99, Math.round(100 - ((snap.readyAt - this.clock.now) / total) * 100)) : 100;
    return { DbSnapshots: [{ DbSnapshotIdentifier: snap.id, DbInstanceIdentifier: snap.instanceId, Status: snap.status, PercentProgress: progress }] };
  }

  modifyDBInstance(p: Record<string, unknown>): unknown {
    const inst = this.requireInstance(p.DbInstanceIdentifier);
    if (inst.status !== 'available') {
      throw new AwsError('Rds.InvalidDbInstanceStateException', `DB instance ${inst.id} is ${inst.status}, not available.`);
    }
    if (typeof p.NewDBInstanceIdentifier === 'string') {
      const newId = p.NewDBInstanceIdentifier;
      if (this.find(newId)) throw new AwsError('Rds.DbInstanceAlreadyExistsException', `DB instance ${newId} already exists.`);
      // The old DNS name goes at once; the new identifier takes effect about ten minutes later.
      inst.status = 'renaming';
      this.endpointLost(inst.id);
      this.record('rename', this.clock.now, this.clock.now + DURATIONS.rename * 1000);
      inst.pending = {
        at: this.clock.now + DURATIONS.rename * 1000,
        apply: () => {
          inst.id = newId;
          inst.status = 'available';
        },
      };
    } else {
      for (const [key, value] of Object.entries(p)) {
        if (key !== 'DbInstanceIdentifier' && key !== 'ApplyImmediately') inst.settings[key] = value;
      }
      inst.status = 'modifying';
      this.record('modify', this.clock.now, this.clock.now + DURATIONS.modify * 1000);
      inst.pending = { at: this.clock.now + DURATIONS.modify * 1000, apply: () => (inst.status = 'available') };
    }
    return { DbInstance: this.describe(inst) };
  }

  restoreDBInstanceFromDBSnapshot(p: Record<string, unknown>): unknown {
    const id = String(p.DbInstanceIdentifier);
    if (this.find(id)) throw new AwsError('Rds.DbInstanceAlreadyExistsException', `DB instance ${id} already exists.`);
    const snap = this.snapshots.find((s) => s.id === p.DbSnapshotIdentifier);
    if (!snap) throw new AwsError('Rds.DbSnapshotNotFoundException', `DBSnapshot ${String(p.DbSnapshotIdentifier)} not found.`);
    if (snap.status !== 'available') throw new AwsError('Rds.InvalidDbSnapshotStateException', `Snapshot ${snap.id} is ${snap.status}.`);
    const given: Settings = {};
    const rename: Record<string, string> = {
      VpcSecurityGroupIds: 'VpcSecurityGroups',
      DbParameterGroupName: 'DbParameterGroups',
      OptionGroupName: 'OptionGroupMemberships',
      DbSubnetGroupName: 'DbSubnetGroup',
      Port: 'Endpoint',
    };
    for (const [key, value] of Object.entries(p)) {
      if (['DbInstanceIdentifier', 'DbSnapshotIdentifier', 'Tags'].includes(key)) continue;
      const target = rename[key] ?? key;
      given[target] =
        key === 'VpcSecurityGroupIds' ? (value as string[]).map((g) => ({ VpcSecurityGroupId: g, Status: 'active' }))
        : key === 'DbParameterGroupName' ? [{ DbParameterGroupName: value }]
        : key === 'OptionGroupName' ? [{ OptionGroupName: value }]
        : key === 'DbSubnetGroupName' ? { DbSubnetGroupName: value }
        : key === 'Port' ? { Port: value, Address: `${id}.simulated.eu-west-1.rds.amazonaws.com` }
        : value;
    }
    const original = this.instances.find((i) => i.id !== id && i.settings.Engine !== undefined);
    const inst: Instance = {
      id,
      status: 'creating',
      settings: { Engine: original?.settings.Engine ?? 'postgres', ...RESTORE_DEFAULTS, ...given },
      db: { ...snap.db },
      tags: (p.Tags as { Key: string; Value: string }[]) ?? [],
      createdFrom: snap.id,
    };
    this.record('restore', this.clock.now, this.clock.now + DURATIONS.restore * 1000);
    inst.pending = {
      at: this.clock.now + DURATIONS.restore * 1000,
      apply: () => (inst.status = this.faults.restoreFails ? 'incompatible-restore' : 'available'),
    };
    this.instances.push(inst);
    return { DbInstance: this.describe(inst) };
  }

  describe(i: Instance): Record<string, unknown> {
    return {
      DbInstanceIdentifier: i.id,
      DbInstanceArn: this.arn('db', i.id),
      DbInstanceStatus: i.status,
      ...i.settings,
      TagList: i.tags,
    };
  }

  private requireInstance(id: unknown): Instance {
    const inst = typeof id === 'string' ? this.find(id) : undefined;
    if (!inst) throw new AwsError('Rds.DbInstanceNotFoundException', `DBInstance ${String(id)} not found.`);
    return inst;
  }

  private arn(kind: string, id: string): string {
    return `arn:aws:rds:${this.region}:${this.account}:${kind}:${id}`;
  }
}
