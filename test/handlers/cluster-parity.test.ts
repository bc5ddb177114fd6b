import { renameKeys, sfnMemberName } from '../../handlers/lib/sdk-casing';
import { CLUSTER_MEMBER_PARITY, clusterNotRestoredSettings, clusterRestoreParameters, clusterSettingsParameters, DB_CLUSTER_PARITY, memberCreateParameters } from '../../handlers/logic/cluster-parity';
import { classMembers, type ParityClass, type ParityTable } from '../../handlers/logic/restore-parity';
import { FIXTURES } from '../../rehearsal/fixtures';
import { memberNames, operation, shape } from '../../rehearsal/sdk-model';

/**
 * The Aurora parity tables classify every attribute of a DB cluster and of each of its instances.
 * The members come from the AWS SDK's own model (installed `@aws-sdk/client-rds`), so an attribute
 * AWS adds later fails here until someone decides what a restore does with it.
 */
const described = (v: unknown) => renameKeys(JSON.parse(JSON.stringify(v)), sfnMemberName) as Record<string, unknown>;
const aurora = FIXTURES['terraform-aurora'];
const cluster = described(aurora.dbCluster);
const instances = aurora.clusterInstances.map(described);
/** Every value a rule of `table` in `parityClass` sends for `db`, by parameter. */
const sent = <M extends string>(table: ParityTable<M>, parityClass: ParityClass, db: Record<string, unknown>) =>
  classMembers(table, parityClass).flatMap((m) => Object.keys(table[m].params?.(db) ?? {}));

describe('Aurora restore parity: what a cluster restore puts back, attribute by attribute', () => {
  it.each<[string, ParityTable<string>, string]>([
    ['the DB cluster', DB_CLUSTER_PARITY, 'DBCluster'],
    ["the cluster's instances", CLUSTER_MEMBER_PARITY, 'DBInstance'],
  ])('classifies every member of %s in the AWS SDK model (%s), and nothing else, with a reason for each one not put back', (_what, table, model) => {
    expect(Object.keys(table).sort()).toEqual(memberNames(shape('rds', model)).sort());
    expect(classMembers(table, 'not-restored').filter((m) => !table[m]?.reason?.trim())).toEqual([]);
  });

  it.each<[string, ParityTable<string>, ParityClass, string, Record<string, unknown>[]]>([
    ['the cluster', DB_CLUSTER_PARITY, 'restore', 'RestoreDBClusterFromSnapshot', [cluster]],
    ['the cluster', DB_CLUSTER_PARITY, 'modify', 'ModifyDBCluster', [cluster]],
    ["the cluster's instances", CLUSTER_MEMBER_PARITY, 'restore', 'CreateDBInstance', instances],
  ])('names for %s only %s parameters that %s has', (_what, table, parityClass, op, dbs) => {
    const accepted = new Set(memberNames(operation('rds', op).input));
    const params = new Set(dbs.flatMap((db) => sent(table, parityClass, db)));

    expect([...params].filter((p) => !accepted.has(p))).toEqual([]);
    expect(params.size).toBeGreaterThan(2);
  });

  it("passes an instance of the cluster nothing its cluster manages: CreateDBInstance's reference says those do not apply to Aurora instances", () => {
    const managed = classMembers(CLUSTER_MEMBER_PARITY, 'cluster');
    const params = new Set(instances.flatMap((db) => sent(CLUSTER_MEMBER_PARITY, 'restore', db)));

    expect(managed).toEqual(expect.arrayContaining(['BackupRetentionPeriod', 'VpcSecurityGroups', 'StorageEncrypted', 'KmsKeyId', 'EngineVersion']));
    expect([...params].filter((p) => ['BackupRetentionPeriod', 'VpcSecurityGroupIds', 'KmsKeyId', 'EngineVersion', 'StorageType', 'DeletionProtection'].includes(p))).toEqual([]);
  });

  it('passes the engine and its version, which a cluster restore would otherwise take from the Region', () => {
    expect(sent(DB_CLUSTER_PARITY, 'restore', cluster)).toEqual(expect.arrayContaining(['Engine', 'EngineVersion']));
    expect(DB_CLUSTER_PARITY.EngineVersion.params?.(cluster)).toEqual({ EngineVersion: '15.4' });
  });

  it('never sends a tag key RDS reserves (aws:, rds:)', () => {
    const withCloudFormation = { ...cluster, TagList: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }, { Key: 'team', Value: 'ml' }] };
    expect(DB_CLUSTER_PARITY.TagList.params?.(withCloudFormation)).toEqual({ Tags: [{ Key: 'team', Value: 'ml' }] });
  });
});

