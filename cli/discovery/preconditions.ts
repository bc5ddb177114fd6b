import { DescribeStacksCommand, ListStackResourcesCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type Service } from '@aws-sdk/client-ecs';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import {
  DescribeAccountAttributesCommand,
  DescribeDBClusterParametersCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  type DBInstance,
  type Parameter,
} from '@aws-sdk/client-rds';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CONFIG_VERSION_OUTPUT, configVersion, type RunbookConfig } from '../../infra/config';
import { CliError, callAws, type RetryPolicy } from '../aws';
import { allPages, type DeploymentClients } from './clients';
import { admitsGroup, coversTcpPort, describeRule, ingressRules } from './security-groups';
import { containerVariable, SSL_MODE_VARIABLE } from './service';

/** Every precondition, in the order they are reported. */
export const PRECONDITIONS = [
  'credentials',
  'service-steady',
  'db-available',
  'db-security-group',
  'service-security-group',
  'ssl-mode',
  'kms-key',
  'snapshot-quota',
  'stack-version',
] as const;
export type PreconditionName = (typeof PRECONDITIONS)[number];

export interface Precondition {
  readonly name: PreconditionName;
  readonly ok: boolean;
  readonly detail: string;
  /** AWS refused to answer (access denied, say): neither held nor failed. */
  readonly unchecked?: true;
}

/** The database as `check` reads it, instance or Aurora cluster alike. */
interface LiveDatabase {
  readonly what: string;
  readonly status: string;
  readonly engine: string;
  readonly engineVersion: string;
  readonly port: number;
  readonly groups: readonly string[];
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  /** The parameter group and how to read its parameters. */
  readonly parameterGroup?: string;
  readonly parameters: () => Promise<Parameter[]>;
  readonly aurora: boolean;
}

/** What the preconditions read, fetched once; `undefined` with a reason when it does not exist. */
interface Live {
  readonly config: RunbookConfig;
  readonly account: string;
  readonly service: Service | string;
  readonly database: LiveDatabase | string;
  readonly stack: Stack | string;
}

const NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBClusterNotFoundFault', 'ClusterNotFoundException', 'NotFoundException']);
const isNotFound = (err: unknown) => err instanceof CliError && (NOT_FOUND.has(err.code) || (err.code === 'ValidationError' && /does not exist/.test(err.message)));

/** The call's answer, or `missing` when AWS says the thing does not exist. */
async function orMissing<T>(call: () => Promise<T>, missing: string): Promise<T | string> {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) return missing;
    throw err;
  }
}

async function readService(clients: DeploymentClients, retry: RetryPolicy, config: RunbookConfig): Promise<Service | string> {
  const { clusterName, serviceName } = config.deployment;
  const missing = `service ${serviceName} was not found in cluster ${clusterName}`;
  const answer = await orMissing(() => callAws(() => clients.ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: [serviceName] })), retry), `cluster ${clusterName} was not found`);
  if (typeof answer === 'string') return answer;
  return answer.services?.find((s) => s.status !== 'INACTIVE') ?? missing;
}

/** The fields DBInstance and DBCluster share, and the ones each names its own way. */
function liveDatabase(
  what: string,
  shared: Pick<DBInstance, 'Engine' | 'EngineVersion' | 'VpcSecurityGroups' | 'StorageEncrypted' | 'KmsKeyId'>,
  own: { status?: string; port?: number; parameterGroup?: string; parameters: () => Promise<Parameter[]>; aurora: boolean },
): LiveDatabase {
  return {
    what,
    status: own.status ?? '?',
    engine: shared.Engine ?? '',
    engineVersion: shared.EngineVersion ?? '',
    port: own.port ?? 5432,
    groups: (shared.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? ''),
    encrypted: shared.StorageEncrypted ?? false,
    kmsKeyId: shared.KmsKeyId,
    parameterGroup: own.parameterGroup,
    parameters: () => (own.parameterGroup ? own.parameters() : Promise.resolve([])),
    aurora: own.aurora,
  };
}

