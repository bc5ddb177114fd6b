import { DescribeClustersCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DEFAULT_MIGRATION_PORT, DEFAULT_SERVICE_PORT } from '../../infra/config';
import { CliError, callAws, EXIT, type RetryPolicy } from '../aws';
import { clientRegion, type DeploymentClients } from './clients';
import { type Database, findDatabase } from './database';
import { DiscoveryError } from './errors';
import { type DeploymentKind, deploymentKind, tagRecord } from './kind';
import { findLoadBalancerUrls, type LoadBalancerUrl } from './load-balancer';
import { describeNetwork, type SubnetFacts } from './network';
import { admitsGroup, describeRule, ingressRules } from './security-groups';
import { containerVariable, DB_HOST_VARIABLE, findMetadataService, type MetadataService, SSL_MODE_VARIABLE } from './service';

export interface DiscoveryRequest {
  readonly cluster?: string;
  readonly service?: string;
  /** Which of the service's security groups the runbook's ingress rules go on, when it has several. */
  readonly serviceSecurityGroup?: string;
  /** Write the internal load balancer's URLs into the configuration (the task's IP is used otherwise). */
  readonly useLoadBalancer: boolean;
}

/** One discovered value: the configuration key it fills (or what it describes), and where it was read. */
export interface Finding {
  readonly key: string;
  readonly value: string | number | readonly string[];
  readonly source: string;
}

export interface Discovery {
  readonly kind: DeploymentKind;
  readonly database: { readonly kind: Database['kind']; readonly identifier: string; readonly engine: string; readonly engineVersion: string };
  /** The `env` and `deployment` sections of a configuration file, before the schema's defaults. */
  readonly settings: { env: { account: string; region: string }; deployment: Record<string, unknown> };
  readonly findings: readonly Finding[];
  readonly subnets: readonly SubnetFacts[];
  readonly loadBalancerUrls: readonly LoadBalancerUrl[];
  /** Things the operator should know that are not configuration: what was passed over, and why. */
  readonly notes: readonly string[];
}

function databaseFacts(db: Database) {
  const source = db.kind === 'instance' ? db.instance : db.cluster;
  return {
    engine: source.Engine ?? '',
    engineVersion: source.EngineVersion ?? '',
    groups: (source.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId).filter((id): id is string => id !== undefined),
    port: db.kind === 'instance' ? (db.instance.Endpoint?.Port ?? 5432) : (db.cluster.Port ?? 5432),
    tags: tagRecord(source.TagList),
  };
}

/** The service's group the runbook's rules go on: the only one, the one named, or the one the database admits. */
async function serviceSecurityGroup(
  clients: DeploymentClients,
  retry: RetryPolicy,
  groups: readonly string[],
  chosen: string | undefined,
  db: Database,
): Promise<{ groupId: string; source: string }> {
  const from = 'ecs:DescribeServices networkConfiguration.awsvpcConfiguration.securityGroups';
  if (chosen !== undefined) {
    if (groups.includes(chosen)) return { groupId: chosen, source: `--service-security-group, one of ${from}` };
    throw new DiscoveryError(`--service-security-group ${chosen} is not a group of the service; its groups are:`, groups.map((g) => `--service-security-group ${g}`), 'NotFound');
  }
  const [only] = groups;
  if (only && groups.length === 1) return { groupId: only, source: from };
  if (!only) throw new DiscoveryError('the service has no security groups in its network configuration', [], 'NotFound');
  const facts = databaseFacts(db);
  const rules = await ingressRules(clients, retry, facts.groups);
  const admitted = groups.filter((g) => admitsGroup(rules, facts.port, g).length > 0);
  const [admittedOnly] = admitted;
  if (admittedOnly && admitted.length === 1) {
    const rule = admitsGroup(rules, facts.port, admittedOnly)[0];
    return { groupId: admittedOnly, source: `${from}: the one of ${groups.length} the database admits (${rule ? describeRule(rule) : ''})` };
  }
  throw new DiscoveryError(
    `the service has ${groups.length} security groups and ${admitted.length === 0 ? 'none' : 'several'} of them is admitted by the database's groups on port ${facts.port}; choose the metadata service's own:`,
    groups.map((g) => `--service-security-group ${g}`),
    'Ambiguous',
  );
}

async function clusterTags(clients: DeploymentClients, retry: RetryPolicy, clusterName: string): Promise<Record<string, string>> {
  const described = await callAws(() => clients.ecs.send(new DescribeClustersCommand({ clusters: [clusterName], include: ['TAGS'] })), retry);
  return tagRecord(described.clusters?.[0]?.tags);
}