describe('Aurora restore parity: every setting a restore can take, with a value unlike the default', () => {
  const PI_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/pi';
  // The Terraform module's cluster with every optional setting turned on, so that a rule that reads
  // the wrong member, or none, leaves a parameter out or sends the wrong value.
  const full = {
    ...cluster,
    AssociatedRoles: [
      { RoleArn: 'arn:aws:iam::123456789012:role/s3-import', FeatureName: 's3Import', Status: 'ACTIVE' },
      { RoleArn: 'arn:aws:iam::123456789012:role/comprehend', Status: 'ACTIVE' },
    ],
    PerformanceInsightsEnabled: true,
    PerformanceInsightsKMSKeyId: PI_KEY,
    PerformanceInsightsRetentionPeriod: 7,
    HttpEndpointEnabled: true,
    ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
    EnabledCloudwatchLogsExports: ['postgresql'],
    IamDatabaseAuthenticationEnabled: true,
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
  };
  const member = {
    ...(instances[0] as Record<string, unknown>),
    MonitoringInterval: 60,
    MonitoringRoleArn: 'arn:aws:iam::123456789012:role/monitoring',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsKMSKeyId: PI_KEY,
    PerformanceInsightsRetentionPeriod: 7,
    DbCapacityReservationIdentifier: 'cr-1',
    TagList: [{ Key: 'team', Value: 'ml' }],
  };
  const TAG = { Key: 'metaflow-migration:change-id', Value: 'CHG-1' };

  it('restores the cluster with each of them, its roles sorted and without their status, its tags and the runbook’s', () => {
    expect(clusterRestoreParameters(full, { restoreClusterId: 'r', snapshotId: 's', runbookTags: [TAG] })).toEqual({
      Engine: 'aurora-postgresql',
      EngineVersion: '15.4',
      EngineMode: 'provisioned',
      EngineLifecycleSupport: 'open-source-rds-extended-support',
      Port: 5432,
      DbSubnetGroupName: 'metaflow-main-abcd1234',
      VpcSecurityGroupIds: ['sg-07f0e0d0c0b0a0944'],
      DbClusterParameterGroupName: 'default.aurora-postgresql15',
      AvailabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      NetworkType: 'IPV4',
      StorageType: 'aurora',
      BackupRetentionPeriod: 1,
      PreferredBackupWindow: '03:12-03:42',
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      AssociatedRoles: [{ RoleArn: 'arn:aws:iam::123456789012:role/comprehend' }, { RoleArn: 'arn:aws:iam::123456789012:role/s3-import', FeatureName: 's3Import' }],
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: PI_KEY,
      PerformanceInsightsRetentionPeriod: 7,
      Tags: [{ Key: 'Metaflow', Value: 'true' }, { Key: 'Name', Value: 'metaflow-metaflow-abcd1234' }, TAG],
      DbClusterIdentifier: 'r',
      SnapshotIdentifier: 's',
    });
  });

  it('puts back at once, after the restore, what a restore cannot take', () => {
    expect(clusterSettingsParameters(full, 'r')).toEqual({
      PreferredMaintenanceWindow: 'sat:04:29-sat:04:59',
      AutoMinorVersionUpgrade: true,
      DatabaseInsightsMode: 'standard',
      EnableHttpEndpoint: true,
      DbClusterIdentifier: 'r',
      ApplyImmediately: true,
    });
  });

  it('leaves out what is off: Performance Insights and its key, the Data API, roles none were', () => {
    const off = { ...full, PerformanceInsightsEnabled: false, HttpEndpointEnabled: false, AssociatedRoles: [] };

    expect(clusterRestoreParameters(off, { restoreClusterId: 'r', snapshotId: 's', runbookTags: [] })).not.toHaveProperty('EnablePerformanceInsights');
    expect(Object.keys(clusterRestoreParameters(off, { restoreClusterId: 'r', snapshotId: 's', runbookTags: [] })).filter((k) => /Performance|AssociatedRoles/.test(k))).toEqual([]);
    expect(clusterSettingsParameters(off, 'r')).not.toHaveProperty('EnableHttpEndpoint');
  });

  it('creates each instance with its own settings, monitoring and Performance Insights included when on, and only then', () => {
    expect(memberCreateParameters(member, { restoredId: 'ri', restoreClusterId: 'r', runbookTags: [TAG] })).toEqual({
      Engine: 'aurora-postgresql',
      DbInstanceClass: 'db.t4g.medium',
      DbParameterGroupName: 'default.aurora-postgresql15',
      AvailabilityZone: 'eu-west-1a',
      PubliclyAccessible: false,
      PromotionTier: 1,
      AutoMinorVersionUpgrade: true,
      PreferredMaintenanceWindow: 'mon:02:40-mon:03:10',
      CaCertificateIdentifier: 'rds-ca-rsa2048-g1',
      CopyTagsToSnapshot: false,
      MonitoringInterval: 60,
      MonitoringRoleArn: 'arn:aws:iam::123456789012:role/monitoring',
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: PI_KEY,
      PerformanceInsightsRetentionPeriod: 7,
      DbCapacityReservationIdentifier: 'cr-1',
      Tags: [{ Key: 'team', Value: 'ml' }, TAG],
      DbInstanceIdentifier: 'ri',
      DbClusterIdentifier: 'r',
    });
    const { MonitoringInterval: _m, ...unmonitored } = member;
    const quiet = memberCreateParameters({ ...unmonitored, PerformanceInsightsEnabled: false }, { restoredId: 'ri', restoreClusterId: 'r', runbookTags: [] });
    expect(Object.keys(quiet).filter((k) => /Monitoring|Performance/.test(k))).toEqual([]);
    expect(memberCreateParameters({ ...member, MonitoringInterval: 0 }, { restoredId: 'ri', restoreClusterId: 'r', runbookTags: [] })).not.toHaveProperty('MonitoringRoleArn');
  });

  it('creates an instance described without parameter groups without naming one (the preflight then refuses it)', () => {
    const { DbParameterGroups: _p, ...ungrouped } = member as Record<string, unknown>;

    expect(memberCreateParameters(ungrouped, { restoredId: 'ri', restoreClusterId: 'r', runbookTags: [] })).not.toHaveProperty('DbParameterGroupName');
    expect(memberCreateParameters({ ...ungrouped, DbParameterGroups: [] }, { restoredId: 'ri', restoreClusterId: 'r', runbookTags: [] })).not.toHaveProperty('DbParameterGroupName');
  });

  it("compares a cluster's members by identifier, writer and promotion tier only, in identifier order", () => {
    const listed = [
      { DbInstanceIdentifier: 'b', IsClusterWriter: false, PromotionTier: 2, DbClusterParameterGroupStatus: 'in-sync' },
      { DbInstanceIdentifier: 'a', IsClusterWriter: true, PromotionTier: 1 },
    ];
    expect(DB_CLUSTER_PARITY.DBClusterMembers.normalize?.(listed)).toEqual([
      { DbInstanceIdentifier: 'a', IsClusterWriter: true, PromotionTier: 1 },
      { DbInstanceIdentifier: 'b', IsClusterWriter: false, PromotionTier: 2 },
    ]);
    expect(DB_CLUSTER_PARITY.DBClusterMembers.normalize?.(undefined)).toEqual([]);
    expect(DB_CLUSTER_PARITY.AssociatedRoles.normalize?.(undefined)).toEqual([]);
  });

  it.each<[string, ParityTable<string>]>([
    ['the cluster', DB_CLUSTER_PARITY],
    ["the cluster's instances", CLUSTER_MEMBER_PARITY],
  ])('gives every rule of %s a class, and every setting not put back a reason that says something', (_what, table) => {
    const classes = ['snapshot', 'restore', 'modify', 'cluster', 'not-restored'];
    expect(Object.entries(table).filter(([, rule]) => !classes.includes(rule.class)).map(([m]) => m)).toEqual([]);
    // A reason with an empty slot: nothing after a colon, or a double space where a word was.
    const empty = (reason: string | undefined) => !reason?.trim() || /:\s*$|\s\s/.test(reason);
    expect(classMembers(table, 'not-restored').filter((m) => empty(table[m]?.reason))).toEqual([]);
  });
});

