import * as iam from 'aws-cdk-lib/aws-iam';

/*
 * Where each statement comes from. Metaflow publishes two templates for these prerequisites:
 *   [cfn] Netflix/metaflow-tools aws/cloudformation/metaflow-cfn-template.yml
 *         (resources StepFunctionsRole, EventBridgeRole, StepFunctionsStateDDB, BatchS3TaskRole)
 *   [tf]  outerbounds/terraform-aws-metaflow modules/step-functions/iam-step-functions.tf,
 *         iam-eventbridge.tf, dynamodb.tf, and iam.tf (policy "dynamodb" on the Batch task role)
 * and the calls those permissions serve are in Netflix/metaflow:
 *   [sfn] metaflow/plugins/aws/step_functions/step_functions.py (the state machine it writes)
 *   [ddb] metaflow/plugins/aws/step_functions/dynamo_db_client.py (what Batch tasks read and write)
 *   [ebc] metaflow/plugins/aws/step_functions/event_bridge_client.py (the schedule rule)
 * Both templates grant on `*` or account-wide patterns; every statement below is narrowed to the
 * named bucket, table, queues, job definition prefix and state machine prefix.
 */

/** The ARNs the statements are scoped to; built by the construct from its props. */
export interface SchedulingResourceArns {
  readonly jobQueueArns: readonly string[];
  /** `job-definition/<prefix>*`: the wildcard covers Metaflow's content hash and the `:revision`. */
  readonly jobDefinitionArnPattern: string;
  /** `job/*`: job ids are minted by SubmitJob, so no narrower pattern exists. */
  readonly jobArnPattern: string;
  /** The managed rule Step Functions creates for every `batch:submitJob.sync` task. */
  readonly batchEventsRuleArn: string;
  readonly bucketArn: string;
  readonly tableArn: string;
  readonly tableKeyArn?: string;
  /** `stateMachine:<prefix>*` */
  readonly stateMachineArnPattern: string;
}

const LOG_DELIVERY_REASON =
  'CloudWatch Logs vended-log delivery actions have no resource-level permissions; Step Functions ' +
  'needs them to deliver execution history to METAFLOW_SFN_EXECUTION_LOG_GROUP_ARN';

/**
 * The only actions this construct grants on Resource `*`, each because the service offers nothing
 * narrower. The template test fails on any other action granted on `*`.
 */
export const WILDCARD_RESOURCE_ALLOW_LIST: Readonly<Record<string, string>> = {
  'batch:DescribeJobs':
    'AWS Batch DescribeJobs has no resource-level permissions; the submitJob.sync integration polls it',
  'logs:CreateLogDelivery': LOG_DELIVERY_REASON,
  'logs:GetLogDelivery': LOG_DELIVERY_REASON,
  'logs:UpdateLogDelivery': LOG_DELIVERY_REASON,
  'logs:DeleteLogDelivery': LOG_DELIVERY_REASON,
  'logs:ListLogDeliveries': LOG_DELIVERY_REASON,
  'logs:PutResourcePolicy': LOG_DELIVERY_REASON,
  'logs:DescribeResourcePolicies': LOG_DELIVERY_REASON,
  'logs:DescribeLogGroups': LOG_DELIVERY_REASON,
};

/** [cfn] and [tf] both give the state machine and the Batch tasks exactly these three item calls. */
export const STATE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/**
 * With a customer managed key, DynamoDB uses the key on the caller's behalf: reads need Decrypt,
 * writes Encrypt and GenerateDataKey. The same set aws-cdk-lib's Table.grantReadWriteData grants.
 */
export const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

const allow = (sid: string, actions: string[], resources: readonly string[], conditions?: Record<string, unknown>) =>
  new iam.PolicyStatement({ sid, actions, resources: [...resources], conditions });

/** Item access to the state table, and its key when it has a customer managed one. */
export function stateTableStatements(arns: SchedulingResourceArns): iam.PolicyStatement[] {
  const statements = [allow('StateTableItems', STATE_TABLE_ACTIONS, [arns.tableArn])];
  if (arns.tableKeyArn !== undefined) statements.push(allow('StateTableKey', TABLE_KEY_ACTIONS, [arns.tableKeyArn]));
  return statements;
}

