import type { CfnElement } from 'aws-cdk-lib';
import type { RunbookConfig } from '../infra/config';
import { apiModel, pathProblems, resultPaths, sfnExceptionName, shapeProblems } from './support/api-models';
import { type AslDefinition, type AslState, lambdaArnFor, resolveTokens, synthRunbook, TEST_ACCOUNT, TEST_REGION } from './support/synth';

// One synthesis for the whole file: it bundles every handler with esbuild.
const { config, stack, template, definition } = synthRunbook();
const d = config.deployment;

// ---------------------------------------------------------------------------------------------
// Reading the template
// ---------------------------------------------------------------------------------------------

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (type: string) => Object.values(template.findResources(type)) as Resource[];
const resourceOf = (type: string, logicalId: string) => {
  const found = template.findResources(type)[logicalId];
  if (!found) throw new Error(`no ${type} ${logicalId}`);
  return found as Resource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
};
const logicalIdOf = (constructPath: string): string => {
  const construct = stack.node.findChild(constructPath.split('/')[0] as string);
  const target = constructPath.split('/').slice(1).reduce((c, id) => c.node.findChild(id), construct);
  return stack.getLogicalId((target.node.defaultChild ?? target) as CfnElement);
};
/** The function behind the stack's one function URL. */
const endpointFunctionId = (): string => {
  const [url] = resourcesOf('AWS::Lambda::Url');
  if (!url) throw new Error('the stack has no function URL');
  return (url.Properties.TargetFunctionArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
};
const handlerSecurityGroupId = { 'Fn::GetAtt': [logicalIdOf('HandlerSecurityGroup'), 'GroupId'] };

/** The name of an ARN the stack builds, as `resolveTokens` renders it. */
const arn = (service: 'rds' | 'ecs' | 'states', resource: string) => `arn:aws:${service}:${TEST_REGION}:${TEST_ACCOUNT}:${resource}`;
const DB = arn('rds', `db:${d.dbInstanceIdentifier}`);
const SNAPSHOTS = arn('rds', 'snapshot:metaflow-migration-*');
const SERVICE = arn('ecs', `service/${d.clusterName}/${d.serviceName}`);

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}
const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const actionsOf = (s: Statement) => list(s.Action).map((a) => a.toLowerCase());
/** A statement's Condition with CloudFormation tokens (ARNs built from the region and account) resolved. */
const resolvedCondition = (condition: unknown) =>
  condition === undefined
    ? undefined
    : JSON.parse(JSON.stringify(condition, (_key, v: unknown) => (v && typeof v === 'object' && ('Fn::Join' in v || 'Ref' in v) ? resolveTokens(template, v) : v)));
const resourcesOfStatement = (s: Statement) => list(s.Resource).map((r) => resolveTokens(template, r));

/**
 * Every statement of every AWS::IAM::Policy, of every AWS::IAM::ManagedPolicy (CDK moves what does
 * not fit a role's default policy into overflow managed policies), and of any inline policy of a
 * role, with its owner.
 */