describe('Aurora restore parity: what the plan says a restore leaves behind', () => {
  const leftBehind = <M extends string>(table: ParityTable<M>) => (Object.keys(table) as M[]).filter((m) => table[m].warnIfSet);

  it('names every setting of the cluster and of each instance that a restore leaves, the instance by its identifier', () => {
    const cluster = Object.fromEntries(leftBehind(DB_CLUSTER_PARITY).map((m) => [sfnMemberName(m), ['set']]));
    const member = (id: string) => ({ DbInstanceIdentifier: id, ...Object.fromEntries(leftBehind(CLUSTER_MEMBER_PARITY).map((m) => [sfnMemberName(m), ['set']])) });

    const named = clusterNotRestoredSettings(cluster, [member('writer-1'), member('reader-1')]).map((w) => w.attribute);

    expect(named).toEqual([...leftBehind(DB_CLUSTER_PARITY), ...['writer-1', 'reader-1'].flatMap((id) => leftBehind(CLUSTER_MEMBER_PARITY).map((m) => `${id}.${m}`))]);
    expect(named.length).toBeGreaterThan(0);
  });

  it('names nothing for a cluster that uses none of them', () => {
    expect(clusterNotRestoredSettings({}, [{ DbInstanceIdentifier: 'writer-1' }])).toEqual([]);
  });
});
