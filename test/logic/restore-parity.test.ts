import type { DBInstance } from '@aws-sdk/client-rds';
import { CLUSTER_MEMBER_PARITY, DB_CLUSTER_PARITY } from '../../handlers/logic/cluster-parity';
import { sfnMemberName } from '../../handlers/lib/sdk-casing';
import { memberNames, memberShape, type Shape, shape } from '../../rehearsal/sdk-model';
import {
  COMPARED_CLASSES,
  classMembers,
  DB_INSTANCE_PARITY,
  membersOf,
  notRestoredSettings,
  type ParityClass,
  type ParityTable,
  parityDifferences,
  restoreParameters,
  settingsParameters,
} from '../../handlers/logic/restore-parity';

/** The parity table rule by rule, on descriptions as Step Functions returns them (Java SDK v2 names). */
const TARGET = { dbInstanceIdentifier: 'metaflow-db-restored-1', snapshotId: 'snap-1', runbookTags: [] };
const restore = (db: Record<string, unknown>) => restoreParameters(db, TARGET);
const settings = (db: Record<string, unknown>) => settingsParameters(db, 'metaflow-db-restored-1');
const rule = (member: keyof DBInstance) => DB_INSTANCE_PARITY[member];

describe('the parity table, rule by rule', () => {
  it('puts every member in one of its four classes', () => {
    const classes = new Set(['snapshot', 'restore', 'modify', 'not-restored']);

    expect(Object.entries(DB_INSTANCE_PARITY).filter(([, r]) => !classes.has(r.class)).map(([m]) => m)).toEqual([]);
  });

  it('takes from the snapshot what RDS restores from it, unasked', () => {
    expect(membersOf('snapshot')).toEqual(['Engine', 'EngineVersion', 'LicenseModel', 'MasterUsername', 'DBName', 'AllocatedStorage', 'StorageEncrypted', 'StorageEncryptionType', 'KmsKeyId', 'DedicatedLogVolume']);
  });

  it('gives every setting it leaves alone a reason in words, none cut short', () => {
    const cut = membersOf('not-restored').filter((m) => !/\w\)?$/.test(String(rule(m).reason)));

    expect(cut).toEqual([]);
  });

  it.each([
    ['io1', 400, 3000, true],
    ['io2', 100, 1000, true],
    ['gp3', 400, 12000, true],
    ['gp3', 100, 3000, false],
    ['gp2', 1000, 3000, false],
  ])('passes the IOPS of %s storage of %d GiB (%d reported) only when RDS takes them: %s', (StorageType, AllocatedStorage, Iops, passed) => {
    const db = { StorageType, AllocatedStorage, Iops, StorageThroughput: 500 };

    expect(restore(db).Iops).toBe(passed ? Iops : undefined);
    expect(rule('Iops').comparedWhen?.(db)).toBe(passed);
  });

  it.each([
    ['gp3', 400, true],
    ['gp3', 399, false],
    ['io1', 1000, false],
    ['gp2', 1000, false],
  ])('passes the throughput of %s storage of %d GiB only when provisioned: %s', (StorageType, AllocatedStorage, passed) => {
    const db = { StorageType, AllocatedStorage, StorageThroughput: 500 };

    expect(restore(db).StorageThroughput).toBe(passed ? 500 : undefined);
    expect(rule('StorageThroughput').comparedWhen?.(db)).toBe(passed);
  });

  it('puts a Single-AZ instance back in its zone, and compares the zone of a Single-AZ instance only', () => {
    expect(restore({ MultiAZ: false, AvailabilityZone: 'eu-west-1b' }).AvailabilityZone).toBe('eu-west-1b');
    expect(restore({ MultiAZ: true, AvailabilityZone: 'eu-west-1b' }).AvailabilityZone).toBeUndefined();
    expect([rule('AvailabilityZone').comparedWhen?.({ MultiAZ: false }), rule('AvailabilityZone').comparedWhen?.({ MultiAZ: true })]).toEqual([true, false]);
  });

  it('keeps a capacity reservation the original draws on', () => {
    expect(restore({ DbCapacityReservationIdentifier: 'cr-1' }).DbCapacityReservationIdentifier).toBe('cr-1');
  });

  it('passes the user\'s tags, sorted, with empty values kept, and neither AWS\'s nor an earlier run\'s own', () => {
    const TagList = [
      { Key: 'team', Value: 'ml' },
      { Key: 'aws:cloudformation:stack-name', Value: 'metaflow' },
      { Key: 'metaflow-migration:change-id', Value: 'CHG-1' },
      { Key: 'cost-center' },
    ];

    expect(restore({ TagList }).Tags).toEqual([
      { Key: 'cost-center', Value: '' },
      { Key: 'team', Value: 'ml' },
    ]);
  });

  it('compares tags as the user sees them: order, AWS\'s and the runbook\'s own aside', () => {
    const normalize = rule('TagList').normalize as (v: unknown) => unknown;

    expect(normalize([{ Key: 'b', Value: '2' }, { Key: 'rds:x', Value: '' }, { Key: 'a', Value: '1' }])).toEqual(
      normalize([{ Key: 'a', Value: '1' }, { Key: 'metaflow-migration:change-id', Value: 'CHG-1' }, { Key: 'b', Value: '2' }]),
    );
  });

  it('compares log exports whatever their order', () => {
    const normalize = rule('EnabledCloudwatchLogsExports').normalize as (v: unknown) => unknown;

    expect(normalize(['upgrade', 'postgresql'])).toEqual(['postgresql', 'upgrade']);
    expect(normalize(undefined)).toEqual([]);
  });

  it('turns enhanced monitoring and Performance Insights back on only when the original has them on', () => {
    const off = { MonitoringInterval: 0, MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring', PerformanceInsightsEnabled: false, PerformanceInsightsKMSKeyId: 'k', PerformanceInsightsRetentionPeriod: 7 };
    const on = { ...off, MonitoringInterval: 60, PerformanceInsightsEnabled: true };

    expect(settings(off)).toEqual({ DbInstanceIdentifier: 'metaflow-db-restored-1', ApplyImmediately: true });
    expect(settings(on)).toMatchObject({
      MonitoringInterval: 60,
      MonitoringRoleArn: off.MonitoringRoleArn,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: 'k',
      PerformanceInsightsRetentionPeriod: 7,
    });
  });

  it('sends no member the description gives as null or leaves out, not even as undefined', () => {
    const params = restore({ Endpoint: { Port: null }, DbSubnetGroup: { DbSubnetGroupName: null } });

    expect(Object.keys(params).sort()).toEqual(['BackupRetentionPeriod', 'DbInstanceIdentifier', 'DbSnapshotIdentifier', 'Tags', 'VpcSecurityGroupIds']);
  });

  it('names a deliberately unrestored setting only when the original has it', () => {
    expect(notRestoredSettings({ MasterUserSecret: null, ReadReplicaDBInstanceIdentifiers: [] })).toEqual([]);
    expect(notRestoredSettings({ ReadReplicaDBInstanceIdentifiers: ['replica-1'] }).map((n) => n.attribute)).toEqual(['ReadReplicaDBInstanceIdentifiers']);
  });
});