function containerName(ms: MetadataService): { name: string; source: string } {
  const bound = (ms.service.loadBalancers ?? []).find((lb) => lb.containerPort === DEFAULT_MIGRATION_PORT && lb.containerName === ms.container.name);
  return bound
    ? { name: ms.container.name, source: `ecs:DescribeServices loadBalancers[containerPort=${DEFAULT_MIGRATION_PORT}].containerName` }
    : { name: ms.container.name, source: `ecs:DescribeTaskDefinition: the container of ${ms.taskDefinition.family}:${ms.taskDefinition.revision} that maps ${DEFAULT_MIGRATION_PORT}` };
}

/**
 * Reads a Metaflow deployment from the account, read-only: the metadata service, its container and
 * database, its network, an internal load balancer's URLs, and how it was deployed. Every value comes
 * with where it was read. Stops with a DiscoveryError (candidates listed) when anything is missing or
 * ambiguous.
 */
export async function discover(clients: DeploymentClients, retry: RetryPolicy, request: DiscoveryRequest): Promise<Discovery> {
  const region = await clientRegion(clients);
  const identity = await callAws(() => clients.sts.send(new GetCallerIdentityCommand({})), retry);
  if (!identity.Account) throw new CliError('STS GetCallerIdentity returned no account', EXIT.aws, 'NoAccount');

  const ms = await findMetadataService(clients, retry, request);
  const serviceName = ms.service.serviceName;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const found = (key: string, value: Finding['value'], source: string) => findings.push({ key, value, source });
  found('env.account', identity.Account, 'sts:GetCallerIdentity of your credentials');
  found('env.region', region, '--region, else AWS_REGION or the profile');
  found('deployment.clusterName', ms.clusterName, request.cluster ? '--cluster' : 'ecs:ListClusters: the cluster of the only metadata service');
  found(
    'deployment.serviceName',
    serviceName,
    `ecs:DescribeServices + ecs:DescribeTaskDefinition: ${ms.taskDefinition.family}:${ms.taskDefinition.revision} maps ${DEFAULT_MIGRATION_PORT} and sets ${DB_HOST_VARIABLE}`,
  );
  const container = containerName(ms);
  found('deployment.containerName', container.name, container.source);
  const family = ms.taskDefinition.family as string;
  const taskSource = `ecs:DescribeTaskDefinition ${family}:${ms.taskDefinition.revision}`;
  found('deployment.taskDefinitionFamily', family, `${taskSource} family`);
  if (ms.taskDefinition.taskRoleArn) found('deployment.taskRoleArn', ms.taskDefinition.taskRoleArn, `${taskSource} taskRoleArn`);
  if (ms.taskDefinition.executionRoleArn) found('deployment.executionRoleArn', ms.taskDefinition.executionRoleArn, `${taskSource} executionRoleArn`);

  const host = containerVariable(ms.container, DB_HOST_VARIABLE);
  if (!host || 'secret' in host) {
    throw new DiscoveryError(
      `${DB_HOST_VARIABLE} of container ${ms.container.name} comes from a secret (${host && 'secret' in host ? host.secret : '?'}), whose value init does not read; give the database in the configuration by hand`,
      [],
      'NotFound',
    );
  }
  const db = await findDatabase(clients, retry, host.value);
  const dbFacts = databaseFacts(db);
  found(
    db.kind === 'aurora' ? 'deployment.dbClusterIdentifier' : 'deployment.dbInstanceIdentifier',
    db.identifier,
    `rds:${db.kind === 'aurora' ? 'DescribeDBClusters' : 'DescribeDBInstances'}: ${db.matchedBy} is ${DB_HOST_VARIABLE} of the container`,
  );
  const sslMode = containerVariable(ms.container, SSL_MODE_VARIABLE);
  found(
    'database',
    `${dbFacts.engine} ${dbFacts.engineVersion}, ${SSL_MODE_VARIABLE}=${sslMode === undefined ? '(not set)' : 'value' in sslMode ? sslMode.value : '(from a secret)'}`,
    'rds: Engine and EngineVersion; the container environment',
  );

  const awsvpc = ms.service.networkConfiguration?.awsvpcConfiguration;
  if (!awsvpc?.subnets?.length) {
    throw new DiscoveryError(
      `service ${serviceName} has no awsvpc network configuration: the runbook reaches its tasks by their private IP, which needs the awsvpc network mode (as on Fargate)`,
      [],
      'NotFound',
    );
  }
  const network = await describeNetwork(clients, retry, awsvpc.subnets);
  // Lambda needs no more than one subnet per zone, and the configuration takes each zone once.
  const perZone = network.subnets.filter((s, i) => network.subnets.findIndex((t) => t.availabilityZone === s.availabilityZone) === i);
  for (const skipped of network.subnets.filter((s) => !perZone.includes(s))) {
    notes.push(`subnet ${skipped.subnetId} is left out: ${skipped.availabilityZone} already has a subnet of the service`);
  }
  found('deployment.vpcId', network.vpcId, "ec2:DescribeSubnets of the service's subnets");
  found(
    'deployment.subnetIds',
    perZone.map((s) => s.subnetId),
    "ecs:DescribeServices awsvpcConfiguration.subnets: the service's own subnets (the handlers only make HTTP calls to its tasks)",
  );
  found(
    'deployment.availabilityZones',
    perZone.map((s) => s.availabilityZone),
    'ec2:DescribeSubnets AvailabilityZone, in the same order',
  );
  for (const s of network.subnets) {
    found(`route of ${s.subnetId}`, s.egress, `ec2:DescribeRouteTables: the 0.0.0.0/0 route of ${s.routeTableId}`);
  }
  const group = await serviceSecurityGroup(clients, retry, awsvpc.securityGroups ?? [], request.serviceSecurityGroup, db);
  found('deployment.serviceSecurityGroupId', group.groupId, group.source);

  const ports = [DEFAULT_MIGRATION_PORT, DEFAULT_SERVICE_PORT];
  if (!(ms.container.portMappings ?? []).some((m) => m.containerPort === DEFAULT_SERVICE_PORT)) {
    notes.push(`container ${ms.container.name} maps no port ${DEFAULT_SERVICE_PORT}: set deployment.servicePort to the metadata service's port`);
  }
  const lb = await findLoadBalancerUrls(clients, retry, ms.service, ports);
  notes.push(...lb.notes);
  const urlFor = (port: number) => lb.urls.find((u) => u.containerPort === port);
  const lbSettings: Record<string, unknown> = {};
  for (const [key, port] of [
    ['migrationUrl', DEFAULT_MIGRATION_PORT],
    ['serviceUrl', DEFAULT_SERVICE_PORT],
  ] as const) {
    const url = urlFor(port);
    if (!url) continue;
    found(`${request.useLoadBalancer ? '' : 'not written: '}deployment.${key}`, url.url, url.source);
    if (request.useLoadBalancer) lbSettings[key] = url.url;
  }
  if (lb.urls.length > 0 && !request.useLoadBalancer) {
    notes.push(
      "the load balancer's URLs are not written: the runbook calls the task's private IP, since a network load balancer drops a connection idle for 350 s and an upgrade can take longer (--use-load-balancer writes them)",
    );
  }
  if (Object.keys(lbSettings).length > 0) {
    lbSettings.vpcCidrBlock = network.vpcCidrBlock;
    found('deployment.vpcCidrBlock', network.vpcCidrBlock, 'ec2:DescribeVpcs CidrBlock (the handlers may reach the load balancer inside it)');
  }

  const kind = deploymentKind([
    { what: `ECS cluster ${ms.clusterName}`, tags: await clusterTags(clients, retry, ms.clusterName) },
    { what: `${db.kind === 'aurora' ? 'Aurora cluster' : 'DB instance'} ${db.identifier}`, tags: dbFacts.tags },
  ]);
  found('kind', kind.kind, kind.source);

  return {
    kind: kind.kind,
    database: { kind: db.kind, identifier: db.identifier, engine: dbFacts.engine, engineVersion: dbFacts.engineVersion },
    settings: {
      env: { account: identity.Account, region },
      deployment: {
        clusterName: ms.clusterName,
        serviceName,
        containerName: container.name,
        taskDefinitionFamily: family,
        ...(ms.taskDefinition.taskRoleArn ? { taskRoleArn: ms.taskDefinition.taskRoleArn } : {}),
        ...(ms.taskDefinition.executionRoleArn ? { executionRoleArn: ms.taskDefinition.executionRoleArn } : {}),
        ...(db.kind === 'aurora' ? { dbClusterIdentifier: db.identifier } : { dbInstanceIdentifier: db.identifier }),
        vpcId: network.vpcId,
        subnetIds: perZone.map((s) => s.subnetId),
        availabilityZones: perZone.map((s) => s.availabilityZone),
        serviceSecurityGroupId: group.groupId,
        ...lbSettings,
        migrationPort: DEFAULT_MIGRATION_PORT,
        servicePort: DEFAULT_SERVICE_PORT,
      },
    },
    findings,
    subnets: network.subnets,
    loadBalancerUrls: lb.urls,
    notes,
  };
}
