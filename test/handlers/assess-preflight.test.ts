import type { DBInstance } from '@aws-sdk/client-rds';
import { handler } from '../../handlers/assess-preflight';
import { renameKeys, sfnMemberName } from '../../handlers/lib/sdk-casing';
import type { OriginalState } from '../../handlers/logic/assess-preflight';
import { FIXTURES, INSTANCE_FIXTURE_NAMES } from '../../rehearsal/fixtures';
import { operation, valueProblems } from '../../rehearsal/sdk-model';
import { expectNamedError, rejectionOf } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

/** An instance as Step Functions returns it (Java SDK v2 casing): the example deployment's. */
const described = (d: DBInstance) => renameKeys(JSON.parse(JSON.stringify(d)), sfnMemberName) as Record<string, unknown>;
const DB = described(FIXTURES.example.dbInstance);
const IDS = { snapshotId: 'metaflow-migration-chg-1234-0a1b2c3d', restoreInstanceId: 'metaflow-db-restored-0a1b2c3d', changeId: 'CHG-1234', executionId: 'arn:aws:states:eu-west-1:123456789012:execution:Runbook:CHG-1234' };

/** DescribeServices' Services[0]: steady, one deployment, all tasks running. */
const SERVICE = {
  ServiceName: 'metadata-service',
  ServiceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/metaflow/metadata-service',
  Status: 'ACTIVE',
  DesiredCount: 2,
  RunningCount: 2,
  PendingCount: 0,
  TaskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/metadata-service:7',
  Deployments: [{ Id: 'ecs-svc/1234567890123456789', Status: 'PRIMARY', RolloutState: 'COMPLETED', RunningCount: 2, DesiredCount: 2 }],
  NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-0a1b2c3d4e5f60718'], SecurityGroups: ['sg-0a1b2c3d4e5f60718'], AssignPublicIp: 'DISABLED' } },
};

type Db = Record<string, unknown>;
type Service = Partial<typeof SERVICE> & Record<string, unknown>;

const assess = (db: Db | null = DB, service: Service | null = SERVICE): Promise<OriginalState> =>
  handler({
    // A neighbour first: the runbook must pick its instance and service by name.
    dbInstances: [{ ...DB, DbInstanceIdentifier: 'other-db', DbInstanceStatus: 'stopped' }, ...(db ? [db] : [])],
    services: [{ ...SERVICE, ServiceName: 'other-service', Deployments: [] }, ...(service ? [service] : [])],
    dbInstanceIdentifier: String(db?.DbInstanceIdentifier ?? 'metaflow-db'),
    serviceName: 'metadata-service',
    ...IDS,
  }) as Promise<OriginalState>;

const without = <T extends object>(o: T, key: keyof T): T => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key)) as T;

