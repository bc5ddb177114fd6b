import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import example from '../../config/example.json';
import { allStates, type Json, resolveTokens, type Template } from '../../rehearsal/assembly';
import { rehearse } from '../../rehearsal/run';
import { FIXTURES } from '../../rehearsal/fixtures';
import { SCENARIOS } from '../../rehearsal/scenarios';
import { ACCOUNT, REGION } from '../../rehearsal/sim/deployment';
import { SimulatedEcs } from '../../rehearsal/sim/ecs';
import {
  ACCESS_DENIED,
  AUTHORIZED_CALLS,
  type AwsCall,
  callOfTask,
  createAuthorizer,
  type Decision,
  defaultKeyPolicy,
  type PolicyDocument,
  type Principal,
  type Principals,
  principalsFromTemplate,
  requiredAuthorizations,
  type WorldLookup,
} from '../../rehearsal/sim/iam';
import { runbookAssembly } from '../support/assembly';
import { synthRunbook } from '../support/synth';
import { actionsOf, policyDocuments, type Statement, withoutStatements } from '../support/template-policies';

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const KEY = arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab');
/** The simulated deployment's snapshots are not encrypted: no KMS key to authorize. */
/** The example deployment's account: its snapshots unencrypted, its task definitions run with its two roles. */
const UNENCRYPTED: WorldLookup = {
  snapshotKey: () => undefined,
  taskDefinition: (reference) => ({
    arn: reference.startsWith('arn:') ? reference : `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${reference}`,
    taskRoleArn: FIXTURES.example.service.taskRoleArn,
    executionRoleArn: FIXTURES.example.service.executionRoleArn,
  }),
};
const ENCRYPTED: WorldLookup = { ...UNENCRYPTED, snapshotKey: () => KEY };

// The real stack, as `cdk synth` writes it for the example configuration: the template the rehearsal runs.
const assembly = runbookAssembly();
const template = assembly.template;
const principals = principalsFromTemplate(template);
const machine = principals.stateMachine;

/** The template with `statement` added to the policy attached to the state machine's role. */
function withMachineStatement(source: Template, statement: Statement): Template {
  const copy = structuredClone(source);
  const attached = Object.values(copy.Resources).find(
    (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: machine.roleLogicalId }]),
  );
  (attached?.Properties?.PolicyDocument as unknown as { Statement: Statement[] } | undefined)?.Statement.push(statement);
  return copy;
}

const denied = (d: Decision) => (d.allowed ? undefined : d.error);