/** What the rehearsal judges a restore by: every compared member, each difference named with both values. */
describe('the differences between an original and its restore', () => {
  const plainMember = <M extends string>(table: ParityTable<M>, parityClass: ParityClass) =>
    classMembers(table, parityClass).find((m) => !table[m].comparedWhen && !table[m].normalize) as M;
  const tables = [
    ['an instance', DB_INSTANCE_PARITY],
    ['a cluster member', CLUSTER_MEMBER_PARITY],
  ] as const;
  const cases = tables.flatMap(([name, table]) =>
    COMPARED_CLASSES.filter((c) => plainMember(table as ParityTable<string>, c)).map((c) => [name, c, table as ParityTable<string>] as const),
  );

  it('compares members of every class the restore puts back, on both tables', () => {
    expect(new Set(cases.map(([, c]) => c))).toEqual(new Set(['snapshot', 'restore', 'modify', 'cluster']));
  });

  it.each(cases)('on %s, names a %s member that differs, with both values', (_, parityClass, table) => {
    const member = plainMember(table, parityClass);
    const key = sfnMemberName(member);

    expect(parityDifferences(table, { [key]: 'before' }, { [key]: 'after' }, 'the restored instance')).toEqual([`${member}: the original had "before", the restored instance has "after"`]);
    expect(parityDifferences(table, { [key]: 'same' }, { [key]: 'same' }, 'the restored instance')).toEqual([]);
  });

  it('names a member the restore lost as null, and finds nothing when neither has it', () => {
    const key = sfnMemberName('DBInstanceClass');

    expect(parityDifferences(DB_INSTANCE_PARITY, { [key]: 'db.r6g.large' }, {}, 'it')).toEqual(['DBInstanceClass: the original had "db.r6g.large", it has null']);
    expect(parityDifferences(DB_INSTANCE_PARITY, {}, {}, 'it')).toEqual([]);
  });

  it('compares a member only when its rule says it applies to the original', () => {
    const single = { [sfnMemberName('MultiAZ')]: false, [sfnMemberName('AvailabilityZone')]: 'eu-west-1a' };
    const multi = { ...single, [sfnMemberName('MultiAZ')]: true };
    const moved = { [sfnMemberName('AvailabilityZone')]: 'eu-west-1b' };

    expect(parityDifferences(DB_INSTANCE_PARITY, single, { ...single, ...moved }, 'it')).toEqual(['AvailabilityZone: the original had "eu-west-1a", it has "eu-west-1b"']);
    expect(parityDifferences(DB_INSTANCE_PARITY, multi, { ...multi, ...moved }, 'it')).toEqual([]);
  });

  it('compares a member through its rule\'s normal form (log exports in any order)', () => {
    const key = sfnMemberName('EnabledCloudwatchLogsExports');

    expect(parityDifferences(DB_INSTANCE_PARITY, { [key]: ['postgresql', 'upgrade'] }, { [key]: ['upgrade', 'postgresql'] }, 'it')).toEqual([]);
    expect(parityDifferences(DB_INSTANCE_PARITY, { [key]: ['postgresql'] }, { [key]: [] }, 'it')).toEqual(['EnabledCloudwatchLogsExports: the original had ["postgresql"], it has []']);
  });
});