describe('assess-preflight handler (may the runbook start, and what must a rollback restore)', () => {
  it.each([
    ['ECS defaults (no configuration given)', undefined, true],
    ['100 / 200', { MinimumHealthyPercent: 100, MaximumPercent: 200 }, true],
    ['50 / 200: one task still rounds up to one healthy', { MinimumHealthyPercent: 50, MaximumPercent: 200 }, true],
    ['0 / 200: the old task may stop first', { MinimumHealthyPercent: 0, MaximumPercent: 200 }, false],
    ['100 / 150: no room for a second task', { MinimumHealthyPercent: 100, MaximumPercent: 150 }, false],
  ])('tells whether a restart at one task rolls without an outage: %s', async (_case, DeploymentConfiguration, rolls) => {
    const result = await assess(DB, { ...SERVICE, DeploymentConfiguration });
    expect(result.restartsRoll).toBe(rolls);
  });

  it('builds the restore of the example deployment with every setting a restore takes, automated backups off until the end', async () => {
    const { restore, afterRestore, notRestored } = await assess();

    expect(restore.parameters).toEqual({
      DbInstanceIdentifier: 'metaflow-db-restored-0a1b2c3d',
      DbSnapshotIdentifier: IDS.snapshotId,
      DbInstanceClass: 'db.r6g.large',
      DbSubnetGroupName: 'metaflow-db-subnets',
      VpcSecurityGroupIds: ['sg-0db0db0db0db0db01'],
      DbParameterGroupName: 'metaflow-postgres15',
      OptionGroupName: 'default:postgres-15',
      MultiAZ: true,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: false,
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
      StorageType: 'gp3',
      // 400 GiB of gp3 is at the provisioning threshold: its IOPS and throughput are the original's to pass.
      Iops: 12000,
      StorageThroughput: 500,
      Port: 5432,
      CaCertificateIdentifier: 'rds-ca-rsa2048-g1',
      EnableIAMDatabaseAuthentication: false,
      NetworkType: 'IPV4',
      BackupTarget: 'region',
      EngineLifecycleSupport: 'open-source-rds-extended-support',
      BackupRetentionPeriod: 0,
      Tags: [
        { Key: 'team', Value: 'ml-platform' },
        { Key: 'metaflow-migration:change-id', Value: 'CHG-1234' },
        { Key: 'metaflow-migration:restored-from', Value: IDS.snapshotId },
        { Key: 'metaflow-migration:execution', Value: IDS.executionId },
      ],
    });
    expect(afterRestore).toEqual({
      settings: { DbInstanceIdentifier: 'metaflow-db-restored-0a1b2c3d', ApplyImmediately: true, PreferredMaintenanceWindow: 'sun:05:00-sun:05:30', DatabaseInsightsMode: 'standard' },
      backups: { DbInstanceIdentifier: 'metaflow-db', ApplyImmediately: true, BackupRetentionPeriod: 14, PreferredBackupWindow: '03:00-03:30' },
    });
    expect(notRestored).toEqual([]);
  });

  it.each(INSTANCE_FIXTURE_NAMES.map((f) => [f]))('sends only members of the API models for the %s deployment', async (fixture) => {
    const { restore, afterRestore } = await assess(described(FIXTURES[fixture].dbInstance));

    expect(valueProblems(operation('rds', 'RestoreDBInstanceFromDBSnapshot').input, restore.parameters, 'restore')).toEqual([]);
    expect(valueProblems(operation('rds', 'ModifyDBInstance').input, afterRestore.settings, 'settings')).toEqual([]);
    expect(valueProblems(operation('rds', 'ModifyDBInstance').input, afterRestore.backups, 'backups')).toEqual([]);
  });

  it.each([
    {
      case: 'a CloudFormation instance: its aws:cloudformation:* tags are AWS\'s and never sent, a Single-AZ instance goes back to its zone, gp2 sends no IOPS',
      fixture: 'cloudformation' as const,
      restore: { AvailabilityZone: 'eu-west-1b', StorageType: 'gp2' },
      absent: ['Iops', 'StorageThroughput'],
      tags: ['metaflow-migration:change-id', 'metaflow-migration:execution', 'metaflow-migration:restored-from'],
    },
    {
      case: 'a Terraform instance: Multi-AZ picks no zone; storage autoscaling goes back after the restore',
      fixture: 'terraform' as const,
      restore: { MultiAZ: true },
      absent: ['AvailabilityZone', 'Iops'],
      settings: { MaxAllocatedStorage: 1000 },
      tags: ['Metaflow', 'Name', 'metaflow-migration:change-id', 'metaflow-migration:execution', 'metaflow-migration:restored-from'],
    },
    {
      case: "a console instance: gp3 below 400 GiB sends neither the IOPS nor the throughput RDS reports, and monitoring, Performance Insights, logs, IAM authentication and the CA come back",
      fixture: 'console' as const,
      restore: { CaCertificateIdentifier: 'rds-ca-ecc384-g1', EnableIAMDatabaseAuthentication: true, EnableCloudwatchLogsExports: ['postgresql', 'upgrade'], AvailabilityZone: 'eu-west-1c' },
      absent: ['Iops', 'StorageThroughput'],
      settings: {
        MaxAllocatedStorage: 1000,
        MonitoringInterval: 60,
        MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring-role',
        EnablePerformanceInsights: true,
        PerformanceInsightsKMSKeyId: FIXTURES.console.dbInstance.PerformanceInsightsKMSKeyId,
        PerformanceInsightsRetentionPeriod: 7,
      },
      tags: ['Project', 'metaflow-migration:change-id', 'metaflow-migration:execution', 'metaflow-migration:restored-from'],
    },
  ])('restores $case', async ({ fixture, restore, absent, settings, tags }) => {
    const result = await assess(described(FIXTURES[fixture].dbInstance));

    expect(result.restore.parameters).toMatchObject(restore);
    for (const key of absent) expect([key, result.restore.parameters[key]]).toEqual([key, undefined]);
    expect(result.afterRestore.settings).toMatchObject(settings ?? {});
    expect(((result.restore.parameters.Tags as { Key: string }[]) ?? []).map((t) => t.Key).sort()).toEqual(tags);
  });

  it('names the settings a restore deliberately leaves, when the original has them: a managed master password', async () => {
    const { notRestored } = await assess(described(FIXTURES.console.dbInstance));

    expect(notRestored).toEqual([{ attribute: 'MasterUserSecret', reason: expect.stringContaining('rotate it under the running service') }]);
  });

  it.each<[string, Db | null, Service | null, string[]]>([
    ['the instance is not available', { ...DB, DbInstanceStatus: 'modifying' }, SERVICE, ["DB instance metaflow-db is 'modifying', expected 'available'"]],
    ['the instance is missing', null, SERVICE, ['DB instance metaflow-db was not found']],
    ['the instance is not PostgreSQL', { ...DB, Engine: 'mysql' }, SERVICE, ['DB instance metaflow-db runs mysql; the metadata service needs PostgreSQL']],
    ['the service is missing', DB, null, ['ECS service metadata-service was not found']],
    [
      'the service has 2 deployments',
      DB,
      { ...SERVICE, Deployments: [...SERVICE.Deployments, { Id: 'ecs-svc/2', Status: 'ACTIVE', RolloutState: 'IN_PROGRESS', RunningCount: 0, DesiredCount: 2 }] },
      ['ECS service metadata-service has 2 deployments, expected 1 (a deployment is in progress)'],
    ],
    ['fewer tasks run than desired', DB, { ...SERVICE, RunningCount: 1 }, ['ECS service metadata-service runs 1 of 2 tasks, expected all running']],
    ['the desired count is 0', DB, { ...SERVICE, DesiredCount: 0, RunningCount: 0 }, ['ECS service metadata-service has desired count 0, expected at least 1']],
    ['the service is not ACTIVE', DB, { ...SERVICE, Status: 'DRAINING' }, ['ECS service metadata-service is DRAINING, expected ACTIVE']],
    [
      'the instance and the service both have problems (all reported at once)',
      { ...DB, DbInstanceStatus: 'backing-up' },
      { ...SERVICE, RunningCount: 3 },
      ["DB instance metaflow-db is 'backing-up', expected 'available'; ECS service metadata-service runs 3 of 2 tasks"],
    ],
    ['the description lacks the endpoint port', without(DB, 'Endpoint'), SERVICE, ['lacks what a restore needs: Port']],
    ['the description lacks the parameter group and the subnet group', without({ ...DB, DbParameterGroups: [] } as Db, 'DbSubnetGroup'), SERVICE, ['lacks what a restore needs: DbSubnetGroupName, DbParameterGroupName']],
    ['the service lacks its task definition', DB, without(SERVICE, 'TaskDefinition'), ['the description lacks service TaskDefinition']],
  ])('throws PreflightFailed when %s', async (_case, db, service, parts) => {
    expectNamedError(await rejectionOf(assess(db, service)), 'PreflightFailed', [/^nothing was changed: /, ...parts]);
  });
});
