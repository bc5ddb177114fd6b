import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError, parseSchedulingConfig } from '../infra/config';
import {
  MetaflowStepFunctionsPrerequisites,
  WILDCARD_RESOURCE_ALLOW_LIST,
} from '../infra/scheduling/metaflow-scheduling';
import { addSchedulingStackFromContext, MetaflowSchedulingStack } from '../infra/scheduling/scheduling-stack';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const QUEUES = [
  `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/metaflow`,
  `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/metaflow-gpu`,
];
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const TABLE_ARN = { 'Fn::GetAtt': [Match.stringLikeRegexp('^PrerequisitesStateTable'), 'Arn'] };

const baseConfig = {
  env: { account: ACCOUNT, region: REGION },
  s3BucketName: 'metaflow-datastore',
  batchJobQueueArns: QUEUES,
  batchJobRoleName: 'metaflow-batch-s3-task-role',
  stateMachineNamePrefix: 'mfprod',
};

function synth(changes: Record<string, unknown> = {}): Template {
  const config = parseSchedulingConfig({ ...baseConfig, ...changes });
  return Template.fromStack(new MetaflowSchedulingStack(new App(), 'Scheduling', { config, env: config.env }));
}

/** How CDK renders an ARN it built with formatArn: the partition stays a pseudo parameter. */
const arn = (literal: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, literal.replace(/^arn:aws/, '')]],
});

const trustedBy = (service: string) => ({
  Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: service } }],
});

