import { PreflightFailed } from '../lib/errors';
import {
  backupParameters,
  type Described,
  notRestoredSettings,
  RUNBOOK_TAG_PREFIX,
  restoreParameters,
  settingsParameters,
} from './restore-parity';

/**
 * A DB instance as DescribeDBInstances returns it through Step Functions (Java SDK v2 member names).
 * Only what preflight decides on is typed; the rest passes to the parity table whole.
 */
export interface DbInstanceDescription extends Described {
  DbInstanceIdentifier?: string;
  DbInstanceStatus?: string;
  Engine?: string;
}

export interface EcsServiceDescription {
  ServiceName?: string;
  Status?: string;
  DesiredCount?: number;
  RunningCount?: number;
  TaskDefinition?: string;
  Deployments?: { Id?: string; Status?: string; RolloutState?: string; RunningCount?: number; DesiredCount?: number }[];
  DeploymentConfiguration?: { MinimumHealthyPercent?: number; MaximumPercent?: number };
  NetworkConfiguration?: { AwsvpcConfiguration?: { Subnets?: string[]; SecurityGroups?: string[]; AssignPublicIp?: string } };
}

/** What a rollback needs of the service: recorded by preflight whatever the database is. */
export interface OriginalService {
  readonly desiredCount: number;
  readonly taskDefinition: string;
  readonly deploymentId: string;
  /**
   * Whether a restart at one task starts the new task before stopping the old one. When it does
   * not (minimumHealthyPercent 0 or maximumPercent below 200), each restart is an outage of about a
   * task's start time, longer than the Metaflow client's ~31 s of retries.
   */
  readonly restartsRoll: boolean;
  /** Where the service's tasks run: a task started to read the plan runs there too, as they do. */
  readonly network: { readonly Subnets: string[]; readonly SecurityGroups: string[]; readonly AssignPublicIp: string };
}

export interface OriginalState extends OriginalService {
  readonly dbInstanceIdentifier: string;
  /**
   * The calls that put the database back, built here from the parity table so the state machine
   * sends them whole: the restore, the settings it cannot take, and automated backups last.
   */
  readonly restore: { readonly parameters: Record<string, unknown> };
  readonly afterRestore: { readonly settings: Record<string, unknown>; readonly backups: Record<string, unknown> };
  /** Settings the original has that a restore deliberately does not put back, with why. */
  readonly notRestored: { attribute: string; reason: string }[];
}

/** What preflight is told besides the descriptions. */
export interface PreflightRequest {
  readonly dbInstanceIdentifier: string;
  readonly serviceName: string;
  readonly snapshotId: string;
  /** Where a restore puts the snapshot, beside the original (plan-change.ts). */
  readonly restoreInstanceId: string;
  readonly changeId: string;
  readonly executionId: string;
}

/** Restore parameters without which the restored instance would not even be where the service looks for it. */
const RESTORE_NEEDS = ['DbInstanceClass', 'DbSubnetGroupName', 'VpcSecurityGroupIds', 'DbParameterGroupName', 'OptionGroupName', 'StorageType', 'Port', 'MultiAZ'];

/**
 * The runbook starts only from a quiet deployment: the instance available (a snapshot needs it) and
 * the service steady (one deployment, running = desired). It records what a rollback must put back.
 */
