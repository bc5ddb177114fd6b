import { ArnFormat, Arn, RemovalPolicy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  eventBridgePolicies,
  stateTableStatements,
  stepFunctionsPolicies,
  type SchedulingResourceArns,
} from './policies';

export { WILDCARD_RESOURCE_ALLOW_LIST } from './policies';

/** The existing role Metaflow's Batch jobs run as (METAFLOW_ECS_S3_ACCESS_IAM_ROLE). */
export type BatchJobRoleReference = { readonly roleName: string } | { readonly roleArn: string };

export interface MetaflowStepFunctionsPrerequisitesProps {
  /** The bucket of Metaflow's S3 datastore. */
  readonly s3BucketName: string;
  /** Every AWS Batch job queue a scheduled flow may submit to. */
  readonly batchJobQueueArns: readonly string[];
  /** @default 'metaflow_', the prefix Metaflow gives every job definition it registers */
  readonly batchJobDefinitionNamePrefix?: string;
  /** Receives the DynamoDB policy; must be in this stack's account. */
  readonly batchJobRole: BatchJobRoleReference;
  /** METAFLOW_SFN_STATE_MACHINE_PREFIX: the EventBridge role may start only these state machines. */
  readonly stateMachineNamePrefix: string;
  /** @default 'metaflow-step-functions-state' */
  readonly dynamoDbTableName?: string;
  /** @default - the AWS managed key for DynamoDB */
  readonly kmsKeyArn?: string;
  /** Grant the log delivery rights `step-functions create --log-execution-history` needs. @default true */
  readonly allowExecutionHistoryLogging?: boolean;
}

/**
 * What a team needs before `step-functions create` can deploy and schedule Metaflow flows: the
 * role the state machines run as, the role EventBridge schedules them with, the table foreach
 * steps keep their state in, and that table's policy on the Batch job role that already exists.
 */
export class MetaflowStepFunctionsPrerequisites extends Construct {
  public readonly stepFunctionsRole: iam.Role;
  public readonly eventBridgeRole: iam.Role;
  public readonly stateTable: dynamodb.Table;
  public readonly batchJobRole: iam.IRole;
  public readonly batchJobRolePolicy: iam.Policy;
  /** `arn:...:stateMachine:<prefix>*`, the state machines the EventBridge role may start. */
  public readonly stateMachineArnPattern: string;

  constructor(scope: Construct, id: string, props: MetaflowStepFunctionsPrerequisitesProps) {
    super(scope, id);
    // Each would widen a statement to everything in the account rather than fail.
    if (props.stateMachineNamePrefix === '') throw new Error('stateMachineNamePrefix must not be empty');
    if (props.batchJobQueueArns.length === 0) throw new Error('batchJobQueueArns must name at least one queue');
    const stack = Stack.of(this);

    const tableKey = props.kmsKeyArn === undefined ? undefined : kms.Key.fromKeyArn(this, 'StateTableKey', props.kmsKeyArn);
    // [cfn] StepFunctionsStateDDB and [tf] dynamodb.tf: key `pathspec` (S), TTL on `ttl`, on-demand.
    // Metaflow writes `ttl` on every item [ddb], so the table empties itself of finished runs.
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      tableName: props.dynamoDbTableName ?? 'metaflow-step-functions-state',
      partitionKey: { name: 'pathspec', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'ttl',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: tableKey === undefined ? dynamodb.TableEncryption.AWS_MANAGED : dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: tableKey,
      // Running executions of scheduled flows read it; deleting the stack must not strand them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachineArnPattern = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: `${props.stateMachineNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const batchArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'batch', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const arns: SchedulingResourceArns = {
      jobQueueArns: props.batchJobQueueArns,
      jobDefinitionArnPattern: batchArn('job-definition', `${props.batchJobDefinitionNamePrefix ?? 'metaflow_'}*`),
      jobArnPattern: batchArn('job', '*'),
      batchEventsRuleArn: stack.formatArn({
        service: 'events',
        resource: 'rule',
        resourceName: 'StepFunctionsGetEventsForBatchJobsRule',
      }),
      bucketArn: stack.formatArn({ service: 's3', region: '', account: '', resource: props.s3BucketName }),
      tableArn: this.stateTable.tableArn,
      tableKeyArn: tableKey?.keyArn,
      stateMachineArnPattern: this.stateMachineArnPattern,
    };

    this.stepFunctionsRole = new iam.Role(this, 'StepFunctionsRole', {
      description: 'Role Metaflow state machines run as (METAFLOW_SFN_IAM_ROLE)',
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      inlinePolicies: stepFunctionsPolicies(arns, props.allowExecutionHistoryLogging ?? true),
    });
    this.eventBridgeRole = new iam.Role(this, 'EventBridgeRole', {
      description: 'Role EventBridge starts scheduled Metaflow flows with (METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE)',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      inlinePolicies: eventBridgePolicies(arns),
    });

    this.batchJobRole = importBatchJobRole(this, props.batchJobRole);
    // A separate policy rather than a grant: it is the one resource this stack adds to a role it
    // does not own, and `cdk destroy` removes it again without touching the role.
    this.batchJobRolePolicy = new iam.Policy(this, 'BatchJobRoleStateTablePolicy', {
      // [cfn] BatchS3TaskRole/DynamoDB, [tf] iam.tf "dynamodb": foreach splits and joins record
      // cardinality and parent task ids from inside the Batch job [ddb].
      statements: stateTableStatements(arns),
      roles: [this.batchJobRole],
    });
  }
}

function importBatchJobRole(scope: Construct, ref: BatchJobRoleReference): iam.IRole {
  if ('roleName' in ref) return iam.Role.fromRoleName(scope, 'BatchJobRole', ref.roleName, { mutable: true });
  // An imported role in another account silently drops attached policies; fail at synth instead.
  const account = Arn.split(ref.roleArn, ArnFormat.SLASH_RESOURCE_NAME).account;
  if (Token.compareStrings(account ?? '', Stack.of(scope).account) === TokenComparison.DIFFERENT) {
    throw new Error(
      `batchJobRole ${ref.roleArn} is in account ${account}, but this stack deploys to ${Stack.of(scope).account}: ` +
        'the DynamoDB policy can only be attached to a role in the same account',
    );
  }
  return iam.Role.fromRoleArn(scope, 'BatchJobRole', ref.roleArn, { mutable: true });
}