/** Asserts that the role `service` assumes carries, in the named inline policy, this statement. */
function expectRoleStatement(template: Template, service: string, policyName: string, statement: object): void {
  template.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: trustedBy(service),
    Policies: Match.arrayWith([
      Match.objectLike({
        PolicyName: policyName,
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', ...statement })]) },
      }),
    ]),
  });
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every statement of every identity policy in the template: role inline policies and AWS::IAM::Policy. */
function allStatements(template: Template): Statement[] {
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Role')).flatMap(
      (role) => (role.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>,
    ),
    ...Object.values(template.findResources('AWS::IAM::Policy')).map(
      (policy) => policy.Properties as { PolicyDocument: { Statement: Statement[] } },
    ),
  ];
  return documents.flatMap((doc) => doc.PolicyDocument.Statement);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('MetaflowSchedulingStack', () => {
  const template = synth();
  const sfn = 'states.amazonaws.com';

  describe('Step Functions role (METAFLOW_SFN_IAM_ROLE)', () => {
    it('is assumable by Step Functions', () => {
      template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: trustedBy(sfn) });
    });

    it('submits jobs only to the configured queues with Metaflow job definitions', () => {
      expectRoleStatement(template, sfn, 'BatchJobs', {
        Action: 'batch:SubmitJob',
        Resource: [...QUEUES, arn(`arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/metaflow_*`)],
      });
    });

    it('tags and terminates jobs of this account and region, and describes jobs anywhere', () => {
      expectRoleStatement(template, sfn, 'BatchJobs', {
        Action: ['batch:TagResource', 'batch:TerminateJob'],
        Resource: arn(`arn:aws:batch:${REGION}:${ACCOUNT}:job/*`),
      });
      expectRoleStatement(template, sfn, 'BatchJobs', { Action: 'batch:DescribeJobs', Resource: '*' });
    });

    it('does not register or describe job definitions: the deployer does that', () => {
      const actions = allStatements(template).flatMap(actionsOf);
      expect(actions).not.toContain('batch:RegisterJobDefinition');
      expect(actions).not.toContain('batch:DescribeJobDefinitions');
    });

    it('maintains only the managed Batch rule, creating it only for Batch job state changes', () => {
      const rule = arn(`arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForBatchJobsRule`);
      expectRoleStatement(template, sfn, 'BatchJobEvents', {
        Action: ['events:PutTargets', 'events:DescribeRule'],
        Resource: rule,
      });
      expectRoleStatement(template, sfn, 'BatchJobEvents', {
        Action: 'events:PutRule',
        Resource: rule,
        Condition: { StringEquals: { 'events:detail-type': 'Batch Job State Change' } },
      });
    });

    it('gets, puts and updates items of the state table only', () => {
      expectRoleStatement(template, sfn, 'StateTable', {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: TABLE_ARN,
      });
    });

    it('lists the datastore bucket and reads, writes and deletes its objects only', () => {
      expectRoleStatement(template, sfn, 'Datastore', {
        Action: 's3:ListBucket',
        Resource: arn('arn:aws:s3:::metaflow-datastore'),
      });
      expectRoleStatement(template, sfn, 'Datastore', {
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: arn('arn:aws:s3:::metaflow-datastore/*'),
      });
    });

    it('may deliver execution history logs, unless allowExecutionHistoryLogging is false', () => {
      expectRoleStatement(template, sfn, 'ExecutionHistoryLogs', {
        Action: Match.arrayWith(['logs:CreateLogDelivery', 'logs:PutResourcePolicy']),
        Resource: '*',
      });
      const withoutLogging = allStatements(synth({ allowExecutionHistoryLogging: false })).flatMap(actionsOf);
      expect(withoutLogging.filter((a) => a.startsWith('logs:'))).toEqual([]);
    });
  });

  it('lets the EventBridge role only start state machines named under the prefix', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: trustedBy('events.amazonaws.com'),
      Policies: [
        {
          PolicyName: 'StartMetaflowStateMachines',
          PolicyDocument: {
            Statement: [
              {
                Action: 'states:StartExecution',
                Effect: 'Allow',
                Resource: arn(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:mfprod*`),
              },
            ],
          },
        },
      ],
    });
  });

  describe('state table (METAFLOW_SFN_DYNAMO_DB_TABLE)', () => {
    it('is keyed on pathspec with TTL on ttl, on-demand, with point-in-time recovery and encryption', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: 'metaflow-step-functions-state',
        KeySchema: [{ AttributeName: 'pathspec', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pathspec', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    });

    it('is retained when the stack is deleted or the table replaced', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('is encrypted with kmsKeyArn when given, which both the state machine and Batch jobs may use', () => {
      const withKey = synth({ kmsKeyArn: KEY_ARN, dynamoDbTableName: 'mf-sfn-state' });
      withKey.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: 'mf-sfn-state',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY_ARN },
      });
      const keyStatement = { Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']), Resource: KEY_ARN };
      expectRoleStatement(withKey, sfn, 'StateTable', keyStatement);
      withKey.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(keyStatement)]) },
      });
    });
  });

  describe('Batch job role policy', () => {
    const tablePolicy = {
      Statement: [
        {
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Effect: 'Allow',
          Resource: TABLE_ARN,
        },
      ],
    };

    it('attaches state table item access to the existing role named in the config', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: ['metaflow-batch-s3-task-role'],
        PolicyDocument: tablePolicy,
      });
      template.resourceCountIs('AWS::IAM::Policy', 1);
    });

    it('attaches to a role given by ARN, path and all', () => {
      const byArn = synth({
        batchJobRoleName: undefined,
        batchJobRoleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/metaflow-batch`,
      });
      byArn.hasResourceProperties('AWS::IAM::Policy', { Roles: ['metaflow-batch'], PolicyDocument: tablePolicy });
    });

    it('refuses at synth a role in another account, where the policy would silently not attach', () => {
      const stack = new Stack(new App(), 'Other', { env: { account: ACCOUNT, region: REGION } });
      expect(
        () =>
          new MetaflowStepFunctionsPrerequisites(stack, 'Prerequisites', {
            s3BucketName: 'metaflow-datastore',
            batchJobQueueArns: QUEUES,
            batchJobRole: { roleArn: 'arn:aws:iam::999999999999:role/metaflow-batch' },
            stateMachineNamePrefix: 'mfprod',
          }),
      ).toThrow(/same account/);
    });
  });

  it.each([
    ['the default config', {}],
    ['a customer managed key', { kmsKeyArn: KEY_ARN }],
    ['a role given by ARN', { batchJobRoleName: undefined, batchJobRoleArn: `arn:aws:iam::${ACCOUNT}:role/mf` }],
  ])('grants Resource "*" only for allow-listed actions (%s)', (_case, changes) => {
    for (const statement of allStatements(synth(changes))) {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      if (!resources.includes('*')) continue;
      for (const action of actionsOf(statement)) expect(WILDCARD_RESOURCE_ALLOW_LIST).toHaveProperty([action]);
    }
  });

  it('gives every allow-listed action a reason, and uses every one of them', () => {
    const wildcardActions = allStatements(template)
      .filter((s) => s.Resource === '*')
      .flatMap(actionsOf);
    for (const [action, reason] of Object.entries(WILDCARD_RESOURCE_ALLOW_LIST)) {
      expect(reason.length).toBeGreaterThan(20);
      expect(wildcardActions).toContain(action);
    }
  });

  describe('outputs', () => {
    it.each([
      ['MetaflowSfnIamRole', 'METAFLOW_SFN_IAM_ROLE', { 'Fn::GetAtt': [Match.stringLikeRegexp('StepFunctionsRole'), 'Arn'] }],
      [
        'MetaflowEventsSfnAccessIamRole',
        'METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE',
        { 'Fn::GetAtt': [Match.stringLikeRegexp('EventBridgeRole'), 'Arn'] },
      ],
      ['MetaflowSfnDynamoDbTable', 'METAFLOW_SFN_DYNAMO_DB_TABLE', { Ref: Match.stringLikeRegexp('StateTable') }],
      ['MetaflowSfnStateMachinePrefix', 'METAFLOW_SFN_STATE_MACHINE_PREFIX', 'mfprod'],
    ])('%s fills %s', (id, key, value) => {
      template.hasOutput(id, { Value: value, Description: Match.stringLikeRegexp(key) });
    });

    it('MetaflowConfigSnippet is the JSON of those keys once CloudFormation resolves it', () => {
      const snippet = template.findOutputs('MetaflowConfigSnippet').MetaflowConfigSnippet?.Value as {
        'Fn::Join': [string, Array<string | { Ref: string } | { 'Fn::GetAtt': [string, string] }>];
      };
      // Stand-ins for what CloudFormation substitutes at deploy time.
      const resolved = snippet['Fn::Join'][1]
        .map((part) =>
          typeof part === 'string' ? part : 'Ref' in part ? `<${part.Ref}>` : `<${part['Fn::GetAtt'].join('.')}>`,
        )
        .join(snippet['Fn::Join'][0]);
      expect(JSON.parse(resolved)).toEqual({
        METAFLOW_SFN_IAM_ROLE: expect.stringMatching(/^<PrerequisitesStepFunctionsRole\w+\.Arn>$/),
        METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE: expect.stringMatching(/^<PrerequisitesEventBridgeRole\w+\.Arn>$/),
        METAFLOW_SFN_DYNAMO_DB_TABLE: expect.stringMatching(/^<PrerequisitesStateTable\w+>$/),
        METAFLOW_SFN_STATE_MACHINE_PREFIX: 'mfprod',
      });
    });
  });
});

describe('addSchedulingStackFromContext', () => {
  it('adds no stack when the schedulingConfig context key is absent', () => {
    const app = new App();
    expect(addSchedulingStackFromContext(app)).toBeUndefined();
    expect(app.node.children).toHaveLength(0);
  });

  it('adds the stack under the configured name when schedulingConfig names a file', () => {
    const app = new App({ context: { schedulingConfig: 'config/scheduling.example.json' } });
    const stack = addSchedulingStackFromContext(app);
    expect(stack?.stackName).toBe('MetaflowSchedulingPrerequisites');
    expect(stack?.account).toBe(ACCOUNT);
  });

  it('raises a ConfigError naming the file and the bad key', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'scheduling-')), 'scheduling.json');
    writeFileSync(path, JSON.stringify({ ...baseConfig, stateMachineNamePrefix: '*' }));
    const app = new App({ context: { schedulingConfig: path } });
    let error: unknown;
    try {
      addSchedulingStackFromContext(app);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe(path);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^stateMachineNamePrefix: /)]);
  });
});