async function readDatabase(clients: DeploymentClients, retry: RetryPolicy, config: RunbookConfig): Promise<LiveDatabase | string> {
  const d = config.deployment;
  if (d.dbClusterIdentifier !== undefined) {
    const id = d.dbClusterIdentifier;
    const answer = await orMissing(() => callAws(() => clients.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })), retry), `Aurora cluster ${id} was not found`);
    if (typeof answer === 'string') return answer;
    const c = answer.DBClusters?.[0];
    if (!c) return `Aurora cluster ${id} was not found`;
    const group = c.DBClusterParameterGroup;
    return liveDatabase(`Aurora cluster ${id}`, c, {
      status: c.Status,
      port: c.Port,
      parameterGroup: group,
      parameters: () =>
        allPages((Marker) => clients.rds.send(new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: group, Marker })), (p) => p.Parameters, (p) => p.Marker, retry),
      aurora: true,
    });
  }
  const id = d.dbInstanceIdentifier as string;
  const answer = await orMissing(() => callAws(() => clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })), retry), `DB instance ${id} was not found`);
  if (typeof answer === 'string') return answer;
  const i = answer.DBInstances?.[0];
  if (!i) return `DB instance ${id} was not found`;
  const group = i.DBParameterGroups?.[0]?.DBParameterGroupName;
  return liveDatabase(`DB instance ${id}`, i, {
    status: i.DBInstanceStatus,
    port: i.Endpoint?.Port,
    parameterGroup: group,
    parameters: () =>
      allPages((Marker) => clients.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: group, Marker })), (p) => p.Parameters, (p) => p.Marker, retry),
    aurora: false,
  });
}

async function readStack(clients: DeploymentClients, retry: RetryPolicy, stackName: string): Promise<Stack | string> {
  const missing = `the runbook stack ${stackName} is not deployed (cdk deploy -c config=<this file>)`;
  const answer = await orMissing(() => callAws(() => clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackName })), retry), missing);
  return typeof answer === 'string' ? answer : (answer.Stacks?.[0] ?? missing);
}

type Check = (live: Live, clients: DeploymentClients, retry: RetryPolicy) => Promise<{ ok: boolean; detail: string }>;

const held = (detail: string) => ({ ok: true, detail });
const failed = (detail: string) => ({ ok: false, detail });

/** The services-stable waiter's condition: one deployment, as many tasks running as desired (botocore's ecs waiters-2.json). */
const serviceSteady: Check = async ({ service }) => {
  if (typeof service === 'string') return failed(service);
  const { serviceName, status, deployments = [], runningCount = 0, desiredCount = 0 } = service;
  if (status !== 'ACTIVE') return failed(`service ${serviceName} is ${status}`);
  if (desiredCount === 0) return failed(`service ${serviceName} is scaled to 0: the runbook reads the schema status from a running task`);
  if (deployments.length !== 1) return failed(`service ${serviceName} has ${deployments.length} deployments: a rollout is under way`);
  if (runningCount !== desiredCount) return failed(`service ${serviceName} runs ${runningCount} of ${desiredCount} tasks`);
  return held(`service ${serviceName}: one deployment, ${runningCount} of ${desiredCount} tasks running`);
};

const dbAvailable: Check = async ({ database }) => {
  if (typeof database === 'string') return failed(database);
  return database.status === 'available' ? held(`${database.what} is available`) : failed(`${database.what} is ${database.status}, expected available`);
};

/** IPv4 `inner` lies inside `outer` (both CIDR blocks). Pure. */
export function cidrContains(outer: string, inner: string): boolean {
  const parse = (cidr: string) => {
    const [address = '', bits = '32'] = cidr.split('/');
    const value = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    return { value, bits: Number(bits) };
  };
  const o = parse(outer);
  const i = parse(inner);
  if (i.bits < o.bits) return false;
  const size = 2 ** (32 - o.bits);
  return Math.floor(o.value / size) === Math.floor(i.value / size);
}

/** The database's groups admit its port from the service: by the service's group, or by address ranges holding its subnets. */
const dbSecurityGroup: Check = async ({ config, service, database }, clients, retry) => {
  if (typeof database === 'string') return failed(database);
  const serviceGroup = config.deployment.serviceSecurityGroupId;
  const rules = await ingressRules(clients, retry, database.groups);
  const byGroup = admitsGroup(rules, database.port, serviceGroup);
  if (byGroup[0]) return held(`${database.what} admits ${database.port} from ${serviceGroup} (${describeRule(byGroup[0])})`);
  const subnetIds = (typeof service === 'string' ? undefined : service.networkConfiguration?.awsvpcConfiguration?.subnets) ?? config.deployment.subnetIds;
  const subnets = await callAws(() => clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] })), retry);
  const cidrs = (subnets.Subnets ?? []).map((s) => s.CidrBlock ?? '');
  const byRange = rules.filter((r) => r.CidrIpv4 && coversTcpPort(r, database.port) && cidrs.every((c) => cidrContains(r.CidrIpv4 as string, c)));
  if (byRange[0]) return held(`${database.what} admits ${database.port} from the service's subnets (${describeRule(byRange[0])})`);
  return failed(`no rule of ${database.what}'s groups (${database.groups.join(', ')}) admits tcp ${database.port} from ${serviceGroup} or the service's subnets: the service cannot reach its database`);
};