describe('lists a restore may give back in another order', () => {
  // Which members are lists comes from the AWS SDK's model, not from the rules: a list compared
  // without a normal form that ignores order would report a restore that is at parity as a
  // difference the day RDS answers in another order (its API documents no order).
  const tables = [
    ['an instance', DB_INSTANCE_PARITY, 'DBInstance'],
    ['a cluster', DB_CLUSTER_PARITY, 'DBCluster'],
    ['a cluster member', CLUSTER_MEMBER_PARITY, 'DBInstance'],
  ] as const;
  // An instance is in one DB parameter group and one option group: RDS lists them for their
  // status, and the restore passes the first by name.
  const singleValued = new Set(['DBParameterGroups', 'OptionGroupMemberships']);
  /** Element `i` of a list of `element`, every scalar member set and different from element 1 - i's. */
  const element = (el: Shape, i: number): unknown => {
    if (el.kind !== 'structure') return `value-${i}`;
    return Object.fromEntries(
      memberNames(el).flatMap((m) => {
        const ms = memberShape(el, m);
        if (ms?.kind !== 'scalar') return [];
        const value = ms.type === 'number' ? i + 1 : ms.type === 'boolean' ? i === 0 : `${m}-${i}`;
        return [[sfnMemberName(m), value]];
      }),
    );
  };
  const cases = tables.flatMap(([name, table, model]) =>
    COMPARED_CLASSES.flatMap((c) => classMembers(table as ParityTable<string>, c))
      .filter((m) => !singleValued.has(m))
      .flatMap((m) => {
        const ms = memberShape(shape('rds', model), m);
        return ms?.kind === 'list' ? [[name, m, table as ParityTable<string>, ms.member()] as const] : [];
      }),
  );

  it('finds lists on every table', () => {
    expect(new Set(cases.map(([name]) => name))).toEqual(new Set(tables.map(([name]) => name)));
  });

  it.each(cases)('on %s, %s in another order is no difference, and a changed element is one', (_, member, table, el) => {
    const key = sfnMemberName(member);
    const [a, b] = [element(el, 0), element(el, 1)];

    expect(parityDifferences(table, { [key]: [a, b] }, { [key]: [b, a] }, 'it')).toEqual([]);
    expect(parityDifferences(table, { [key]: [a, b] }, { [key]: [b, b] }, 'it')).toHaveLength(1);
  });

  // Step Functions' SDK integration gives an empty list as [] and some answers leave it out.
  it.each(cases)('on %s, %s left out of one description and empty in the other is no difference', (_, member, table) => {
    const key = sfnMemberName(member);

    expect(parityDifferences(table, {}, { [key]: [] }, 'it')).toEqual([]);
  });

  it.each(tables)('on %s, a tag AWS reserves or the runbook adds is no difference', (_, table) => {
    const key = sfnMemberName('TagList');
    const theirs = [{ Key: 'team', Value: 'ml' }];
    const restored = [{ Key: 'aws:cloudformation:stack-name', Value: 'metaflow' }, { Key: 'metaflow-migration:change-id', Value: 'chg-1' }, { Key: 'team', Value: 'ml' }];

    expect(parityDifferences(table as ParityTable<string>, { [key]: theirs }, { [key]: restored }, 'it')).toEqual([]);
  });
});
