import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { RunbookConfig } from '../infra/config';
import type { DatabaseKind } from './database/kind';

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
  /** Checks the runbook endpoint's attestations of who asked and who answered (the only one allowed kms:VerifyMac). */
  readonly verifyIdentity: lambda.IFunction;
}

/** What every fragment needs: the configuration, the functions, and ARNs to scope IAM to. */
export interface RunbookContext {
  readonly config: RunbookConfig;
  readonly fns: RunbookFunctions;
  readonly arns: RunbookArns;
  /** Where approvals are requested and notifications go. */
  readonly topic: sns.ITopic;
  /** The HMAC key the runbook's endpoint attests identities with. */
  readonly attestationKey: kms.IKey;
  /**
   * The deployment's database, an RDS DB instance or an Aurora DB cluster: the states that touch it
   * (preflight's describe, the snapshot, the restore and swap, the look after a failed rollback) and
   * its IAM come from its kind, chosen at synth (workflows/database).
   */
  readonly database: DatabaseKind;
}

/** The ECS service and the runbook itself; the database's ARNs are its kind's (workflows/database/arns.ts). */
export interface RunbookArns {
  readonly cluster: string;
  readonly service: string;
  readonly tasks: string;
  /** Every revision of the service's task definition family. */
  readonly taskDefinitions: string;
  /** The roles the service's tasks run with, which ECS must be passed to start one. */
  readonly taskRoles: readonly string[];
  /** The runbook's own state machine, built from its name (its ARN token would be circular). */
  readonly stateMachine: string;
  /** Every execution of it. */
  readonly executions: string;
}

export function runbookArns(config: RunbookConfig): RunbookArns {
  const { region, account } = { region: Aws.REGION, account: Aws.ACCOUNT_ID };
  const d = config.deployment;
  const ecs = `arn:${Aws.PARTITION}:ecs:${region}:${account}`;
  return {
    cluster: `${ecs}:cluster/${d.clusterName}`,
    service: `${ecs}:service/${d.clusterName}/${d.serviceName}`,
    tasks: `${ecs}:task/${d.clusterName}/*`,
    taskDefinitions: `${ecs}:task-definition/${d.taskDefinitionFamily}:*`,
    taskRoles: [d.taskRoleArn, d.executionRoleArn].filter((r): r is string => r !== undefined),
    stateMachine: `arn:${Aws.PARTITION}:states:${region}:${account}:stateMachine:${config.stackName}`,
    executions: `arn:${Aws.PARTITION}:states:${region}:${account}:execution:${config.stackName}:*`,
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