/** The configured group is the service's, and admits both ports from the runbook stack's handler group. */
const serviceSecurityGroup: Check = async ({ config, service, stack }, clients, retry) => {
  const d = config.deployment;
  if (typeof service !== 'string') {
    const groups = service.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [];
    if (!groups.includes(d.serviceSecurityGroupId)) {
      return failed(`${d.serviceSecurityGroupId} is not a group of service ${d.serviceName} (its groups: ${groups.join(', ') || 'none'}): the stack's rules would admit the handlers to the wrong group`);
    }
  }
  if (typeof stack === 'string') return failed(`${stack}: its handlers' group is not admitted to ${d.serviceSecurityGroupId} yet`);
  const resources = await allPages(
    (NextToken) => clients.cloudformation.send(new ListStackResourcesCommand({ StackName: config.stackName, NextToken })),
    (p) => p.StackResourceSummaries,
    (p) => p.NextToken,
    retry,
  );
  const handlerGroups = resources.filter((r) => r.ResourceType === 'AWS::EC2::SecurityGroup' && r.PhysicalResourceId).map((r) => r.PhysicalResourceId as string);
  const rules = await ingressRules(clients, retry, [d.serviceSecurityGroupId]);
  const missing = [d.migrationPort, d.servicePort].filter((port) => !handlerGroups.some((g) => admitsGroup(rules, port, g).length > 0));
  if (missing.length > 0) {
    return failed(`${d.serviceSecurityGroupId} does not admit tcp ${missing.join(' and ')} from the runbook's handler group (${handlerGroups.join(', ') || 'none in the stack'}): redeploy the stack`);
  }
  return held(`${d.serviceSecurityGroupId} is the service's and admits tcp ${d.migrationPort} and ${d.servicePort} from the handler group ${handlerGroups.join(', ')}`);
};

/** libpq modes that use SSL when the server requires it; anything else becomes sslmode=disable (metaflow-service services/utils/__init__.py). */
const SSL_MODES = ['allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/**
 * Whether the database refuses connections without SSL: `rds.force_ssl` as its parameter group sets
 * it, else the engine's default: 1 from RDS for PostgreSQL 15
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/ssl-certificate-rotation-postgresql.html),
 * 0 for Aurora PostgreSQL (https://repost.aws/knowledge-center/aurora-postgresql-ssl-certificates).
 */
async function forcesSsl(db: LiveDatabase): Promise<{ forced: boolean; why: string }> {
  const set = (await db.parameters()).find((p) => p.ParameterName === 'rds.force_ssl')?.ParameterValue;
  if (set !== undefined) return { forced: set === '1', why: `rds.force_ssl=${set} in parameter group ${db.parameterGroup}` };
  const major = Number.parseInt(db.engineVersion, 10);
  const forced = !db.aurora && major >= 15;
  return { forced, why: `${db.engine} ${db.engineVersion} defaults to rds.force_ssl=${forced ? 1 : 0}` };
}

const sslMode: Check = async ({ config, service, database }, clients, retry) => {
  if (typeof database === 'string') return failed(database);
  if (!/postgres/.test(database.engine)) return failed(`${database.what} runs ${database.engine}: the metadata service needs PostgreSQL`);
  if (typeof service === 'string') return failed(service);
  const arn = service.taskDefinition;
  const described = await callAws(() => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })), retry);
  const container = described.taskDefinition?.containerDefinitions?.find((c) => c.name === config.deployment.containerName);
  if (!container) return failed(`container ${config.deployment.containerName} is not in the service's task definition ${arn}`);
  const mode = containerVariable(container, SSL_MODE_VARIABLE);
  const ssl = await forcesSsl(database);
  const shown = mode === undefined ? 'not set' : 'value' in mode ? `"${mode.value}"` : `from a secret (${mode.secret})`;
  if (!ssl.forced) return held(`${ssl.why}: SSL is not required (${SSL_MODE_VARIABLE} ${shown})`);
  if (mode !== undefined && ('secret' in mode || SSL_MODES.includes(mode.value))) return held(`${ssl.why}, and ${SSL_MODE_VARIABLE} is ${shown}`);
  return failed(
    `${ssl.why}, and ${SSL_MODE_VARIABLE} is ${shown}: the service connects without SSL and is refused after any restart; set it to require (or prefer)`,
  );
};

/**
 * A restore from a snapshot encrypted with a customer managed key needs kms:CreateGrant and
 * kms:DescribeKey on that key, from the key policy or from IAM policies when the key policy lets IAM
 * grant it (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html).
 */
