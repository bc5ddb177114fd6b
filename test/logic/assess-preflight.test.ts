import { assessPreflight, type DbInstanceDescription, type EcsServiceDescription } from '../../handlers/logic/assess-preflight';
import { PreflightFailed } from '../../handlers/lib/errors';

/** The smallest descriptions preflight accepts: one available PostgreSQL instance, one steady service. */
const DB: DbInstanceDescription = {
  DbInstanceIdentifier: 'metaflow-db',
  DbInstanceStatus: 'available',
  DbInstanceClass: 'db.t3.medium',
  Engine: 'postgres',
  StorageType: 'gp2',
  PreferredBackupWindow: '02:00-02:30',
  PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
  DbSubnetGroup: { DbSubnetGroupName: 'subnets' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
  DbParameterGroups: [{ DbParameterGroupName: 'params' }],
  OptionGroupMemberships: [{ OptionGroupName: 'options' }],
  Endpoint: { Port: 5432 },
  TagList: [{ Key: 'team', Value: 'ml' }],
};
const SERVICE: EcsServiceDescription = {
  ServiceName: 'svc',
  Status: 'ACTIVE',
  DesiredCount: 1,
  RunningCount: 1,
  TaskDefinition: 'td:1',
  Deployments: [{ Id: 'ecs-svc/1' }],
};
const expected = { dbInstanceIdentifier: 'metaflow-db', serviceName: 'svc' };
const assess = (db: DbInstanceDescription, service: EcsServiceDescription = SERVICE) => assessPreflight([db], [service], expected);
const failureOf = (db: DbInstanceDescription, service: EcsServiceDescription = SERVICE): string => {
  try {
    assess(db, service);
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

  it.each<[string, DbInstanceDescription, string]>([
    ['instance class', { ...DB, DbInstanceClass: undefined }, 'DB DbInstanceClass'],
    ['subnet group', { ...DB, DbSubnetGroup: undefined }, 'DB DbSubnetGroup'],
    ['security group id', { ...DB, VpcSecurityGroups: [{}] }, 'DB VpcSecurityGroupId'],
    ['parameter groups', { ...DB, DbParameterGroups: undefined }, 'DB DbParameterGroups'],
    ['option groups', { ...DB, OptionGroupMemberships: undefined }, 'DB OptionGroupMemberships'],
    ['option group name', { ...DB, OptionGroupMemberships: [{}] }, 'DB OptionGroupMemberships'],
    ['option group (an empty list)', { ...DB, OptionGroupMemberships: [] }, 'DB OptionGroupMemberships'],
    ['storage type (null)', { ...DB, StorageType: null as never }, 'DB StorageType'],
    ['maintenance window', { ...DB, PreferredMaintenanceWindow: undefined }, 'DB PreferredMaintenanceWindow'],
    ['tag key', { ...DB, TagList: [{ Value: 'x' }] }, 'DB tag Key'],
  ])('names the missing %s instead of starting', (_what, db, named) => {
    expect(failureOf(db)).toBe(`nothing was changed: the description lacks ${named}`);
  });

  it('names a deployment without id', () => {
    expect(failureOf(DB, { ...SERVICE, Deployments: [{}] })).toBe('nothing was changed: the description lacks service deployment Id');
  });

  it('counts a service without deployments as not steady', () => {
    expect(failureOf(DB, { ...SERVICE, Deployments: undefined })).toContain('has 0 deployments, expected 1');
  });

  it.each([
    ['io1', 1000, 1000],
    ['io2', 2000, 2000],
    ['gp3', 3000, 3000],
    ['gp2', 300, null],
  ])('keeps the IOPS of %s storage only when provisioned', (StorageType, Iops, kept) => {
    expect(assess({ ...DB, StorageType, Iops }).restore.Iops).toBe(kept);
  });

  it('keeps a publicly accessible instance public, and defaults unset flags to false', () => {
    expect(assess({ ...DB, PubliclyAccessible: true }).restore.PubliclyAccessible).toBe(true);
    expect(assess(DB).restore).toMatchObject({ PubliclyAccessible: false, CopyTagsToSnapshot: false, VpcSecurityGroupIds: ['sg-1'] });
    expect(assess({ ...DB, VpcSecurityGroups: undefined }).restore.VpcSecurityGroupIds).toEqual([]);
  });

  it('records a tag without a value as an empty value', () => {
    expect(assess({ ...DB, TagList: [{ Key: 'cost-center' }] }).restore.Tags).toEqual([{ Key: 'cost-center', Value: '' }]);
  });
});