describe('principals from the template', () => {
  it("gives the state machine its role's policies, and every Lambda function its own role", () => {
    const resources = template.Resources;
    const [machineId, machineResource] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine') ?? [];
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

    expect(machine.caller).toBe(machineId);
    expect(machine.roleArn).toBe(resolveTokens(resources, machineResource?.Properties?.RoleArn));
    expect(machine.sessionArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${resolveTokens(resources, { Ref: machine.roleLogicalId })}/MetaflowMigrationRunbook`);
    expect([...principals.lambdas.keys()].sort()).toEqual(functions.map(([id]) => id).sort());
    for (const [id, fn] of functions) {
      const lambda = principals.lambdas.get(id) as Principal;
      expect(lambda.roleArn).toBe(resolveTokens(resources, fn.Properties?.Role));
      expect(lambda.sessionArn.endsWith(`/${id}`)).toBe(true);
    }
    expect(new Set([machine, ...principals.lambdas.values()].map((p) => p.roleArn)).size).toBe(functions.length + 1);
  });

  it('reads inline policies, attached AWS::IAM::Policy and managed policies, with every token resolved', () => {
    const role = (properties: Record<string, Json>) => ({ Type: 'AWS::IAM::Role', Properties: properties });
    const doc = (resource: Json) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: resource }] });
    const small: Template = {
      Resources: {
        Topic: { Type: 'AWS::SNS::Topic' },
        Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: defaultKeyPolicy() as unknown as Json } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': 'FnRole.Arn' } } },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} syntax
        Shared: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: doc({ 'Fn::Sub': '${Topic}' }) } },
        FnRole: role({
          RoleName: 'fn-role',
          Path: '/service-role/',
          Policies: [{ PolicyName: 'inline', PolicyDocument: doc({ 'Fn::GetAtt': ['Topic', 'TopicArn'] }) }],
          ManagedPolicyArns: [{ Ref: 'Shared' }, 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        }),
        Attached: {
          Type: 'AWS::IAM::Policy',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} syntax
          Properties: { Roles: [{ Ref: 'FnRole' }], PolicyDocument: doc({ 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}' }) },
        },
        MachineRole: role({}),
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { RoleArn: { 'Fn::GetAtt': ['MachineRole', 'Arn'] }, StateMachineName: 'm' } },
      },
    };

    const found = principalsFromTemplate(small);
    const fn = found.lambdas.get('Fn') as Principal;

    expect(fn.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/service-role/fn-role`);
    expect(fn.sessionArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/fn-role/Fn`);
    expect(fn.policies.map((p) => [p.name, JSON.stringify(p.document.Statement)])).toEqual([
      ['inline', JSON.stringify(doc(arn('sns', 'Topic')).Statement)],
      ['Attached', JSON.stringify(doc(KEY.replace(/key\/.*/, 'key/Key')).Statement)],
      ['Shared', JSON.stringify(doc(arn('sns', 'Topic')).Statement)],
      ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', expect.stringContaining('logs:PutLogEvents')],
    ]);
    expect(found.stateMachine.sessionArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/MachineRole/m`);
    expect(found.resourcePolicies.get(arn('kms', 'key/Key'))).toEqual(defaultKeyPolicy());
  });

  it('refuses a managed policy whose document it does not know, and a reference it cannot resolve', () => {
    const managed = structuredClone(template);
    const someRole = Object.values(managed.Resources).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties?.ManagedPolicyArns);
    (someRole?.Properties?.ManagedPolicyArns as Json[] | undefined)?.push('arn:aws:iam::aws:policy/AdministratorAccess');
    const unresolvable = withMachineStatement(template, { Effect: 'Allow', Action: 'ec2:*', Resource: { 'Fn::GetAtt': ['HandlerSecurityGroup2EF4173F', 'GroupId'] } });

    expect(() => principalsFromTemplate(managed)).toThrow(/AdministratorAccess, whose document the rehearsal does not know/);
    expect(() => principalsFromTemplate(unresolvable)).toThrow(/cannot resolve Fn::GetAtt HandlerSecurityGroup2EF4173F.GroupId/);
  });
});

