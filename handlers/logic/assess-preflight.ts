import { PreflightFailed } from '../lib/errors';

/**
 * Fields read from DescribeDBInstances / DescribeServices as Step Functions' SDK integration names
 * them (Java SDK v2 casing). Only what the runbook needs is typed; the rest passes through untouched.
 */
export interface DbInstanceDescription {
  DbInstanceIdentifier?: string;
  DbInstanceStatus?: string;
  DbInstanceClass?: string;
  Engine?: string;
  MultiAZ?: boolean;
  PubliclyAccessible?: boolean;
  DeletionProtection?: boolean;
  CopyTagsToSnapshot?: boolean;
  AutoMinorVersionUpgrade?: boolean;
  StorageType?: string;
  Iops?: number;
  AllocatedStorage?: number;
  BackupRetentionPeriod?: number;
  PreferredBackupWindow?: string;
  PreferredMaintenanceWindow?: string;
  DbSubnetGroup?: { DbSubnetGroupName?: string };
  VpcSecurityGroups?: { VpcSecurityGroupId?: string; Status?: string }[];
  DbParameterGroups?: { DbParameterGroupName?: string }[];
  OptionGroupMemberships?: { OptionGroupName?: string }[];
  Endpoint?: { Port?: number; Address?: string };
  TagList?: { Key?: string; Value?: string }[];
}

export interface EcsServiceDescription {
  ServiceName?: string;
  Status?: string;
  DesiredCount?: number;
  RunningCount?: number;
  TaskDefinition?: string;
  Deployments?: { Id?: string; Status?: string; RolloutState?: string; RunningCount?: number; DesiredCount?: number }[];
  DeploymentConfiguration?: { MinimumHealthyPercent?: number; MaximumPercent?: number };
}

/** Everything RestoreDBInstanceFromDBSnapshot must be told explicitly, or the restore gets defaults. */
export interface RestoreSettings {
  DbInstanceClass: string;
  DbSubnetGroupName: string;
  VpcSecurityGroupIds: string[];
  DbParameterGroupName: string;
  OptionGroupName: string;
  MultiAZ: boolean;
  PubliclyAccessible: boolean;
  DeletionProtection: boolean;
  CopyTagsToSnapshot: boolean;
  AutoMinorVersionUpgrade: boolean;
  StorageType: string;
  Port: number;
  Tags: { Key: string; Value: string }[];
  /** Only for io1/io2/gp3 with provisioned IOPS; null otherwise, so the workflow picks the restore without it. */
  Iops: number | null;
}

/** What the restore call cannot set, applied with ModifyDBInstance once the restored instance is available. */
export interface AfterRestoreSettings {
  BackupRetentionPeriod: number;
  PreferredBackupWindow: string;
  PreferredMaintenanceWindow: string;
}

export interface OriginalState {
  readonly desiredCount: number;
  readonly taskDefinition: string;
  readonly deploymentId: string;
  readonly dbInstanceIdentifier: string;
  /**
   * Whether a restart at one task starts the new task before stopping the old one. When it does
   * not (minimumHealthyPercent 0 or maximumPercent below 200), each restart is an outage of about a
   * task's start time, longer than the Metaflow client's ~31 s of retries.
   */
  readonly restartsRoll: boolean;
  readonly restore: RestoreSettings;
  readonly afterRestore: AfterRestoreSettings;
}

/**
 * The runbook starts only from a quiet deployment: the instance available (a snapshot needs it) and
 * the service steady (one deployment, running = desired). It records what a rollback must put back.
 */