/** The policy documents of the role passed to CreateStateMachine (METAFLOW_SFN_IAM_ROLE). */
export function stepFunctionsPolicies(
  arns: SchedulingResourceArns,
  executionLogging: boolean,
): Record<string, iam.PolicyDocument> {
  const documents: Record<string, iam.PolicyDocument> = {
    BatchJobs: new iam.PolicyDocument({
      statements: [
        // [cfn] BatchPerms/DefinitionsPermissions, [tf] step_functions_batch_policy: every step is a
        // `batch:submitJob.sync` task [sfn State.batch]. Both templates allow job-definition/*.
        allow('SubmitToMetaflowQueues', ['batch:SubmitJob'], [...arns.jobQueueArns, arns.jobDefinitionArnPattern]),
        // [tf] batch:TagResource: the task passes `Tags` to SubmitJob when the flow sets Batch tags [sfn].
        // [cfn]/[tf] batch:TerminateJob: stopping an execution terminates its running job.
        allow('TagAndTerminateJobs', ['batch:TagResource', 'batch:TerminateJob'], [arns.jobArnPattern]),
        // [cfn]/[tf] JobsPermissions. Unlike them, no RegisterJobDefinition, DescribeJobDefinitions or
        // DescribeJobQueues: `step-functions create` makes those calls with the deployer's credentials.
        allow('DescribeJobs', ['batch:DescribeJobs'], ['*']),
      ],
    }),
    BatchJobEvents: new iam.PolicyDocument({
      statements: [
        // [cfn] AllowEventBridge/RuleMaintenance and PutRule, [tf] step_functions_eventbridge: the
        // .sync integration learns a job finished through this one managed rule.
        allow('ManagedRuleTargets', ['events:PutTargets', 'events:DescribeRule'], [arns.batchEventsRuleArn]),
        allow('ManagedRule', ['events:PutRule'], [arns.batchEventsRuleArn], {
          StringEquals: { 'events:detail-type': 'Batch Job State Change' },
        }),
      ],
    }),
    StateTable: new iam.PolicyDocument({
      // [cfn] DynamoDB/Items, [tf] step_functions_dynamodb: the foreach cardinality state is a
      // `dynamodb:getItem` task [sfn State.dynamo_db].
      statements: stateTableStatements(arns),
    }),
    Datastore: new iam.PolicyDocument({
      statements: [
        // [cfn] CustomS3Access, [tf] step_functions_s3 grant `s3:*Object` on the bucket; narrowed
        // here to the object verbs Metaflow's S3 datastore uses.
        allow('ListDatastore', ['s3:ListBucket'], [arns.bucketArn]),
        allow('DatastoreObjects', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${arns.bucketArn}/*`]),
      ],
    }),
  };
  if (executionLogging) {
    documents.ExecutionHistoryLogs = new iam.PolicyDocument({
      // [cfn] AllowCloudwatch/CloudwatchLogDelivery, [tf] step_functions_cloudwatch: used by
      // `step-functions create --log-execution-history`.
      statements: [
        allow(
          'LogDelivery',
          Object.keys(WILDCARD_RESOURCE_ALLOW_LIST).filter((action) => action.startsWith('logs:')),
          ['*'],
        ),
      ],
    });
  }
  return documents;
}

/** The policy of the role EventBridge assumes for a `@schedule` (METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE). */
export function eventBridgePolicies(arns: SchedulingResourceArns): Record<string, iam.PolicyDocument> {
  return {
    StartMetaflowStateMachines: new iam.PolicyDocument({
      statements: [
        // [cfn] EventBridgeRole/ExecuteStepFunction, [tf] eventbridge_step_functions_policy grant
        // stateMachine:*; [ebc] makes the flow's state machine the rule target with this role.
        allow('StartExecution', ['states:StartExecution'], [arns.stateMachineArnPattern]),
      ],
    }),
  };
}
