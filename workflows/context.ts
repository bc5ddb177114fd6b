import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { RunbookConfig } from '../infra/config';

/** The Lambda functions the workflow calls, one per thing Step Functions cannot do itself. */
export interface RunbookFunctions {
  readonly validateInput: lambda.IFunction;
  readonly assessPreflight: lambda.IFunction;
  readonly retargetTaskDefinition: lambda.IFunction;
  readonly locateTask: lambda.IFunction;
  readonly pingMigrationService: lambda.IFunction;
  readonly getSchemaStatus: lambda.IFunction;
  readonly upgradeSchema: lambda.IFunction;
  readonly getServiceVersion: lambda.IFunction;
  readonly composeReport: lambda.IFunction;
}

/** What every fragment needs: the configuration, the functions, and ARNs to scope IAM to. */
export interface RunbookContext {
  readonly config: RunbookConfig;
  readonly fns: RunbookFunctions;
  readonly arns: RunbookArns;
  /** Where approvals are requested and notifications go. */
  readonly topic: sns.ITopic;
}

export interface RunbookArns {
  readonly dbInstance: string;
  /** Renamed-aside instances: the original identifier's first characters, then `-pre-<hash>`. */
  readonly asideInstances: string;
  /** Instances restored beside the original: its first characters, then `-restored-<hash>`. */
  readonly restoredInstances: string;
  readonly snapshots: string;
  readonly cluster: string;
  readonly service: string;
  readonly tasks: string;
  /** Every revision of the service's task definition family. */
  readonly taskDefinitions: string;
  /** The roles the service's tasks run with, which ECS must be passed to start one. */
  readonly taskRoles: readonly string[];
  /** Describe calls with Filters (no identifier) authorize on every instance; they only read. */
  readonly anyDbInstance: string;
  readonly subnetGroups: string;
  readonly parameterGroups: string;
  readonly optionGroups: string;
  /** The runbook's own state machine, built from its name (its ARN token would be circular). */
  readonly stateMachine: string;
}

/** Snapshot identifiers the runbook creates (see handlers/logic/plan-change.ts). */
export const SNAPSHOT_PREFIX = 'metaflow-migration-';

export function runbookArns(config: RunbookConfig): RunbookArns {
  const { region, account } = { region: Aws.REGION, account: Aws.ACCOUNT_ID };
  const d = config.deployment;
  const rds = `arn:${Aws.PARTITION}:rds:${region}:${account}`;
  const ecs = `arn:${Aws.PARTITION}:ecs:${region}:${account}`;
  // RDS stores identifiers in lower case and authorizes the ARN it stores: a grant on the name as
  // typed in upper case would match nothing (RDS API reference, CreateDBInstance: "stored as a lowercase string").
  const dbId = d.dbInstanceIdentifier.toLowerCase();
  // As handlers/logic/plan-change.ts derives them: the identifier cut to leave room for the tail.
  const derived = (tail: string) => `${rds}:db:${dbId.slice(0, 63 - `-${tail}-12345678`.length)}*-${tail}-*`;
  return {
    dbInstance: `${rds}:db:${dbId}`,
    asideInstances: derived('pre'),
    restoredInstances: derived('restored'),
    snapshots: `${rds}:snapshot:${SNAPSHOT_PREFIX}*`,
    subnetGroups: `${rds}:subgrp:*`,
    parameterGroups: `${rds}:pg:*`,
    optionGroups: `${rds}:og:*`,
    cluster: `${ecs}:cluster/${d.clusterName}`,
    service: `${ecs}:service/${d.clusterName}/${d.serviceName}`,
    tasks: `${ecs}:task/${d.clusterName}/*`,
    taskDefinitions: `${ecs}:task-definition/${d.taskDefinitionFamily}:*`,
    taskRoles: [d.taskRoleArn, d.executionRoleArn].filter((r): r is string => r !== undefined),
    stateMachine: `arn:${Aws.PARTITION}:states:${region}:${account}:stateMachine:${config.stackName}`,
    anyDbInstance: `${rds}:db:*`,
  };
}

/** iam:PassRole of the service's own task and execution roles, to ECS tasks only; none when it has none. */
export function passTaskRoles(arns: RunbookArns): iam.PolicyStatement | undefined {
  if (arns.taskRoles.length === 0) return undefined;
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [...arns.taskRoles],
    conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  });
}