const attachedPolicies = { ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::ManagedPolicy') };
const statements: Array<{ policy: string; statement: Statement }> = [
  ...Object.entries(attachedPolicies).flatMap(([policy, r]) =>
    (r.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({ policy, statement })),
  ),
  ...Object.entries(template.findResources('AWS::IAM::Role')).flatMap(([role, r]) =>
    ((r.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) =>
      p.PolicyDocument.Statement.map((statement) => ({ policy: role, statement })),
    ),
  ),
];
/** The policies attached to the state machine's role: its default policy and any overflow of it. */
const policiesOfRole = (roleId: string) =>
  Object.entries(attachedPolicies)
    .filter(([, p]) => list(p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .map(([id]) => id);
const runbookPolicies = policiesOfRole(logicalIdOf('Runbook/Role'));
const runbookStatements = statements.filter((s) => runbookPolicies.includes(s.policy)).map((s) => s.statement);

/** Resources the state machine's role may use `action` on (IAM actions are case-insensitive). */
const runbookResourcesFor = (action: string) =>
  [...new Set(runbookStatements.filter((s) => actionsOf(s).includes(action.toLowerCase())).flatMap(resourcesOfStatement))].sort();

// ---------------------------------------------------------------------------------------------
// Reading the definition
// ---------------------------------------------------------------------------------------------

/** Every state with its name, those inside Parallel branches included. */
function flattenStates(def: AslDefinition): Array<[string, AslState]> {
  return Object.entries(def.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.Branches ?? []).flatMap(flattenStates),
  ]);
}
const allStates = flattenStates(definition);
const states = new Map(allStates);
const stateNamed = (name: string): AslState => {
  const state = states.get(name);
  if (!state) throw new Error(`no state named "${name}"`);
  return state;
};
const SDK_RESOURCE = /^arn:aws:states:::aws-sdk:(rds|ecs|sfn):(\w+)$/;
/** Optimized integrations the runbook uses besides SDK calls: notifications and the approval. */
const OPTIMIZED = new Set(['arn:aws:states:::sns:publish', 'arn:aws:states:::sns:publish.waitForTaskToken']);
const sdkTasks = allStates.flatMap(([name, state]) => {
  const match = SDK_RESOURCE.exec(state.Resource ?? '');
  return match ? [{ name, state, service: match[1] as 'rds' | 'ecs' | 'sfn', action: match[2] as string }] : [];
});

const operationOf = (task: (typeof sdkTasks)[number]) => {
  const model = apiModel(task.service);
  const name = task.action.charAt(0).toUpperCase() + task.action.slice(1);
  return { model, name, operation: model.operations[name] };
};


// ---------------------------------------------------------------------------------------------

describe('RunbookStack', () => {
  describe('logging, tracing and alarms', () => {
    it('logs every execution, with its data, to a retained log group under /aws/vendedlogs/states/', () => {
      // Prepare
      const [machine] = resourcesOf('AWS::StepFunctions::StateMachine');
      const logGroupId = logicalIdOf('RunbookLogs');

      // Act
      const logging = machine?.Properties.LoggingConfiguration;
      const logGroup = resourceOf('AWS::Logs::LogGroup', logGroupId);

      // Assess
      expect(logging).toEqual({
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      });
      expect(logGroup.Properties).toEqual({ LogGroupName: `/aws/vendedlogs/states/${config.stackName}`, RetentionInDays: 365 });
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('traces executions with X-Ray', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    });

    it.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])('alarms on the first %s and tells the notification topic', (metric) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalIdOf('Runbook') } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: logicalIdOf('Notifications') }],
      });
    });

    it('lets CloudWatch publish to the topic for its own alarms only', () => {
      const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
      const statements = Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap(
        (r) => (r.Properties.PolicyDocument.Statement as { Principal?: { Service?: string }; Condition?: Record<string, Record<string, unknown>> }[]),
      );
      const fromCloudWatch = statements.filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');

      expect(fromCloudWatch.map((s) => s.Condition?.ArnEquals?.['aws:SourceArn'])).toEqual(alarms.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    });
  });

  describe('network', () => {
    it('gives the handlers their own security group, allowed out only to the service ports', () => {
      // Prepare
      const handlerGroup = resourceOf('AWS::EC2::SecurityGroup', logicalIdOf('HandlerSecurityGroup'));

      // Act
      const egress = resourcesOf('AWS::EC2::SecurityGroupEgress').filter(
        (r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(handlerSecurityGroupId),
      );

      // Assess: any egress rule replaces the group's default allow-all rule, and none is allow-all itself.
      expect(handlerGroup.Properties).toMatchObject({ VpcId: d.vpcId });
      expect(handlerGroup.Properties.SecurityGroupEgress ?? []).toEqual([]);
      expect(egress.map((r) => r.Properties).sort((a, b) => Number(a.FromPort) - Number(b.FromPort))).toEqual(
        [d.servicePort, d.migrationPort].map((port) => expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          DestinationSecurityGroupId: d.serviceSecurityGroupId,
        })),
      );
    });

    it('admits the migration and metadata service ports on the service security group only from the handlers', () => {
      // Act
      const ingress = resourcesOf('AWS::EC2::SecurityGroupIngress').filter((r) => r.Properties.GroupId === d.serviceSecurityGroupId);

      // Assess
      expect(ingress.map((r) => r.Properties).sort((a, b) => Number(a.FromPort) - Number(b.FromPort))).toEqual(
        [8080, 8082].map((port) => expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          SourceSecurityGroupId: handlerSecurityGroupId,
        })),
      );
    });

    it('opens nothing to 0.0.0.0/0 or ::/0, in or out', () => {
      // Prepare
      const rules = [
        ...resourcesOf('AWS::EC2::SecurityGroupIngress').map((r) => r.Properties),
        ...resourcesOf('AWS::EC2::SecurityGroupEgress').map((r) => r.Properties),
        ...resourcesOf('AWS::EC2::SecurityGroup').flatMap((r) => [
          ...((r.Properties.SecurityGroupIngress ?? []) as object[]),
          ...((r.Properties.SecurityGroupEgress ?? []) as object[]),
        ]),
      ] as Array<Record<string, unknown>>;

      // Act
      const open = rules.filter((rule) => rule.CidrIp === '0.0.0.0/0' || rule.CidrIpv6 === '::/0' || rule.IpProtocol === '-1');

      // Assess
      expect(rules.length).toBeGreaterThan(0);
      expect(open).toEqual([]);
    });
  });

  describe('handler functions', () => {
    const fn = (name: string) => resourceOf('AWS::Lambda::Function', logicalIdOf(`Handlers/${name}`)).Properties;

    it.each([
      ['validate-input', false],
      ['assess-preflight', false],
      ['retarget-task-definition', false],
      ['ping-migration-service', true],
      ['get-schema-status', true],
      ['upgrade-schema', true],
      ['get-service-version', true],
    ])('runs %s on nodejs22.x, in the VPC: %s', (name, inVpc) => {
      // Act
      const properties = fn(name);

      // Assess
      expect(properties.Runtime).toBe('nodejs22.x');
      expect(properties.VpcConfig).toEqual(
        inVpc ? { SubnetIds: d.subnetIds, SecurityGroupIds: [handlerSecurityGroupId] } : undefined,
      );
    });

    it('lets the upgrade run for the configured time, within the Lambda ceiling of 900 s', () => {
      const { Timeout } = fn('upgrade-schema');
      expect(Timeout).toBeGreaterThanOrEqual(config.migration.upgradeTimeoutSeconds);
      expect(Timeout).toBeLessThanOrEqual(900);
    });

    it("ends a slow upgrade with the handler's own deadline, before Lambda or Step Functions cut it off", () => {
      // Prepare: a cut-off by Lambda or by the Task timeout would skip the "outcome unknown" path.
      const task = stateNamed('Upgrade the database schema');

      // Act
      const handlerDeadline = (task.Parameters?.timeoutMs as number) / 1000;
      const lambdaTimeout = fn('upgrade-schema').Timeout as number;

      // Assess
      expect(handlerDeadline).toBe(config.migration.upgradeTimeoutSeconds);
      expect(handlerDeadline).toBeLessThan(lambdaTimeout);
      expect(lambdaTimeout).toBeLessThan(task.TimeoutSeconds as number);
    });
  });

  describe('IAM', () => {
    /** The only actions that may be granted on Resource "*": each has no resource-level permission. */
    const WILDCARD_ALLOWED = [
      {
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        reason: 'X-Ray tracing (Lambda active tracing, Step Functions tracing): X-Ray has no resource-level permissions',
      },
      {
        actions: [
          'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
        ],
        reason: 'Step Functions execution logging goes through CloudWatch Logs vended deliveries, which AWS documents with Resource "*"',
      },
      {
        actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
        reason: 'task definitions: neither action supports resource-level permissions',
      },
      {
        actions: ['ecs:ListTasks'],
        condition: { ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:eu-west-1:123456789012:cluster/metaflow' } },
        reason: 'ListTasks authorizes on container instances; the cluster is named by condition, as the CDK itself does for ECS drain hooks',
      },
      {
        actions: ['iam:PassRole'],
        condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        reason: "the new task definition revision keeps the original's roles, unknown to the stack; only to ECS tasks",
      },
      {
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        reason: "the endpoint answers the approval's task token, which names no resource: neither action has a resource type (Service Authorization Reference)",
      },
    ];

    it('grants Resource "*" only to the allow-listed actions, and never NotAction or NotResource', () => {
      // Act
      const unexplained = statements.filter(({ statement }) => {
        if (!list(statement.Resource).includes('*')) return false;
        return !WILDCARD_ALLOWED.some(
          (entry) =>
            actionsOf(statement).every((a) => entry.actions.some((allowed) => allowed.toLowerCase() === a)) &&
            JSON.stringify(resolvedCondition(statement.Condition)) === JSON.stringify(entry.condition),
        );
      });

      // Assess
      expect(unexplained).toEqual([]);
      expect(statements.filter(({ statement }) => statement.NotAction ?? statement.NotResource)).toEqual([]);
      expect(statements.every(({ statement }) => statement.Effect === 'Allow')).toBe(true);
    });

    it('attaches only the Lambda basic and VPC-access managed policies', () => {
      const attached = resourcesOf('AWS::IAM::Role').flatMap((r) => list(r.Properties.ManagedPolicyArns).map((a) => resolveTokens(template, a)));
      expect([...new Set(attached)].sort()).toEqual([
        'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
        'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
      ]);
    });

    it.each([
      ['rds:CreateDBSnapshot', [DB, SNAPSHOTS]],
      ['rds:DescribeDBSnapshots', [DB, SNAPSHOTS]],
      ['rds:AddTagsToResource', [SNAPSHOTS, arn('rds', `db:${d.dbInstanceIdentifier}*-pre-*`), arn('rds', `db:${d.dbInstanceIdentifier}*-restored-*`)]],
      ['states:ListExecutions', [arn('states', 'stateMachine:MetaflowMigrationRunbook')]],
      ['sns:Publish', ['arn:aws:sns:eu-west-1:123456789012:Notifications87298708']],
      ['rds:ModifyDBInstance', [DB, arn('rds', `db:${d.dbInstanceIdentifier}*-pre-*`), arn('rds', `db:${d.dbInstanceIdentifier}*-restored-*`)]],
      [
        'rds:RestoreDBInstanceFromDBSnapshot',
        [arn('rds', `db:${d.dbInstanceIdentifier}*-restored-*`), SNAPSHOTS, arn('rds', 'subgrp:*'), arn('rds', 'pg:*'), arn('rds', 'og:*')],
      ],
      ['ecs:UpdateService', [SERVICE]],
      ['ecs:DescribeServices', [SERVICE]],
    ])('lets the state machine use %s only on its own resources', (action, expected) => {
      expect(runbookResourcesFor(action)).toEqual([...expected].sort());
    });

    it('lets the state machine call every SDK action its Tasks use', () => {
      // Act
      const granted = new Set(runbookStatements.flatMap(actionsOf));
      // IAM names Step Functions' own actions `states:`, not `sfn:`.
      const missing = sdkTasks.map((t) => `${t.service === 'sfn' ? 'states' : t.service}:${t.action}`).filter((a) => !granted.has(a.toLowerCase()));

      // Assess
      expect(sdkTasks.length).toBeGreaterThan(0);
      expect(missing).toEqual([]);
    });

    it('lets the state machine invoke the runbook handlers and nothing else, not the endpoint people call', () => {
      // Prepare
      const endpoint = lambdaArnFor(endpointFunctionId());
      const functions = Object.keys(template.findResources('AWS::Lambda::Function')).map(lambdaArnFor).filter((f) => f !== endpoint);

      // Act
      const invocable = runbookResourcesFor('lambda:InvokeFunction');

      // Assess
      expect(invocable).toEqual(functions.flatMap((f) => [f, `${f}:*`]).sort());
    });
  });

  describe('identities: the endpoint and its attestation key', () => {
    /** The statements of a function's role (its default policy), by the function's logical id. */
    const statementsOfFunction = (functionId: string): Statement[] => {
      const role = (resourceOf('AWS::Lambda::Function', functionId).Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const policies = policiesOfRole(role);
      return statements.filter((s) => policies.includes(s.policy)).map((s) => s.statement);
    };
    const roleArnOf = (functionId: string) => resourceOf('AWS::Lambda::Function', functionId).Properties.Role;
    const [keyId, key] = Object.entries(template.findResources('AWS::KMS::Key'))[0] as [string, Resource];
    const verifierId = logicalIdOf('Handlers/verify-identity');
    /** Who is granted `action` by any identity policy of the stack, as function logical ids. */
    const grantedTo = (action: string) =>
      Object.keys(template.findResources('AWS::Lambda::Function')).filter((fn) => statementsOfFunction(fn).some((st) => actionsOf(st).includes(action.toLowerCase())));

    it('serves the endpoint from a function URL that IAM authenticates, and outputs its URL for the CLI', () => {
      const [url] = resourcesOf('AWS::Lambda::Url');
      expect(resourcesOf('AWS::Lambda::Url')).toHaveLength(1);
      expect(url?.Properties.AuthType).toBe('AWS_IAM');
      expect(endpointFunctionId()).toBe(logicalIdOf('Handlers/runbook-endpoint'));
      // With AWS_IAM the caller's own policies decide: no public statement on the function.
      expect(resourcesOf('AWS::Lambda::Permission').filter((p) => p.Properties.FunctionUrlAuthType === 'NONE')).toEqual([]);
      expect(template.toJSON().Outputs.EndpointUrl.Value).toEqual({ 'Fn::GetAtt': [logicalIdOf('Handlers/runbook-endpoint/FunctionUrl'), 'FunctionUrl'] });
    });

    it('attests with an HMAC_256 key for GenerateMac/VerifyMac, scheduled for deletion with the stack', () => {
      expect(key.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', PendingWindowInDays: 7 });
      expect(resourceOf('AWS::KMS::Key', keyId).DeletionPolicy).toBe('Delete');
    });

    it.each([
      ['kms:GenerateMac', 'Handlers/runbook-endpoint'],
      ['kms:VerifyMac', 'Handlers/verify-identity'],
    ])('lets only one role %s: the key policy denies every other principal, and only that role is granted it', (action, owner) => {
      // Prepare
      const policy = key.Properties.KeyPolicy as { Statement: Statement[] };
      const ownerId = logicalIdOf(owner);

      // Act
      const denies = policy.Statement.filter((st) => st.Effect === 'Deny' && actionsOf(st).includes(action.toLowerCase()));

      // Assess
      expect(denies).toEqual([
        expect.objectContaining({ Principal: { AWS: '*' }, Resource: '*', Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArnOf(ownerId) } } }),
      ]);
      expect(grantedTo(action)).toEqual([ownerId]);
      const grant = statementsOfFunction(ownerId).find((st) => actionsOf(st).includes(action.toLowerCase()));
      expect(grant?.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(grant?.Condition).toEqual({ StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } });
    });

    it('lets the endpoint start this state machine, read its executions and answer a task token, and nothing else', () => {
      // Act
      const granted = statementsOfFunction(endpointFunctionId())
        .filter((st) => !actionsOf(st).some((a) => a.startsWith('xray:') || a.startsWith('kms:')))
        .map((st) => [actionsOf(st).sort(), resourcesOfStatement(st)]);

      // Assess
      expect(granted).toEqual([
        [['states:startexecution'], [arn('states', `stateMachine:${config.stackName}`)]],
        [['states:getexecutionhistory'], [arn('states', `execution:${config.stackName}:*`)]],
        [['states:sendtaskfailure', 'states:sendtasksuccess'], ['*']],
      ]);
      expect(grantedTo('states:SendTaskSuccess')).toEqual([endpointFunctionId()]);
    });

    it("gives the endpoint the approval policy and the names it needs in its environment, and the verifier the same policy in its Task's payload", () => {
      // Act
      const variables = resourceOf('AWS::Lambda::Function', endpointFunctionId()).Properties.Environment as { Variables: Record<string, unknown> };
      const check = stateNamed('Verify who approved').Parameters as Record<string, unknown>;

      // Assess
      expect({ ...variables.Variables, RUNBOOK_STATE_MACHINE_ARN: resolveTokens(template, variables.Variables.RUNBOOK_STATE_MACHINE_ARN) }).toMatchObject({
        RUNBOOK_STATE_MACHINE_ARN: arn('states', `stateMachine:${config.stackName}`),
        RUNBOOK_KEY_ARN: { 'Fn::GetAtt': [keyId, 'Arn'] },
        RUNBOOK_APPROVERS: JSON.stringify(config.approval.approvers),
        RUNBOOK_ALLOW_SELF_APPROVAL: String(config.approval.allowSelfApproval),
      });
      expect(check).toMatchObject({ approvers: config.approval.approvers, allowSelfApproval: config.approval.allowSelfApproval, timeoutMinutes: config.approval.timeoutMinutes });
      expect(stateNamed('Verify who approved').Resource).toBe(lambdaArnFor(verifierId));
    });

    it('checks who asked right after the input is validated, and who answered before "Change approved"; a refused answer ends with nothing changed', () => {
      expect(stateNamed('Validate the execution input').Next).toBe('Verify who asked');
      expect(stateNamed('Verify who asked').Next).toBe('Describe the DB instance');
      expect(stateNamed('Wait for approval').Next).toBe('Verify who approved');
      expect(stateNamed('Verify who approved').Next).toBe('Change approved');
      expect(stateNamed('Verify who approved').Catch?.map((c) => [c.ErrorEquals, c.ResultPath, c.Next])).toEqual([
        [['ApproverNotVerified', 'ApproverNotAllowed', 'SelfApprovalRefused'], '$.error', 'Report the refused change'],
        [['States.ALL'], '$.error', 'Report the refused change'],
      ]);
      expect(stateNamed('Wait for approval').Catch?.find((c) => c.ErrorEquals.includes('ChangeRejected'))?.Next).toBe('Verify who rejected');
      expect(stateNamed('Verify who rejected').Next).toBe('Report the refused change');
    });
  });

  describe('state machine definition', () => {
    it('outlasts every bounded wait, the approval and the upgrade, so a wait always gives up (and rolls back) before the execution times out', () => {
      // Prepare: each poll's Choice gives up at `attempts >= N`; its pause is the Wait after the count.
      const attemptsLimit = (choice: AslState) =>
        Number((JSON.stringify(choice.Choices).match(/"NumericGreaterThanEquals":(\d+)/) ?? [])[1] ?? 0);
      const polls = allStates.filter(([, s]) => s.Type === 'Choice' && /\$\.polls\.\w+\.attempts/.test(JSON.stringify(s.Choices)));
      const pollSeconds = polls.map(([, choice]) => {
        const pause = stateNamed(stateNamed(choice.Default as string).Next as string);
        return attemptsLimit(choice) * Number(pause.Seconds);
      });
      const taskTimeouts = allStates.map(([, s]) => Number(s.TimeoutSeconds ?? 0));

      // Act
      const worstCase = [...pollSeconds, ...taskTimeouts].reduce((a, b) => a + b, 0);

      // Assess
      expect(polls.length).toBeGreaterThan(5);
      expect(stateNamed('Wait for approval').TimeoutSeconds).toBe(config.approval.timeoutMinutes * 60);
      expect(definition.TimeoutSeconds).toBeGreaterThan(worstCase);
    });

    it('calls only rds, ecs and sfn through SDK integrations, SNS for notifications and approval, and the runbook handlers', () => {
      // Prepare
      const handlers = new Set(Object.keys(template.findResources('AWS::Lambda::Function')).map(lambdaArnFor));

      // Act
      const others = allStates
        .filter(([, s]) => s.Type === 'Task')
        .filter(([, s]) => !SDK_RESOURCE.test(s.Resource ?? '') && !OPTIMIZED.has(s.Resource ?? '') && !handlers.has(s.Resource ?? ''));

      // Assess
      expect(others).toEqual([]);
    });

    it('sends only parameters that the AWS API models define, in Step Functions casing, with every required one', () => {
      // Act
      // A Task without Parameters sends a request preflight built from the parity table (its InputPath);
      // the handler's tests check those requests against the same models.
      const problems = sdkTasks.flatMap((task) => {
        const { model, name, operation } = operationOf(task);
        if (!operation?.input) return [`${task.name}: ${task.service} has no operation ${name} with an input`];
        if (task.state.Parameters === undefined) {
          return String(task.state.InputPath).startsWith('$.original.') ? [] : [`${task.name}: neither Parameters nor a request built by preflight`];
        }
        return shapeProblems(model, operation.input.shape, task.state.Parameters, task.name);
      });

      // Assess
      expect(problems).toEqual([]);
      expect(sdkTasks.map((t) => t.action)).toEqual(expect.arrayContaining(['createDBSnapshot', 'restoreDBInstanceFromDBSnapshot', 'updateService']));
    });

    it('never sends a parameter in the API reference casing (DBInstanceIdentifier) instead of the SDK one', () => {
      const apiCased = sdkTasks.flatMap((t) => Object.keys(t.state.Parameters ?? {}).filter((k) => /^DB|^[a-z]/.test(k)).map((k) => `${t.name}.${k}`));
      expect(apiCased).toEqual([]);
    });

    it('reads only result fields that the AWS API models define', () => {
      // Act
      const problems = sdkTasks.flatMap((task) => {
        const { model, operation } = operationOf(task);
        return Object.entries(task.state.ResultSelector ?? {})
          .filter(([key, value]) => key.endsWith('.$') && typeof value === 'string')
          .flatMap(([, value]) => resultPaths(value as string))
          .flatMap((p) => pathProblems(model, operation?.output?.shape as string, p, task.name));
      });

      // Assess
      expect(problems).toEqual([]);
    });

    it('retries and catches only errors that the AWS API models define, or the generic service exception', () => {
      // Prepare
      const known = (service: 'rds' | 'ecs') => {
        const prefix = service === 'rds' ? 'Rds' : 'Ecs';
        const shapes = Object.entries(apiModel(service).shapes).filter(([, s]) => s.exception).map(([n]) => sfnExceptionName(n));
        return new Set([`${prefix}Exception`, ...shapes].map((n) => `${prefix}.${n}`));
      };
      const errors = { rds: known('rds'), ecs: known('ecs') };

      // Act
      const named = allStates.flatMap(([, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals));
      const unknown = named.filter((e) => /^(Rds|Ecs)\./.test(e) && !errors[e.startsWith('Rds') ? 'rds' : 'ecs'].has(e));

      // Assess
      expect(named).toEqual(expect.arrayContaining(['Rds.InvalidDbInstanceStateException', 'Ecs.ServerException']));
      expect(unknown).toEqual([]);
    });

    it('sends the upgrade request once: no Retry, and a lost answer is settled by polling', () => {
      const upgrade = stateNamed('Upgrade the database schema');
      expect(upgrade.Retry).toBeUndefined();
      expect(upgrade.Catch).toEqual([{ ErrorEquals: ['UpgradeOutcomeUnknown'], Next: 'Wait for the upgrade outcome', ResultPath: '$.upgrade' }]);
    });

    it('retries only named errors, never States.ALL or States.TaskFailed, and always a bounded number of times', () => {
      // Act
      const retriers = allStates.flatMap(([name, s]) => (s.Retry ?? []).map((r) => ({ name, ...r })));
      const unbounded = retriers.filter((r) => !Number.isInteger(r.MaxAttempts) || (r.MaxAttempts as number) < 1);
      const catchAll = retriers.filter((r) => r.ErrorEquals.some((e) => e === 'States.ALL' || e === 'States.TaskFailed'));

      // Assess
      expect(retriers.length).toBeGreaterThan(0);
      expect(unbounded).toEqual([]);
      expect(catchAll).toEqual([]);
    });

    describe('waits', () => {
      /** Which configured poll bounds each `$.polls.<counter>` loop. */
      const POLL_CONFIG: Record<string, keyof RunbookConfig['waits']> = {
        planTaskStop: 'service',
        snapshot: 'snapshot',
        scaleToOne: 'service',
        restartForMigration: 'service',
        restartOnNewSchema: 'service',
        scaleBack: 'service',
        rollbackRestart: 'service',
        upgradeSettle: 'upgradeSettle',
        rename: 'instance',
        restore: 'restore',
        restoreSettings: 'instance',
        takeOver: 'instance',
        renameBack: 'instance',
      };
      const attemptsOf = (choice: AslState) => /\$\.polls\.(\w+)\.attempts/.exec(JSON.stringify(choice.Choices))?.[1];
      const loops = allStates.filter(([, s]) => s.Type === 'Choice' && attemptsOf(s)).map(([name, s]) => [name, s, attemptsOf(s) as string] as const);
      /** Counters a poll starts: its entry state writes `{ attempts: 1 }` to `$.polls.<counter>`. */
      const started = allStates
        .filter(([, s]) => s.Type === 'Pass' && s.Parameters?.attempts === 1 && String(s.ResultPath).startsWith('$.polls.'))
        .map(([, s]) => String(s.ResultPath).slice('$.polls.'.length));

      it('bounds every poll it starts with a configured number of attempts, and pauses only inside such a loop', () => {
        // Act
        const bounded = loops.map(([, , counter]) => counter);
        const pauses = loops.map(([, choice]) => stateNamed(stateNamed(choice.Default as string).Next as string));
        const waits = allStates.filter(([, s]) => s.Type === 'Wait').map(([, s]) => s);

        // Assess
        expect([...started].sort()).toEqual(Object.keys(POLL_CONFIG).sort());
        expect([...new Set(bounded)].sort()).toEqual([...started].sort());
        expect(new Set(pauses)).toEqual(new Set(waits));
      });

      it.each(loops.map(([name, choice, counter]) => [name, counter, choice] as const))(
        '"%s" gives up after the configured attempts of $.polls.%s, through a Fail state',
        (_name, counter, choice) => {
          // Prepare
          const poll = config.waits[POLL_CONFIG[counter] as keyof RunbookConfig['waits']];
          const attempts = `$.polls.${counter}.attempts`;

          // Act
          const bound = (choice.Choices ?? []).find((rule) => rule.Variable === attempts && 'NumericGreaterThanEquals' in rule);
          const count = stateNamed(choice.Default as string);
          const pause = stateNamed(count.Next as string);

          // Assess: the bound ends in a Fail; otherwise the loop counts, pauses the interval and checks again.
          expect(bound?.NumericGreaterThanEquals).toBe(poll.maxAttempts);
          expect(stateNamed(bound?.Next as string).Type).toBe('Fail');
          expect(count.Parameters?.['attempts.$']).toBe(`States.MathAdd(${attempts}, 1)`);
          expect(count.ResultPath).toBe(`$.polls.${counter}`);
          expect(pause).toMatchObject({ Type: 'Wait', Seconds: poll.intervalSeconds });
          // ... and back through the check to the question, whose "not yet" is this bound.
          expect(stateNamed(stateNamed(pause.Next as string).Next as string).Default).toBe(_name);
        },
      );

      it('counts a "not yet" error of a check against the same bound as a "not yet" answer', () => {
        // Every check inside a loop: the Task its pause goes back to.
        const checks = loops.map(([, choice, counter]) => [stateNamed(stateNamed(stateNamed(choice.Default as string).Next as string).Next as string), counter] as const);

        // Each Catch that stays inside the wait (neither a rollback nor the phase's failure path) must
        // go through a Choice that enforces the same counter's bound.
        const unbounded = checks.flatMap(([check, counter]) =>
          (check.Catch ?? [])
            .filter((c) => String(c.ResultPath ?? '').startsWith(`$.polls.${counter}`))
            .filter((c) => attemptsOf(stateNamed(c.Next)) !== counter)
            .map((c) => `${c.ErrorEquals.join(',')} → ${c.Next}`),
        );
        expect(checks.length).toBeGreaterThan(0);
        expect(unbounded).toEqual([]);
      });
    });

    it.each([
      ['Prepare: one task, the new image, the snapshot', '$.error', 'Schema untouched: keep the database'],
      ['Upgrade the schema and return to service', '$.error', 'Could the schema have changed?'],
      ['Roll back', '$.rollbackError', 'Describe the DB instances after the failed rollback'],
    ])('catches any failure of "%s" into %s, keeping the input, and goes to "%s"', (name, resultPath, next) => {
      const parallel = stateNamed(name);
      expect(parallel.Type).toBe('Parallel');
      expect(parallel.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next }]);
    });

    it('explains every state with a Comment, Choices and Fails included: the console shows it beside the graph', () => {
      const silent = allStates.filter(([, s]) => !s.Comment?.trim()).map(([name]) => name);
      expect(silent).toEqual([]);
      expect(allStates.filter(([, s]) => s.Type === 'Task' || s.Type === 'Wait').length).toBeGreaterThan(0);
    });

    it('names every state once, in at most 80 characters and without control characters', () => {
      // Act
      const bad = allStates.map(([name]) => name).filter((n) => n.length === 0 || n.length > 80 || /\p{Cc}/u.test(n));

      // Assess
      expect(bad).toEqual([]);
      expect(states.size).toBe(allStates.length);
    });
  });
});
