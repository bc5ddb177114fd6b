import { assessPreflight, type DbInstanceDescription, type EcsServiceDescription } from '../../handlers/logic/assess-preflight';
import { PreflightFailed } from '../../handlers/lib/errors';

/** The smallest descriptions preflight accepts: one available PostgreSQL instance, one steady service. */
const DB: DbInstanceDescription = {
  DbInstanceIdentifier: 'metaflow-db',
  DbInstanceStatus: 'available',
  DbInstanceClass: 'db.t3.medium',
  Engine: 'postgres',
  StorageType: 'gp2',
  MultiAZ: false,
  DbSubnetGroup: { DbSubnetGroupName: 'subnets' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
  DbParameterGroups: [{ DbParameterGroupName: 'params' }],
  OptionGroupMemberships: [{ OptionGroupName: 'options' }],
  Endpoint: { Port: 5432 },
};
const SERVICE: EcsServiceDescription = {
  ServiceName: 'svc',
  Status: 'ACTIVE',
  DesiredCount: 1,
  RunningCount: 1,
  TaskDefinition: 'td:1',
  Deployments: [{ Id: 'ecs-svc/1' }],
  NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-1'] } },
};
const REQUEST = {
  dbInstanceIdentifier: 'metaflow-db',
  serviceName: 'svc',
  snapshotId: 'snap-1',
  restoreInstanceId: 'metaflow-db-restored-1',
  changeId: 'CHG-1',
  executionId: 'arn:aws:states:eu-west-1:123456789012:execution:Runbook:CHG-1',
};
const assess = (db: DbInstanceDescription, service: EcsServiceDescription = SERVICE, request = REQUEST) => assessPreflight([db], [service], request);
const failureOf = (db: DbInstanceDescription, service: EcsServiceDescription = SERVICE, request = REQUEST): string => {
  try {
    assess(db, service, request);
  } catch (err) {
    if (err instanceof PreflightFailed) return err.message;
    throw err;
  }
  throw new Error('preflight passed');
};

describe('assessPreflight: the descriptions as they come, field by field', () => {
  it('starts from a service of one task (one is enough) and an instance whose engine is not reported', () => {
    const { Engine: _engine, ...unnamed } = DB;

    expect(assess(unnamed).desiredCount).toBe(1);
  });

  it('finds an instance typed in capitals: RDS answers with the identifier in lower case', () => {
    const original = assess(DB, SERVICE, { ...REQUEST, dbInstanceIdentifier: 'Metaflow-DB' });

    expect(original.dbInstanceIdentifier).toBe('Metaflow-DB');
  });

  it('records the task definition, the deployment and the network the plan task will run in', () => {
    expect(assess(DB)).toMatchObject({
      taskDefinition: 'td:1',
      deploymentId: 'ecs-svc/1',
      dbInstanceIdentifier: 'metaflow-db',
      network: { Subnets: ['subnet-1'], SecurityGroups: [], AssignPublicIp: 'DISABLED' },
    });
  });

  it('keeps the service\'s own security groups and public address setting for the plan task', () => {
    const service = { ...SERVICE, NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-1'], SecurityGroups: ['sg-9'], AssignPublicIp: 'ENABLED' } } };

    expect(assess(DB, service).network).toEqual({ Subnets: ['subnet-1'], SecurityGroups: ['sg-9'], AssignPublicIp: 'ENABLED' });
  });

  it.each<[string, EcsServiceDescription]>([
    ['no network configuration', { ...SERVICE, NetworkConfiguration: undefined }],
    ['no subnet', { ...SERVICE, NetworkConfiguration: { AwsvpcConfiguration: { Subnets: [] } } }],
  ])('refuses a service with %s: the plan task would have nowhere to run', (_case, service) => {
    expect(failureOf(DB, service)).toBe('nothing was changed: ECS service svc has no awsvpc network configuration (a Fargate service has one)');
  });

  it('names a deployment without id', () => {
    expect(failureOf(DB, { ...SERVICE, Deployments: [{}] })).toBe('nothing was changed: the description lacks service deployment Id');
  });

  it('counts a service without deployments as not steady', () => {
    expect(failureOf(DB, { ...SERVICE, Deployments: undefined })).toContain('has 0 deployments, expected 1');
  });

  it('counts a service without a desired count as having none', () => {
    expect(failureOf(DB, { ...SERVICE, DesiredCount: undefined, RunningCount: undefined })).toBe(
      'nothing was changed: ECS service svc has desired count undefined, expected at least 1',
    );
  });

  it.each<[string, DbInstanceDescription, string]>([
    ['an empty security group list', { ...DB, VpcSecurityGroups: [] }, 'VpcSecurityGroupIds'],
    ['no instance class', { ...DB, DbInstanceClass: undefined }, 'DbInstanceClass'],
    ['no Multi-AZ flag', { ...DB, MultiAZ: undefined }, 'MultiAZ'],
    ['no option group', { ...DB, OptionGroupMemberships: [] }, 'OptionGroupName'],
    ['no storage type', { ...DB, StorageType: undefined }, 'StorageType'],
  ])('refuses a description with %s: the restore would land with defaults', (_case, db, missing) => {
    expect(failureOf(db)).toBe(`nothing was changed: the DB instance description lacks what a restore needs: ${missing}`);
  });

  it('reports nothing else when the instance is missing: there is nothing to build a restore from', () => {
    expect(failureOf({ ...DB, DbInstanceIdentifier: 'other' })).toBe('nothing was changed: DB instance metaflow-db was not found');
  });

  it('tags the restore with the change, the snapshot and the execution, and turns automated backups off until the end', () => {
    const { restore } = assess(DB);

    expect(restore.parameters).toMatchObject({ DbInstanceIdentifier: 'metaflow-db-restored-1', DbSnapshotIdentifier: 'snap-1', BackupRetentionPeriod: 0 });
    expect(restore.parameters.Tags).toEqual([
      { Key: 'metaflow-migration:change-id', Value: 'CHG-1' },
      { Key: 'metaflow-migration:restored-from', Value: 'snap-1' },
      { Key: 'metaflow-migration:execution', Value: REQUEST.executionId },
    ]);
  });

  it('applies the settings to the restored instance and the backups under the original identifier', () => {
    const { afterRestore } = assess(DB);

    expect(afterRestore.settings).toMatchObject({ DbInstanceIdentifier: 'metaflow-db-restored-1', ApplyImmediately: true });
    expect(afterRestore.backups).toMatchObject({ DbInstanceIdentifier: 'metaflow-db', ApplyImmediately: true });
  });

  it('refuses a service whose awsvpc configuration lists no subnets at all', () => {
    expect(failureOf(DB, { ...SERVICE, NetworkConfiguration: { AwsvpcConfiguration: {} } })).toBe(
      'nothing was changed: ECS service svc has no awsvpc network configuration (a Fargate service has one)',
    );
  });

  it('names a task definition the description gives as null', () => {
    expect(failureOf(DB, { ...SERVICE, TaskDefinition: null as never })).toBe('nothing was changed: the description lacks service TaskDefinition');
  });

  it.each<[string, DbInstanceDescription, string]>([
    ['a null port', { ...DB, Endpoint: { Port: null } }, 'Port'],
    ['no parameter groups', { ...DB, DbParameterGroups: undefined }, 'DbParameterGroupName'],
    ['no option group memberships', { ...DB, OptionGroupMemberships: undefined }, 'OptionGroupName'],
  ])('refuses a description with %s, which a restore cannot do without', (_case, db, missing) => {
    expect(failureOf(db)).toBe(`nothing was changed: the DB instance description lacks what a restore needs: ${missing}`);
  });
});