export function assessPreflight(
  dbInstances: readonly DbInstanceDescription[],
  services: readonly EcsServiceDescription[],
  expected: PreflightRequest,
): OriginalState {
  const problems: string[] = [];
  // RDS answers with the identifier in lower case, however it was typed.
  const db = dbInstances.find((d) => d.DbInstanceIdentifier === expected.dbInstanceIdentifier.toLowerCase());
  if (!db) problems.push(`DB instance ${expected.dbInstanceIdentifier} was not found`);
  else if (db.DbInstanceStatus !== 'available') {
    problems.push(`DB instance ${expected.dbInstanceIdentifier} is '${db.DbInstanceStatus}', expected 'available'`);
  } else if (db.Engine !== undefined && !db.Engine.includes('postgres')) {
    problems.push(`DB instance ${expected.dbInstanceIdentifier} runs ${db.Engine}; the metadata service needs PostgreSQL`);
  }
  const service = assessService(services, expected.serviceName, problems);
  if (problems.length > 0 || !db || !service) {
    throw new PreflightFailed(`nothing was changed: ${problems.join('; ')}`);
  }
  const restore = restoreParameters(db, {
    dbInstanceIdentifier: expected.restoreInstanceId,
    snapshotId: expected.snapshotId,
    runbookTags: runbookTags(expected),
  });
  // Without these a restore would land in the default VPC with default groups: refuse to start.
  const missing = RESTORE_NEEDS.filter((key) => restore[key] === undefined || (Array.isArray(restore[key]) && restore[key].length === 0));
  if (missing.length > 0) throw new PreflightFailed(`nothing was changed: the DB instance description lacks what a restore needs: ${missing.join(', ')}`);
  return {
    ...service(),
    dbInstanceIdentifier: expected.dbInstanceIdentifier,
    restore: { parameters: restore },
    // The settings go to the restored instance before it takes the original's identifier; backups
    // come back last, once it has.
    afterRestore: {
      settings: settingsParameters(db, expected.restoreInstanceId),
      backups: backupParameters(db, expected.dbInstanceIdentifier),
    },
    notRestored: notRestoredSettings(db),
  };
}

/** Tags that mark what a restore creates as the runbook's: the change, the snapshot, the execution. */
export function runbookTags(expected: { changeId: string; snapshotId: string; executionId: string }): { Key: string; Value: string }[] {
  return [
    { Key: `${RUNBOOK_TAG_PREFIX}change-id`, Value: expected.changeId },
    { Key: `${RUNBOOK_TAG_PREFIX}restored-from`, Value: expected.snapshotId },
    { Key: `${RUNBOOK_TAG_PREFIX}execution`, Value: expected.executionId },
  ];
}

/**
 * The service must be steady (one deployment, running = desired): its problems are added to
 * `problems`, all at once with the database's. Returns what a rollback needs of it, read once
 * every problem is known (a description missing what is needed is a problem of its own).
 */
export function assessService(
  services: readonly EcsServiceDescription[],
  serviceName: string,
  problems: string[],
): (() => OriginalService) | undefined {
  const svc = services.find((s) => s.ServiceName === serviceName);
  if (!svc) {
    problems.push(`ECS service ${serviceName} was not found`);
    return undefined;
  }
  const deployments = svc.Deployments ?? [];
  if (svc.Status !== 'ACTIVE') problems.push(`ECS service ${serviceName} is ${svc.Status}, expected ACTIVE`);
  if (deployments.length !== 1) {
    problems.push(`ECS service ${serviceName} has ${deployments.length} deployments, expected 1 (a deployment is in progress)`);
  }
  if ((svc.DesiredCount ?? 0) < 1) problems.push(`ECS service ${serviceName} has desired count ${svc.DesiredCount}, expected at least 1`);
  if (svc.RunningCount !== svc.DesiredCount) {
    problems.push(`ECS service ${serviceName} runs ${svc.RunningCount} of ${svc.DesiredCount} tasks, expected all running`);
  }
  // A task started to read the plan runs where the service's tasks run: a Fargate service has an awsvpc configuration.
  const vpc = svc.NetworkConfiguration?.AwsvpcConfiguration;
  const subnets = vpc?.Subnets ?? [];
  if (subnets.length === 0) problems.push(`ECS service ${serviceName} has no awsvpc network configuration (a Fargate service has one)`);
  return () => ({
    desiredCount: svc.DesiredCount as number,
    taskDefinition: required(svc.TaskDefinition, 'service TaskDefinition'),
    deploymentId: required(svc.Deployments?.[0]?.Id, 'service deployment Id'),
    restartsRoll: restartsRoll(svc),
    network: { Subnets: subnets, SecurityGroups: vpc?.SecurityGroups ?? [], AssignPublicIp: vpc?.AssignPublicIp ?? 'DISABLED' },
  });
}

/** ECS keeps ceil(desired × min%) tasks healthy and runs at most floor(desired × max%), here at one task. */
function restartsRoll(svc: EcsServiceDescription): boolean {
  const min = svc.DeploymentConfiguration?.MinimumHealthyPercent ?? 100;
  const max = svc.DeploymentConfiguration?.MaximumPercent ?? 200;
  return Math.ceil(min / 100) >= 1 && Math.floor(max / 100) >= 2;
}

export function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new PreflightFailed(`nothing was changed: the description lacks ${what}`);
  return value;
}
