import { type App, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { loadSchedulingConfig, type SchedulingConfig } from '../config';
import { MetaflowStepFunctionsPrerequisites, type BatchJobRoleReference } from './metaflow-scheduling';

/** `cdk synth -c schedulingConfig=config/scheduling.json` adds this stack to the app. */
export const SCHEDULING_CONFIG_CONTEXT_KEY = 'schedulingConfig';

export interface MetaflowSchedulingStackProps extends StackProps {
  readonly config: SchedulingConfig;
}

/**
 * The Step Functions prerequisites on their own, so a team can deploy them without the runbook:
 * `cdk deploy MetaflowSchedulingPrerequisites -c schedulingConfig=...`. Each output is named for
 * the Metaflow configuration key it fills.
 */
export class MetaflowSchedulingStack extends Stack {
  public readonly prerequisites: MetaflowStepFunctionsPrerequisites;

  constructor(scope: Construct, id: string, props: MetaflowSchedulingStackProps) {
    super(scope, id, {
      description: 'Roles and DynamoDB table Metaflow needs to schedule flows on AWS Step Functions',
      ...props,
    });
    const { config } = props;
    this.prerequisites = new MetaflowStepFunctionsPrerequisites(this, 'Prerequisites', {
      s3BucketName: config.s3BucketName,
      batchJobQueueArns: config.batchJobQueueArns,
      batchJobDefinitionNamePrefix: config.batchJobDefinitionNamePrefix,
      batchJobRole: batchJobRoleOf(config),
      stateMachineNamePrefix: config.stateMachineNamePrefix,
      dynamoDbTableName: config.dynamoDbTableName,
      kmsKeyArn: config.kmsKeyArn,
      allowExecutionHistoryLogging: config.allowExecutionHistoryLogging,
    });

    const p = this.prerequisites;
    // Logical ids cannot hold underscores, so each id is its key in PascalCase and the description names the key.
    const outputs: ReadonlyArray<readonly [id: string, key: string, value: string]> = [
      ['MetaflowSfnIamRole', 'METAFLOW_SFN_IAM_ROLE', p.stepFunctionsRole.roleArn],
      ['MetaflowEventsSfnAccessIamRole', 'METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE', p.eventBridgeRole.roleArn],
      ['MetaflowSfnDynamoDbTable', 'METAFLOW_SFN_DYNAMO_DB_TABLE', p.stateTable.tableName],
      // Not created here, but the EventBridge role only works for state machines named under it.
      ['MetaflowSfnStateMachinePrefix', 'METAFLOW_SFN_STATE_MACHINE_PREFIX', config.stateMachineNamePrefix],
    ];
    for (const [id, key, value] of outputs) {
      new CfnOutput(this, id, { value, description: `Metaflow configuration key ${key}` });
    }
    new CfnOutput(this, 'MetaflowConfigSnippet', {
      value: this.toJsonString(Object.fromEntries(outputs.map(([, key, value]) => [key, value]))),
      description: 'Keys to merge into ~/.metaflowconfig/config.json',
    });
  }
}

function batchJobRoleOf(config: SchedulingConfig): BatchJobRoleReference {
  if (config.batchJobRoleArn !== undefined) return { roleArn: config.batchJobRoleArn };
  if (config.batchJobRoleName !== undefined) return { roleName: config.batchJobRoleName };
  // parseSchedulingConfig rejects a config naming neither, so only a hand-built one gets here.
  throw new Error('the scheduling config names no Batch job role (batchJobRoleName or batchJobRoleArn)');
}

/** Adds the scheduling stack when the `schedulingConfig` context key names a config file. */
export function addSchedulingStackFromContext(app: App): MetaflowSchedulingStack | undefined {
  const path: unknown = app.node.tryGetContext(SCHEDULING_CONFIG_CONTEXT_KEY);
  if (path === undefined) return undefined;
  const config = loadSchedulingConfig(String(path));
  return new MetaflowSchedulingStack(app, config.stackName, { config, env: config.env });
}