export function assessPreflight(
  dbInstances: readonly DbInstanceDescription[],
  services: readonly EcsServiceDescription[],
  expected: { dbInstanceIdentifier: string; serviceName: string },
): OriginalState {
  const problems: string[] = [];
  const db = dbInstances.find((d) => d.DbInstanceIdentifier === expected.dbInstanceIdentifier);
  const svc = services.find((s) => s.ServiceName === expected.serviceName);
  if (!db) problems.push(`DB instance ${expected.dbInstanceIdentifier} was not found`);
  else if (db.DbInstanceStatus !== 'available') {
    problems.push(`DB instance ${expected.dbInstanceIdentifier} is '${db.DbInstanceStatus}', expected 'available'`);
  } else if (db.Engine !== undefined && !db.Engine.includes('postgres')) {
    problems.push(`DB instance ${expected.dbInstanceIdentifier} runs ${db.Engine}; the metadata service needs PostgreSQL`);
  }
  if (!svc) problems.push(`ECS service ${expected.serviceName} was not found`);
  else {
    const deployments = svc.Deployments ?? [];
    if (svc.Status !== 'ACTIVE') problems.push(`ECS service ${expected.serviceName} is ${svc.Status}, expected ACTIVE`);
    if (deployments.length !== 1) {
      problems.push(`ECS service ${expected.serviceName} has ${deployments.length} deployments, expected 1 (a deployment is in progress)`);
    }
    if ((svc.DesiredCount ?? 0) < 1) problems.push(`ECS service ${expected.serviceName} has desired count ${svc.DesiredCount}, expected at least 1`);
    if (svc.RunningCount !== svc.DesiredCount) {
      problems.push(`ECS service ${expected.serviceName} runs ${svc.RunningCount} of ${svc.DesiredCount} tasks, expected all running`);
    }
  }
  if (problems.length > 0 || !db || !svc) {
    throw new PreflightFailed(`nothing was changed: ${problems.join('; ')}`);
  }
  return {
    desiredCount: svc.DesiredCount as number,
    taskDefinition: required(svc.TaskDefinition, 'service TaskDefinition'),
    deploymentId: required(svc.Deployments?.[0]?.Id, 'service deployment Id'),
    dbInstanceIdentifier: expected.dbInstanceIdentifier,
    restartsRoll: restartsRoll(svc),
    restore: restoreSettings(db),
    afterRestore: {
      BackupRetentionPeriod: db.BackupRetentionPeriod ?? 1,
      PreferredBackupWindow: required(db.PreferredBackupWindow, 'DB PreferredBackupWindow'),
      PreferredMaintenanceWindow: required(db.PreferredMaintenanceWindow, 'DB PreferredMaintenanceWindow'),
    },
  };
}

/** ECS keeps ceil(desired × min%) tasks healthy and runs at most floor(desired × max%), here at one task. */
function restartsRoll(svc: EcsServiceDescription): boolean {
  const min = svc.DeploymentConfiguration?.MinimumHealthyPercent ?? 100;
  const max = svc.DeploymentConfiguration?.MaximumPercent ?? 200;
  return Math.ceil(min / 100) >= 1 && Math.floor(max / 100) >= 2;
}

function restoreSettings(db: DbInstanceDescription): RestoreSettings {
  const provisioned = db.StorageType === 'io1' || db.StorageType === 'io2' || db.StorageType === 'gp3';
  return {
    DbInstanceClass: required(db.DbInstanceClass, 'DB DbInstanceClass'),
    DbSubnetGroupName: required(db.DbSubnetGroup?.DbSubnetGroupName, 'DB DbSubnetGroup'),
    VpcSecurityGroupIds: (db.VpcSecurityGroups ?? []).map((g) => required(g.VpcSecurityGroupId, 'DB VpcSecurityGroupId')),
    DbParameterGroupName: required(db.DbParameterGroups?.[0]?.DbParameterGroupName, 'DB DbParameterGroups'),
    OptionGroupName: required(db.OptionGroupMemberships?.[0]?.OptionGroupName, 'DB OptionGroupMemberships'),
    MultiAZ: db.MultiAZ ?? false,
    PubliclyAccessible: db.PubliclyAccessible ?? false,
    DeletionProtection: db.DeletionProtection ?? false,
    CopyTagsToSnapshot: db.CopyTagsToSnapshot ?? false,
    AutoMinorVersionUpgrade: db.AutoMinorVersionUpgrade ?? true,
    StorageType: required(db.StorageType, 'DB StorageType'),
    Port: required(db.Endpoint?.Port, 'DB Endpoint.Port'),
    Tags: (db.TagList ?? []).map((t) => ({ Key: required(t.Key, 'DB tag Key'), Value: t.Value ?? '' })),
    Iops: provisioned && db.Iops !== undefined ? db.Iops : null,
  };
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new PreflightFailed(`nothing was changed: the description lacks ${what}`);
  return value;
}