describe('what each call needs', () => {
  const needs = (call: AwsCall, world: WorldLookup = UNENCRYPTED) => requiredAuthorizations(call, world).map((n) => [n.action, n.resource]);

  it('describes an instance by identifier on that instance, and by filter on every instance (db:*)', () => {
    expect(needs({ service: 'rds', operation: 'DescribeDBInstances', params: { DbInstanceIdentifier: 'Metaflow-DB' } })).toEqual([
      ['rds:DescribeDBInstances', arn('rds', 'db:metaflow-db')],
    ]);
    expect(needs({ service: 'rds', operation: 'DescribeDBInstances', params: { Filters: [{ Name: 'db-instance-id', Values: ['x'] }] } })).toEqual([
      ['rds:DescribeDBInstances', arn('rds', 'db:*')],
    ]);
  });

  it('takes a snapshot with tags on the instance and the snapshot, and tags it as AddTagsToResource with the request tags', () => {
    const call: AwsCall = {
      service: 'rds',
      operation: 'CreateDBSnapshot',
      params: { DbInstanceIdentifier: 'metaflow-db', DbSnapshotIdentifier: 'metaflow-migration-x', Tags: [{ Key: 'change', Value: 'CHG-1' }] },
    };
    const snapshot = arn('rds', 'snapshot:metaflow-migration-x');

    expect(needs(call)).toEqual([
      ['rds:CreateDBSnapshot', arn('rds', 'db:metaflow-db')],
      ['rds:CreateDBSnapshot', snapshot],
      ['rds:AddTagsToResource', snapshot],
    ]);
    expect(requiredAuthorizations(call).at(-1)?.context).toEqual({ 'aws:TagKeys': ['change'], 'aws:RequestTag/change': 'CHG-1', 'rds:req-tag/change': 'CHG-1' });
  });

  it('authorizes a rename on the instance being renamed only', () => {
    expect(needs({ service: 'rds', operation: 'ModifyDBInstance', params: { DbInstanceIdentifier: 'metaflow-db', NewDBInstanceIdentifier: 'metaflow-db-pre-1', ApplyImmediately: true } })).toEqual([
      ['rds:ModifyDBInstance', arn('rds', 'db:metaflow-db')],
    ]);
  });

  it("restores on the instance, snapshot and groups it names, and needs the snapshot's KMS key through RDS when it is encrypted", () => {
    const call: AwsCall = {
      service: 'rds',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      params: { DbInstanceIdentifier: 'metaflow-db', DbSnapshotIdentifier: 'snap', DbSubnetGroupName: 'sub', DbParameterGroupName: 'pg1', OptionGroupName: 'default:postgres-15', Tags: [{ Key: 'k', Value: 'v' }] },
    };
    const restore = ['db:metaflow-db', 'snapshot:snap', 'subgrp:sub', 'pg:pg1', 'og:default:postgres-15'].map((r) => ['rds:RestoreDBInstanceFromDBSnapshot', arn('rds', r)]);

    expect(needs(call, UNENCRYPTED)).toEqual([...restore, ['rds:AddTagsToResource', arn('rds', 'db:metaflow-db')]]);
    const kms = requiredAuthorizations(call, ENCRYPTED).filter((n) => n.action.startsWith('kms:'));
    expect(kms.map((n) => [n.action, n.resource, n.context['kms:ViaService'], n.onBehalfOf])).toEqual([
      ['kms:CreateGrant', KEY, `rds.${REGION}.amazonaws.com`, 'rds.amazonaws.com'],
      ['kms:DescribeKey', KEY, `rds.${REGION}.amazonaws.com`, 'rds.amazonaws.com'],
    ]);
    expect(() => requiredAuthorizations(call, {})).toThrow(/needs to know the KMS key of db snapshot snap/);
  });

  it('reads Step Functions and AWS SDK v3 casing alike', () => {
    const stepFunctions = needs({ service: 'ecs', operation: 'DescribeServices', params: { Cluster: 'metaflow', Services: ['svc'] } });
    const sdk = needs({ service: 'ecs', operation: 'DescribeServices', params: { cluster: 'metaflow', services: ['svc'] }, via: 'sdk' });

    expect(stepFunctions).toEqual([['ecs:DescribeServices', arn('ecs', 'service/metaflow/svc')]]);
    expect(sdk).toEqual(stepFunctions);
  });

  it('registers a task definition on its family, passing its roles to ECS tasks and tagging it as a create', () => {
    const call: AwsCall = {
      service: 'ecs',
      operation: 'RegisterTaskDefinition',
      via: 'sdk',
      params: { family: 'md', taskRoleArn: 'arn:aws:iam::123456789012:role/t', executionRoleArn: 'arn:aws:iam::123456789012:role/e', tags: [{ key: 'k', value: 'v' }] },
    };
    const all = requiredAuthorizations(call);

    expect(all.map((n) => [n.action, n.resource])).toEqual([
      ['ecs:RegisterTaskDefinition', arn('ecs', 'task-definition/md:*')],
      ['iam:PassRole', 'arn:aws:iam::123456789012:role/t'],
      ['iam:PassRole', 'arn:aws:iam::123456789012:role/e'],
      ['ecs:TagResource', arn('ecs', 'task-definition/md:*')],
    ]);
    expect(all[1]?.context).toEqual({ 'iam:PassedToService': 'ecs-tasks.amazonaws.com' });
    expect(all[3]?.context).toMatchObject({ 'ecs:CreateAction': 'RegisterTaskDefinition', 'aws:TagKeys': ['k'] });
  });

  it("runs a task on its definition, passing the definition's roles, which only the world can tell", () => {
    const call: AwsCall = { service: 'ecs', operation: 'RunTask', params: { Cluster: 'metaflow', TaskDefinition: 'md:3' } };
    const world: WorldLookup = { taskDefinition: (ref) => ({ arn: arn('ecs', `task-definition/${ref}`), taskRoleArn: 'arn:aws:iam::123456789012:role/t' }) };

    expect(requiredAuthorizations(call, world).map((n) => [n.action, n.resource, n.context['ecs:cluster'] ?? n.context['iam:PassedToService']])).toEqual([
      ['ecs:RunTask', arn('ecs', 'task-definition/md:3'), arn('ecs', 'cluster/metaflow')],
      ['iam:PassRole', 'arn:aws:iam::123456789012:role/t', 'ecs-tasks.amazonaws.com'],
    ]);
    expect(() => requiredAuthorizations(call, {})).toThrow(/RunTask needs to know the roles of task definition md:3/);
  });

  it('refuses a call it has no authorization for, so a new call is described before it is simulated', () => {
    expect(() => requiredAuthorizations({ service: 'rds', operation: 'DeleteDBInstance', params: {} })).toThrow(/no authorization is known for rds:DeleteDBInstance/);
  });

  it('names only actions and resources iam-simulate accepts for them, for every call it knows', async () => {
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
    const tags = [{ Key: 'k', Value: 'v' }];
    // One request of each known call, with every parameter that adds an authorization.
    const samples: Record<string, AwsCall['params']> = {
      'rds:DescribeDBInstances': {},
      'rds:DescribeDBSnapshots': { DBSnapshotIdentifier: 's', DBInstanceIdentifier: 'd' },
      'rds:CreateDBSnapshot': { DBInstanceIdentifier: 'd', DBSnapshotIdentifier: 's', Tags: tags },
      'rds:ModifyDBInstance': { DBInstanceIdentifier: 'd', DBParameterGroupName: 'p', OptionGroupName: 'o', DBSubnetGroupName: 'g', MonitoringRoleArn: role('m') },
      'rds:RebootDBInstance': { DBInstanceIdentifier: 'd' },
      'rds:RestoreDBInstanceFromDBSnapshot': { DBInstanceIdentifier: 'd', DBSnapshotIdentifier: 's', DBSubnetGroupName: 'g', DBParameterGroupName: 'p', OptionGroupName: 'o', PubliclyAccessible: false, Tags: tags },
      'rds:AddTagsToResource': { ResourceName: arn('rds', 'db:d'), Tags: tags },
      'rds:ListTagsForResource': { ResourceName: arn('rds', 'snapshot:s') },
      'rds:DescribeDBClusters': { DBClusterIdentifier: 'c' },
      'rds:CreateDBClusterSnapshot': { DBClusterIdentifier: 'c', DBClusterSnapshotIdentifier: 's', Tags: tags },
      'rds:DescribeDBClusterSnapshots': { DBClusterSnapshotIdentifier: 's' },
      'rds:RestoreDBClusterFromSnapshot': { DBClusterIdentifier: 'c', SnapshotIdentifier: 's', DBClusterParameterGroupName: 'p', DBSubnetGroupName: 'g', OptionGroupName: 'o', KmsKeyId: 'k2', Tags: tags },
      'rds:CreateDBInstance': { DBInstanceIdentifier: 'i', DBClusterIdentifier: 'c', DBParameterGroupName: 'p', Tags: tags },
      'rds:ModifyDBCluster': { DBClusterIdentifier: 'c', NewDBClusterIdentifier: 'c2', DBClusterParameterGroupName: 'p' },
      'ecs:DescribeServices': { cluster: 'c', services: ['s'] },
      'ecs:UpdateService': { cluster: 'c', service: 's', taskDefinition: 'f:1' },
      'ecs:ListTasks': { cluster: 'c' },
      'ecs:DescribeTasks': { cluster: 'c', tasks: ['0123'] },
      'ecs:StopTask': { cluster: 'c', task: '0123' },
      'ecs:DescribeTaskDefinition': { taskDefinition: 'f:1' },
      'ecs:RegisterTaskDefinition': { family: 'f', cpu: '256', memory: '512', taskRoleArn: role('t'), executionRoleArn: role('e'), tags: [{ key: 'k', value: 'v' }] },
      'ecs:RunTask': { cluster: 'c', taskDefinition: 'f:1', tags: [{ key: 'k', value: 'v' }] },
      'ecs:TagResource': { resourceArn: arn('ecs', 'service/c/s'), tags: [{ key: 'k', value: 'v' }] },
      'states:StartExecution': { stateMachineArn: arn('states', 'stateMachine:m'), name: 'e', input: '{}' },
      'states:ListExecutions': { stateMachineArn: arn('states', 'stateMachine:m') },
      'states:GetExecutionHistory': { executionArn: arn('states', 'execution:m:e') },
      'states:SendTaskSuccess': { taskToken: 't', output: '{}' },
      'states:SendTaskFailure': { taskToken: 't' },
      'states:SendTaskHeartbeat': { taskToken: 't' },
      'sns:Publish': { TopicArn: arn('sns', 't'), Message: 'm' },
      'lambda:Invoke': { FunctionName: 'f', Qualifier: '3' },
      'lambda:InvokeFunctionUrl': { FunctionName: arn('lambda', 'function:f') },
      'kms:GenerateMac': { KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256', Message: 'x' },
      'kms:VerifyMac': { KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256', Message: 'x', Mac: 'y' },
    };
    const world: WorldLookup = { snapshotKey: () => KEY, taskDefinition: (ref) => ({ arn: arn('ecs', `task-definition/${ref}`), executionRoleArn: role('e') }) };
    const everything: Principal = { ...machine, policies: [{ name: 'all', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }] };
    const authorizer = createAuthorizer({ ...principals, resourcePolicies: new Map() }, { world });

    expect(Object.keys(samples).sort()).toEqual([...AUTHORIZED_CALLS].sort());
    for (const [call, params] of Object.entries(samples)) {
      const [service, operation] = call.split(':') as [AwsCall['service'], string];
      // iam-simulate throws (through the authorizer) on an unknown action, a resource of a type the
      // action does not take, or a malformed context; an allow-everything policy then allows it.
      await expect(authorizer.authorize(everything, { service, operation, params })).resolves.toEqual({ allowed: true });
    }
  });
});

describe('the attestation key', () => {
  const [keyId] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::KMS::Key') as [string, unknown];
  const keyArn = arn('kms', `key/${keyId}`);
  const lambdaOf = (path: string) => {
    const id = Object.keys(template.Resources).find((k) => template.Resources[k]?.Type === 'AWS::Lambda::Function' && k.startsWith(path));
    return principals.lambdas.get(id as string) as Principal;
  };
  const mac = (operation: 'GenerateMac' | 'VerifyMac') => ({ service: 'kms' as const, operation, params: { KeyId: keyArn, MacAlgorithm: 'HMAC_SHA_256', Message: 'bQ==' }, via: 'sdk' as const });

  it.each([
    ['GenerateMac', 'Handlersrunbookendpoint'],
    ['VerifyMac', 'Handlersverifyidentity'],
  ] as const)('allows %s to one role, and denies it to every other, even one granted kms:* on every key, with the explicit deny of the key policy', async (operation, owner) => {
    const authorizer = createAuthorizer(principals);
    const everything: Principal = { ...machine, policies: [{ name: 'admin', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } }] };

    await expect(authorizer.authorize(lambdaOf(owner), mac(operation))).resolves.toEqual({ allowed: true });
    for (const other of [machine, everything, ...[...principals.lambdas.values()].filter((p) => p !== lambdaOf(owner))]) {
      const decision = await authorizer.authorize(other, mac(operation));
      expect([other.caller, denied(decision)?.message]).toEqual([other.caller, expect.stringMatching(/with an explicit deny in a resource-based policy$/)]);
    }
  });
});

describe('authorizing the calls of a rehearsal', () => {
  /** Every Task's effective parameters, as the rehearsal handed them to the simulated AWS, by state. */
  const taskInputs = new Map<string, Json[]>();
  const registrations: RegisterTaskDefinitionCommandInput[] = [];
  const states = allStates(assembly.definition);

  beforeAll(async () => {
    // The retarget handler's own RegisterTaskDefinition, as the simulated ECS endpoint receives it.
    const register = SimulatedEcs.prototype.registerTaskDefinition;
    const registerSpy = jest.spyOn(SimulatedEcs.prototype, 'registerTaskDefinition').mockImplementation(function (this: SimulatedEcs, input) {
      if (input.tags?.some((t) => t.key === 'metaflow-migration:change-id')) registrations.push(input);
      return register.call(this, input);
    });
    try {
      for (const scenario of SCENARIOS) {
        const { calls } = await rehearse({ assembly, scenario, recordCalls: true });
        for (const call of calls) taskInputs.set(call.state, [...(taskInputs.get(call.state) ?? []), call.input as Json]);
      }
    } finally {
      registerSpy.mockRestore();
    }
  }, 60_000);

  const tasksOf = (resource: RegExp) => [...states].filter(([, s]) => s.Type === 'Task' && resource.test(String(s.Resource))).map(([name, s]) => [name, String(s.Resource)] as const);
  const callsOf = (name: string, resource: string) => (taskInputs.get(name) ?? []).map((input) => callOfTask(resource, input));
  const restoreCall = () => {
    const [name, resource] = tasksOf(/:restoreDBInstanceFromDBSnapshot$/)[0] as readonly [string, string];
    return callsOf(name, resource)[0] as AwsCall;
  };

  it('allows every AWS SDK Task of the definition, with the parameters a rehearsal gives it, for the state machine role', async () => {
    const authorizer = createAuthorizer(principals, { world: UNENCRYPTED });
    const sdkTasks = tasksOf(/^arn:aws:states:::aws-sdk:/);
    const refusals: string[] = [];
    for (const [name, resource] of sdkTasks) {
      for (const call of callsOf(name, resource)) {
        const decision = await authorizer.authorize(machine, call);
        if (!decision.allowed) refusals.push(`${name}: ${decision.error.message}`);
      }
    }

    expect(sdkTasks.length).toBeGreaterThanOrEqual(20);
    expect(authorizer.stats.evaluations).toBeGreaterThan(sdkTasks.length);
    expect(sdkTasks.filter(([name]) => !taskInputs.has(name)).map(([name]) => `${name} is reached by no scenario`)).toEqual([]);
    expect(refusals).toEqual([]);
  });

  it('allows every Lambda and SNS Task of the definition for the state machine role', async () => {
    const authorizer = createAuthorizer(principals, { world: UNENCRYPTED });
    const others = tasksOf(/^arn:aws:(lambda:|states:::sns:)/);
    const decisions = await Promise.all(others.flatMap(([name, resource]) => callsOf(name, resource).map((call) => authorizer.authorize(machine, call))));

    expect(others.filter(([name]) => !taskInputs.has(name))).toEqual([]);
    expect(decisions.filter((d) => !d.allowed)).toEqual([]);
  });

  it("allows the retarget Lambda's DescribeTaskDefinition and RegisterTaskDefinition, its roles passed to ECS, for its own role", async () => {
    const [name, resource] = tasksOf(/retargettaskdefinition/i)[0] as readonly [string, string];
    const retarget = principals.lambdas.get(resource.split(':').pop() as string) as Principal;
    const [payload] = taskInputs.get(name) ?? [];
    const authorizer = createAuthorizer(principals);

    expect(registrations.length).toBeGreaterThan(0);
    expect(registrations.every((r) => r.taskRoleArn && r.executionRoleArn)).toBe(true);
    // As handlers/retarget-task-definition.ts sends them, in the AWS SDK v3's casing.
    const describe: AwsCall = { service: 'ecs', operation: 'DescribeTaskDefinition', via: 'sdk', params: { taskDefinition: (payload as Record<string, Json>).taskDefinition, include: ['TAGS'] } };
    await expect(authorizer.authorize(retarget, describe)).resolves.toEqual({ allowed: true });
    for (const registration of registrations) {
      await expect(authorizer.authorize(retarget, { service: 'ecs', operation: 'RegisterTaskDefinition', via: 'sdk', params: { ...registration } })).resolves.toEqual({ allowed: true });
    }
  });

  it("denies the retarget Lambda's RegisterTaskDefinition to every other function's role, as ECS does", async () => {
    const register: AwsCall = { service: 'ecs', operation: 'RegisterTaskDefinition', via: 'sdk', params: { ...registrations[0] } };
    const [, resource] = tasksOf(/retargettaskdefinition/i)[0] as readonly [string, string];
    const others = [...principals.lambdas].filter(([id]) => !resource.endsWith(`:${id}`)).map(([, p]) => p);
    const authorizer = createAuthorizer(principals);

    expect(others.length).toBeGreaterThan(0);
    for (const other of others) {
      const error = denied(await authorizer.authorize(other, register));
      expect(error).toEqual({
        name: 'AccessDeniedException',
        code: 'AccessDeniedException',
        statusCode: 400,
        message: `User: ${other.sessionArn} is not authorized to perform: ecs:RegisterTaskDefinition on resource: ${arn('ecs', `task-definition/${registrations[0]?.family}:*`)} because no identity-based policy allows the ecs:RegisterTaskDefinition action`,
      });
    }
  });

  it('denies tagging the snapshot as AWS does when the rds:AddTagsToResource grant is taken out: Rds.RdsException, AccessDenied', async () => {
    const [name, resource] = tasksOf(/:createDBSnapshot$/)[0] as readonly [string, string];
    const [call] = callsOf(name, resource);
    const snapshots = arn('rds', 'snapshot:metaflow-migration-*');
    const without = principalsFromTemplate(
      withoutStatements(template, (s) => actionsOf(s).includes('rds:addtagstoresource') && JSON.stringify(resolveTokensIn(s.Resource)).includes(snapshots)),
    );

    const error = denied(await createAuthorizer(without, { world: UNENCRYPTED }).authorize(without.stateMachine, call as AwsCall));

    expect(error).toMatchObject({ name: 'Rds.RdsException', code: 'AccessDenied', statusCode: 403 });
    expect(error?.message).toMatch(/is not authorized to perform: rds:AddTagsToResource on resource: arn:aws:rds:eu-west-1:123456789012:snapshot:metaflow-migration-chg-1234-[0-9a-f]{8} because no identity-based policy allows/);
  });

  it("denies the rehearsal's restore when any one resource of the restore grant is taken out", async () => {
    const restoreStatement = (s: Statement) => actionsOf(s).includes('rds:restoredbinstancefromdbsnapshot');
    const resources = policyDocuments(template).flatMap((d) => d.Statement.filter(restoreStatement).flatMap((s) => [s.Resource ?? []].flat()));

    expect(resources.length).toBeGreaterThanOrEqual(5);
    for (const resource of resources) {
      const narrowed = structuredClone(template);
      for (const s of policyDocuments(narrowed).flatMap((d) => d.Statement.filter(restoreStatement))) {
        s.Resource = [s.Resource ?? []].flat().filter((x) => JSON.stringify(x) !== JSON.stringify(resource));
      }
      const p = principalsFromTemplate(narrowed);
      const decision = await createAuthorizer(p, { world: UNENCRYPTED }).authorize(p.stateMachine, restoreCall());
      expect([resolveTokens(template.Resources, resource), denied(decision)?.name]).toEqual([resolveTokens(template.Resources, resource), 'Rds.RdsException']);
    }
  });

  it("allows a restore of a snapshot encrypted with a customer managed key through the stack's own KMS grant, and denies it as RDS does without that statement", async () => {
    const withoutKms = principalsFromTemplate(withoutStatements(template, (st) => actionsOf(st).includes('kms:creategrant')));

    await expect(createAuthorizer(principals, { world: ENCRYPTED }).authorize(machine, restoreCall())).resolves.toEqual({ allowed: true });
    const decision = await createAuthorizer(withoutKms, { world: ENCRYPTED }).authorize(withoutKms.stateMachine, restoreCall());
    expect(denied(decision)).toEqual({
      name: 'Rds.KmsKeyNotAccessibleException',
      code: 'KMSKeyNotAccessibleFault',
      statusCode: 400,
      message: `The specified KMS key [${KEY}] does not exist, is not enabled or you do not have permissions to access it.`,
    });
    expect(decision.allowed ? undefined : decision.denied.action).toBe('kms:CreateGrant');
  });

  it('allows that restore once the role may create grants on the key through RDS, as the default key policy delegates to IAM', async () => {
    const kms = { Effect: 'Allow', Action: ['kms:CreateGrant', 'kms:DescribeKey'], Resource: KEY, Condition: { StringEquals: { 'kms:ViaService': `rds.${REGION}.amazonaws.com` } } };
    const granted = principalsFromTemplate(withMachineStatement(template, kms));
    const notDelegating: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/key-admin` }, Action: 'kms:*', Resource: '*' }] };

    await expect(createAuthorizer(granted, { world: ENCRYPTED }).authorize(granted.stateMachine, restoreCall())).resolves.toEqual({ allowed: true });
    const refused = await createAuthorizer(granted, { world: ENCRYPTED, keyPolicy: () => notDelegating }).authorize(granted.stateMachine, restoreCall());
    expect(denied(refused)?.name).toBe('Rds.KmsKeyNotAccessibleException');
  });

  it('allows the writes to an instance configured in upper case: RDS authorizes the lower-case ARN it stores, and the stack grants that one', async () => {
    const upper = synthRunbook({ deployment: { ...example.deployment, dbInstanceIdentifier: 'Metaflow-DB' } }).template.toJSON() as Template;
    const p = principalsFromTemplate(upper);
    const [name, resource] = tasksOf(/:createDBSnapshot$/)[0] as readonly [string, string];
    const [call] = callsOf(name, resource);

    const decision = await createAuthorizer(p).authorize(p.stateMachine, { ...(call as AwsCall), params: { ...call?.params, DbInstanceIdentifier: 'Metaflow-DB' } });

    expect(decision).toEqual({ allowed: true });
  });

  it('names a denial as each call path names it: SDK integration, optimized integration, JavaScript SDK', async () => {
    const nobody: Principals = { ...principals, stateMachine: { ...machine, policies: [] } };
    const authorizer = createAuthorizer(nobody);
    const name = async (call: AwsCall) => denied(await authorizer.authorize(nobody.stateMachine, call))?.name;
    const [snsTask, snsResource] = tasksOf(/:::sns:publish$/)[0] as readonly [string, string];
    const [lambdaTask, lambdaResource] = tasksOf(/^arn:aws:lambda:/)[0] as readonly [string, string];

    expect(await name(callsOf(snsTask, snsResource)[0] as AwsCall)).toBe('SNS.AuthorizationErrorException');
    expect(await name(callsOf(lambdaTask, lambdaResource)[0] as AwsCall)).toBe('Lambda.AWSLambdaException');
    expect(await name({ service: 'ecs', operation: 'ListTasks', params: { Cluster: 'metaflow' } })).toBe('Ecs.AccessDeniedException');
    expect(await name({ service: 'states', operation: 'ListExecutions', params: { StateMachineArn: arn('states', 'stateMachine:m') } })).toBe('Sfn.SfnException');
    expect(await name({ service: 'rds', operation: 'DescribeDBInstances', params: {}, via: 'sdk' })).toBe('AccessDenied');
  });

  it('answers a repeated decision from the cache', async () => {
    const authorizer = createAuthorizer(principals, { world: UNENCRYPTED });
    const call = restoreCall();

    await authorizer.authorize(machine, call);
    const first = { ...authorizer.stats };
    await authorizer.authorize(machine, call);

    expect(authorizer.stats.evaluations - first.evaluations).toBe(first.evaluations);
    expect(authorizer.stats.cached - first.cached).toBe(first.evaluations);
  });
});

describe('error names', () => {
  // The SDK clients carry the API models: a service that models AccessDeniedException has the
  // exception exported; Step Functions names the others after the service's generic exception.
  it.each([
    ['ecs', 'ecs', 'Ecs'],
    ['rds', 'rds', 'Rds'],
    ['sfn', 'states', 'Sfn'],
    ['lambda', 'lambda', 'Lambda'],
    ['kms', 'kms', 'Kms'],
  ] as const)('names the AccessDenied of %s as its API model defines it', (client, service, prefix) => {
    const exported = Object.keys(require(`@aws-sdk/client-${client}`) as object);
    const modeled = exported.includes('AccessDeniedException');

    expect(ACCESS_DENIED[service].sdkIntegration).toBe(modeled ? `${prefix}.AccessDeniedException` : `${prefix}.${prefix}Exception`);
  });

  it('names the RDS key fault after a shape the RDS model defines', () => {
    expect(Object.keys(require('@aws-sdk/client-rds') as object)).toContain('KMSKeyNotAccessibleFault');
  });
});

/** A statement's Resource with CloudFormation tokens resolved. */
function resolveTokensIn(resource: Json | undefined): string[] {
  return [resource ?? []].flat().map((r) => resolveTokens(template.Resources, r));
}