const kmsKey: Check = async ({ database }, clients, retry) => {
  if (typeof database === 'string') return failed(database);
  if (!database.encrypted || !database.kmsKeyId) return held(`${database.what} is not encrypted: the restore needs no key`);
  const keyId = database.kmsKeyId;
  const described = await orMissing(() => callAws(() => clients.kms.send(new DescribeKeyCommand({ KeyId: keyId })), retry), `KMS key ${keyId} was not found`);
  if (typeof described === 'string') return failed(`${described}: the snapshot could not be restored`);
  const key = described.KeyMetadata;
  if (key?.KeyState !== 'Enabled') return failed(`KMS key ${keyId} is ${key?.KeyState}: a restore from the snapshot would fail`);
  if (key.KeyManager === 'AWS') return held(`${database.what} is encrypted with the AWS managed key ${keyId}, usable by any principal of the account`);
  const policy = await callAws(() => clients.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })), retry);
  const account = keyId.split(':')[4] ?? '';
  const delegates = JSON.stringify(JSON.parse(policy.Policy ?? '{}').Statement ?? []).includes(`arn:aws:iam::${account}:root`);
  return delegates
    ? held(`customer managed key ${keyId} is enabled, and its key policy lets IAM policies grant the kms:CreateGrant and kms:DescribeKey a restore needs`)
    : failed(`the policy of customer managed key ${keyId} does not let IAM policies grant it: add kms:CreateGrant and kms:DescribeKey for the runbook's state machine role to the key policy`);
};

/** Room for one more manual snapshot: the quota DescribeAccountAttributes reports. */
const snapshotQuota: Check = async ({ database }, clients, retry) => {
  const name = typeof database !== 'string' && database.aurora ? 'ManualClusterSnapshots' : 'ManualSnapshots';
  const answer = await callAws(() => clients.rds.send(new DescribeAccountAttributesCommand({})), retry);
  const quota = answer.AccountQuotas?.find((q) => q.AccountQuotaName === name);
  if (quota?.Used === undefined || quota.Max === undefined) return failed(`RDS reports no ${name} quota`);
  return quota.Used < quota.Max
    ? held(`${quota.Used} of ${quota.Max} manual snapshots used: room for the runbook's`)
    : failed(`${quota.Used} of ${quota.Max} manual snapshots used: the runbook's snapshot would be refused; delete old ones or raise the quota`);
};

const DEPLOYED = /^(CREATE|UPDATE|IMPORT)_COMPLETE$/;

/** The runbook stack is deployed, settled, and from this very configuration (its ConfigVersion output). */
const stackVersion: Check = async ({ config, stack }) => {
  if (typeof stack === 'string') return failed(stack);
  const want = configVersion(config);
  if (!DEPLOYED.test(stack.StackStatus ?? '')) return failed(`stack ${config.stackName} is ${stack.StackStatus}`);
  const have = stack.Outputs?.find((o) => o.OutputKey === CONFIG_VERSION_OUTPUT)?.OutputValue;
  if (have === undefined) return failed(`stack ${config.stackName} has no ${CONFIG_VERSION_OUTPUT} output: it was deployed by an older runbook; cdk deploy -c config=<this file>`);
  return have === want
    ? held(`stack ${config.stackName} (${stack.StackStatus}) was deployed from this configuration (version ${want})`)
    : failed(`stack ${config.stackName} was deployed from another configuration (version ${have}; this file is ${want}): cdk deploy -c config=<this file>`);
};

const credentials = async ({ config, account }: Live) => {
  const expected = config.env?.account;
  if (expected === undefined) return held(`account ${account} (the configuration names no env.account)`);
  return expected === account ? held(`account ${account}, as env.account says`) : failed(`your credentials are for account ${account}, the configuration for ${expected}`);
};

const CHECKS: Readonly<Record<PreconditionName, Check>> = {
  credentials,
  'service-steady': serviceSteady,
  'db-available': dbAvailable,
  'db-security-group': dbSecurityGroup,
  'service-security-group': serviceSecurityGroup,
  'ssl-mode': sslMode,
  'kms-key': kmsKey,
  'snapshot-quota': snapshotQuota,
  'stack-version': stackVersion,
};

/**
 * Every precondition of a change, read from the account (read-only). A precondition AWS will not
 * answer for (access denied, say) is reported as unchecked; credentials that do not work at all stop
 * everything with the CLI's error.
 */
export async function checkPreconditions(clients: DeploymentClients, retry: RetryPolicy, config: RunbookConfig): Promise<Precondition[]> {
  const identity = await callAws(() => clients.sts.send(new GetCallerIdentityCommand({})), retry);
  const live: Live = {
    config,
    account: identity.Account ?? '?',
    service: await readService(clients, retry, config),
    database: await readDatabase(clients, retry, config),
    stack: await readStack(clients, retry, config.stackName),
  };
  const results: Precondition[] = [];
  for (const name of PRECONDITIONS) {
    try {
      results.push({ name, ...(await CHECKS[name](live, clients, retry)) });
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      results.push({ name, ok: false, unchecked: true, detail: `could not check: ${err.message}` });
    }
  }
  return results;
}
