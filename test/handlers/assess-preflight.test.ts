import { handler } from '../../handlers/assess-preflight';
import { expectNamedError, rejectionOf } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

/** DescribeDBInstances' DbInstances[0] as Step Functions returns it (Java SDK v2 casing). */
const DB = {
  DbInstanceIdentifier: 'metaflow-db',
  DbInstanceStatus: 'available',
  DbInstanceClass: 'db.t3.medium',
  Engine: 'postgres',
  EngineVersion: '15.5',
  MultiAZ: false,
  AvailabilityZone: 'eu-west-1b',
  PubliclyAccessible: false,
  DeletionProtection: true,
  CopyTagsToSnapshot: true,
  AutoMinorVersionUpgrade: false,
  StorageType: 'gp3',
  Iops: 3000,
  StorageThroughput: 125,
  AllocatedStorage: 100,
  BackupRetentionPeriod: 7,
  PreferredBackupWindow: '02:00-02:30',
  PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
  DbSubnetGroup: { DbSubnetGroupName: 'metaflow-db-subnets', VpcId: 'vpc-0abc', SubnetGroupStatus: 'Complete' },
  VpcSecurityGroups: [
    { VpcSecurityGroupId: 'sg-0db1', Status: 'active' },
    { VpcSecurityGroupId: 'sg-0db2', Status: 'active' },
  ],
  DbParameterGroups: [{ DbParameterGroupName: 'metaflow-postgres15', ParameterApplyStatus: 'in-sync' }],
  OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-15', Status: 'in-sync' }],
  Endpoint: { Address: 'metaflow-db.c1abc.eu-west-1.rds.amazonaws.com', Port: 5433, HostedZoneId: 'Z29XKXDKYMONMX' },
  TagList: [
    { Key: 'team', Value: 'ml-platform' },
    { Key: 'cost-center', Value: '' },
  ],
};

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
};

type Db = Partial<typeof DB> & Record<string, unknown>;
type Service = Partial<typeof SERVICE> & Record<string, unknown>;

const assess = (db: Db | null = DB, service: Service | null = SERVICE) =>
  handler({
    // A neighbour first: the runbook must pick its instance and service by name.
    dbInstances: [{ ...DB, DbInstanceIdentifier: 'other-db', DbInstanceStatus: 'stopped' }, ...(db ? [db] : [])],
    services: [{ ...SERVICE, ServiceName: 'other-service', Deployments: [] }, ...(service ? [service] : [])],
    dbInstanceIdentifier: 'metaflow-db',
    serviceName: 'metadata-service',
  });

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

  it('records every setting a restore must put back', async () => {
    await expect(assess()).resolves.toEqual({
      desiredCount: 2,
      taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/metadata-service:7',
      deploymentId: 'ecs-svc/1234567890123456789',
      dbInstanceIdentifier: 'metaflow-db',
      restartsRoll: true,
      restore: {
        DbInstanceClass: 'db.t3.medium',
        DbSubnetGroupName: 'metaflow-db-subnets',
        VpcSecurityGroupIds: ['sg-0db1', 'sg-0db2'],
        DbParameterGroupName: 'metaflow-postgres15',
        OptionGroupName: 'default:postgres-15',
        MultiAZ: false,
        PubliclyAccessible: false,
        DeletionProtection: true,
        CopyTagsToSnapshot: true,
        AutoMinorVersionUpgrade: false,
        StorageType: 'gp3',
        Port: 5433,
        Tags: [
          { Key: 'team', Value: 'ml-platform' },
          { Key: 'cost-center', Value: '' },
        ],
        Iops: 3000,
      },
      afterRestore: { BackupRetentionPeriod: 7, PreferredBackupWindow: '02:00-02:30', PreferredMaintenanceWindow: 'sun:04:00-sun:04:30' },
    });
  });

  it.each([
    { case: 'a Multi-AZ instance stays Multi-AZ', db: { ...DB, MultiAZ: true }, expected: { MultiAZ: true } },
    { case: 'gp2 storage has no Iops', db: { ...DB, StorageType: 'gp2', Iops: 300 }, expected: { StorageType: 'gp2', Iops: null } },
    { case: 'io1 storage keeps its Iops', db: { ...DB, StorageType: 'io1', Iops: 1000 }, expected: { StorageType: 'io1', Iops: 1000 } },
    { case: 'gp3 storage without provisioned Iops has none', db: without(DB, 'Iops'), expected: { StorageType: 'gp3', Iops: null } },
    { case: 'no TagList records no tags', db: without(DB, 'TagList'), expected: { Tags: [] } },
    { case: 'unset flags take the RDS defaults', db: without(without(without(DB, 'MultiAZ'), 'AutoMinorVersionUpgrade'), 'DeletionProtection'), expected: { MultiAZ: false, AutoMinorVersionUpgrade: true, DeletionProtection: false } },
  ])('records restore settings where $case', async ({ db, expected }) => {
    expect((await assess(db)).restore).toMatchObject(expected);
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
    ['the description lacks PreferredBackupWindow', without(DB, 'PreferredBackupWindow'), SERVICE, ['the description lacks DB PreferredBackupWindow']],
    ['the description lacks the endpoint port', without(DB, 'Endpoint'), SERVICE, ['the description lacks DB Endpoint.Port']],
    ['the description lacks the parameter group', { ...DB, DbParameterGroups: [] }, SERVICE, ['the description lacks DB DbParameterGroups']],
    ['the service lacks its task definition', DB, without(SERVICE, 'TaskDefinition'), ['the description lacks service TaskDefinition']],
  ])('throws PreflightFailed when %s', async (_case, db, service, parts) => {
    expectNamedError(await rejectionOf(assess(db, service)), 'PreflightFailed', [/^nothing was changed: /, ...parts]);
  });
});
