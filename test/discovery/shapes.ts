import { MOTO_ACCOUNT } from '../support/moto';
import * as ec2 from '@aws-sdk/client-ec2';
import * as ecs from '@aws-sdk/client-ecs';
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as kms from '@aws-sdk/client-kms';
import * as rds from '@aws-sdk/client-rds';
import type { DeploymentClients } from '../../cli/discovery/clients';
import type { DeploymentKind } from '../../cli/discovery/kind';
import type { Egress } from '../../cli/discovery/network';

/**
 * The deployment shapes of /work/shared/facts/metaflow-deployments.md, built in moto through the AWS
 * SDK with the names, tags, network and settings each kind gives its resources.
 *
 * moto's CloudFormation cannot create the guide's stack faithfully (it ignores a load balancer's Type,
 * so its TCP listeners are refused; it ignores an ECS service's network configuration and load
 * balancers and an RDS instance's security groups; Fn::GetAZs answers us-east-1 zones), so the stack's
 * resources are made through each service's API, named and tagged as CloudFormation names and tags them.
 */

/** What `init` must find in a shape. */
export interface Expected {
  readonly kind: DeploymentKind;
  readonly deployment: {
    clusterName: string;
    serviceName: string;
    containerName: string;
    taskDefinitionFamily: string;
    taskRoleArn?: string;
    executionRoleArn?: string;
    dbInstanceIdentifier?: string;
    dbClusterIdentifier?: string;
    vpcId: string;
    subnetIds: string[];
    availabilityZones: string[];
    serviceSecurityGroupId: string;
  };
  readonly urls?: { serviceUrl: string; migrationUrl: string };
  readonly egress: Egress;
}

/** A shape as built: what init must find, and what tests change to break a precondition. */
export interface Built {
  readonly expected: Expected;
  /** The database password planted in the task definition: it must never be printed or written. */
  readonly password: string;
  readonly dbSecurityGroupId: string;
  readonly kmsKeyId?: string;
  readonly taskDefinitionFamily: string;
  readonly container: ecs.ContainerDefinition;
}

export const REGION = 'eu-west-1';
const zone = (letter: string) => `${REGION}${letter}`;

// ---- building blocks, one AWS call each where moto allows ----

async function vpc(c: DeploymentClients, cidr: string): Promise<string> {
  return (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId as string;
}

async function subnet(c: DeploymentClients, vpcId: string, cidr: string, letter: string): Promise<string> {
  return (await c.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone(letter) }))).Subnet?.SubnetId as string;
}

async function internetGateway(c: DeploymentClients, vpcId: string): Promise<string> {
  const igw = (await c.ec2.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId as string;
  await c.ec2.send(new ec2.AttachInternetGatewayCommand({ VpcId: vpcId, InternetGatewayId: igw }));
  return igw;
}

/** A route table whose default route goes to `target`, associated with `subnets`. */
async function routeTable(c: DeploymentClients, vpcId: string, target: { GatewayId: string } | { NatGatewayId: string }, subnets: string[]): Promise<void> {
  const table = (await c.ec2.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable?.RouteTableId as string;
  await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', ...target }));
  for (const SubnetId of subnets) await c.ec2.send(new ec2.AssociateRouteTableCommand({ RouteTableId: table, SubnetId }));
}

async function natGateway(c: DeploymentClients, publicSubnet: string): Promise<string> {
  const AllocationId = (await c.ec2.send(new ec2.AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId;
  return (await c.ec2.send(new ec2.CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId }))).NatGateway?.NatGatewayId as string;
}

type Source = { cidr: string } | { group: string };

async function securityGroup(c: DeploymentClients, vpcId: string, name: string, ingress: [port: number | 'all', from: Source | 'self'][]): Promise<string> {
  const group = (await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }))).GroupId as string;
  const IpPermissions = ingress.map(([port, from]): ec2.IpPermission => {
    const source = from === 'self' ? { group } : from;
    return {
      ...(port === 'all' ? { IpProtocol: '-1' } : { IpProtocol: 'tcp', FromPort: port, ToPort: port }),
      ...('cidr' in source ? { IpRanges: [{ CidrIp: source.cidr }] } : { UserIdGroupPairs: [{ GroupId: source.group }] }),
    };
  });
  if (IpPermissions.length > 0) await c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: group, IpPermissions }));
  return group;
}

async function dbSubnetGroup(c: DeploymentClients, name: string, subnets: string[]): Promise<string> {
  await c.rds.send(new rds.CreateDBSubnetGroupCommand({ DBSubnetGroupName: name, DBSubnetGroupDescription: name, SubnetIds: subnets }));
  return name;
}

async function customerKey(c: DeploymentClients): Promise<string> {
  return (await c.kms.send(new kms.CreateKeyCommand({ Description: 'Metaflow RDS' }))).KeyMetadata?.Arn as string;
}

type Tags = Record<string, string>;
const rdsTags = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

async function dbInstance(c: DeploymentClients, input: rds.CreateDBInstanceCommandInput, tags: Tags = {}): Promise<string> {
  const created = await c.rds.send(new rds.CreateDBInstanceCommand({ ...input, Tags: rdsTags(tags) }));
  return created.DBInstance?.Endpoint?.Address as string;
}

async function ecsCluster(c: DeploymentClients, name: string, tags: Tags): Promise<void> {
  await c.ecs.send(new ecs.CreateClusterCommand({ clusterName: name, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) }));
}

/** The metadata service image's container: ports 8080 and 8082, the database in MF_METADATA_DB_*. */
function metadataContainer(name: string, db: { host: string; user: string; password: string; name: string; sslMode?: string }, ports = [8080, 8082]): ecs.ContainerDefinition {
  return {
    name,
    image: 'netflixoss/metaflow_metadata_service:v2.4.12',
    portMappings: ports.map((containerPort) => ({ containerPort, hostPort: containerPort, protocol: 'tcp' })),
    environment: [
      { name: 'MF_METADATA_DB_HOST', value: db.host },
      { name: 'MF_METADATA_DB_PORT', value: '5432' },
      { name: 'MF_METADATA_DB_USER', value: db.user },
      { name: 'MF_METADATA_DB_PSWD', value: db.password },
      { name: 'MF_METADATA_DB_NAME', value: db.name },
      ...(db.sslMode ? [{ name: 'MF_METADATA_DB_SSL_MODE', value: db.sslMode }] : []),
    ],
  };
}

/** The roles a deployment's task definition names: what init records for the runbook's narrow PassRole. */
export const roles = (task: string, execution: string) => ({ taskRoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/${task}`, executionRoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/${execution}` });

export async function registerTaskDefinition(
  c: DeploymentClients,
  family: string,
  container: ecs.ContainerDefinition,
  taskRoles: { taskRoleArn?: string; executionRoleArn?: string } = {},
): Promise<string> {
  const registered = await c.ecs.send(
    new ecs.RegisterTaskDefinitionCommand({ family, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '512', memory: '1024', containerDefinitions: [container], ...taskRoles }),
  );
  return registered.taskDefinition?.taskDefinitionArn as string;
}

interface ServiceInput {
  cluster: string;
  name: string;
  taskDefinition: string;
  subnets: string[];
  securityGroups: string[];
  publicIp: boolean;
  loadBalancers?: ecs.LoadBalancer[];
  desiredCount?: number;
}

export async function ecsService(c: DeploymentClients, s: ServiceInput): Promise<void> {
  await c.ecs.send(
    new ecs.CreateServiceCommand({
      cluster: s.cluster,
      serviceName: s.name,
      taskDefinition: s.taskDefinition,
      desiredCount: s.desiredCount ?? 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: s.subnets, securityGroups: s.securityGroups, assignPublicIp: s.publicIp ? 'ENABLED' : 'DISABLED' } },
      loadBalancers: s.loadBalancers,
    }),
  );
}

/** An internal network load balancer with the guide's listeners: 80 → 8080, 8082 → 8082. */
async function networkLoadBalancer(
  c: DeploymentClients,
  names: { lb: string; tg8080: string; tg8082: string },
  vpcId: string,
  subnets: string[],
  container: string,
): Promise<{ bindings: ecs.LoadBalancer[]; urls: { serviceUrl: string; migrationUrl: string } }> {
  const lb = (await c.elbv2.send(new elbv2.CreateLoadBalancerCommand({ Name: names.lb, Scheme: 'internal', Type: 'network', Subnets: subnets }))).LoadBalancers?.[0];
  const bindings: ecs.LoadBalancer[] = [];
  for (const [name, containerPort, listenerPort] of [
    [names.tg8080, 8080, 80],
    [names.tg8082, 8082, 8082],
  ] as const) {
    const group = (
      await c.elbv2.send(
        new elbv2.CreateTargetGroupCommand({ Name: name, Port: containerPort, Protocol: 'TCP', TargetType: 'ip', VpcId: vpcId, HealthCheckPort: '8080' }),
      )
    ).TargetGroups?.[0]?.TargetGroupArn as string;
    await c.elbv2.send(
      new elbv2.CreateListenerCommand({ LoadBalancerArn: lb?.LoadBalancerArn, Port: listenerPort, Protocol: 'TCP', DefaultActions: [{ Type: 'forward', TargetGroupArn: group }] }),
    );
    bindings.push({ targetGroupArn: group, containerName: container, containerPort });
  }
  return { bindings, urls: { serviceUrl: `http://${lb?.DNSName}`, migrationUrl: `http://${lb?.DNSName}:8082` } };
}

// ---- the shapes ----

/**
 * The guide's CloudFormation template (metaflow-cfn-template.yml, facts section 2): two public subnets
 * and an internet gateway, no NAT; generated cluster and DB names; the service and its container both
 * `metadata-service-v2`; the NLB serving 8080 on listener port 80; PostgreSQL 16.1, SSL mode prefer.
 * With `ui`, the UI's service runs in the same cluster with the same database settings (port 8083).
 */
export async function cloudformationShape(
  c: DeploymentClients,
  stack = 'metaflow',
  options: { ui?: boolean; cidr?: string; desiredCount?: number } = {},
): Promise<Built> {
  const cidr = options.cidr ?? '10.20.0.0/16';
  const octets = cidr.split('.').slice(0, 2).join('.');
  const vpcId = await vpc(c, cidr);
  const subnets = [await subnet(c, vpcId, `${octets}.0.0/24`, 'a'), await subnet(c, vpcId, `${octets}.1.0/24`, 'b')];
  await routeTable(c, vpcId, { GatewayId: await internetGateway(c, vpcId) }, subnets);
  // CloudFormation tags what it creates; AWS refuses `aws:` tags from callers, moto does not.
  const cfnTags = (logicalId: string): Tags => ({
    'aws:cloudformation:stack-name': stack,
    'aws:cloudformation:stack-id': `arn:aws:cloudformation:${REGION}:123456789012:stack/${stack}/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`,
    'aws:cloudformation:logical-id': logicalId,
  });
  const fargate = await securityGroup(c, vpcId, `${stack}-FargateSecurityGroup-1AB2C3D4E5F6`, [
    [8080, { cidr }],
    [8082, { cidr }],
    ['all', 'self'],
  ]);
  const rdsGroup = await securityGroup(c, vpcId, `${stack}-RDSSecurityGroup-7G8H9I0J1K2L`, [[5432, { group: fargate }]]);
  const password = `cfn-secret-${stack}-Xq7`;
  const dbId = `${stack}-rdsmasterinstance-q2w3e4r5t6y7`;
  const host = await dbInstance(
    c,
    {
      DBInstanceIdentifier: dbId,
      DBName: 'metaflow',
      AllocatedStorage: 20,
      DBInstanceClass: 'db.t3.small',
      StorageType: 'gp2',
      Engine: 'postgres',
      EngineVersion: '16.1',
      MasterUsername: 'master',
      MasterUserPassword: password,
      VpcSecurityGroupIds: [rdsGroup],
      DBSubnetGroupName: await dbSubnetGroup(c, `${stack}-dbsubnetgroup-u8i9o0p1a2s3`, subnets),
    },
    cfnTags('RDSMasterInstance'),
  );
  const clusterName = `${stack}-ECSCluster-NT5EUXTNTXXD`;
  await ecsCluster(c, clusterName, cfnTags('ECSCluster'));
  const name = 'metadata-service-v2';
  const lb = await networkLoadBalancer(c, { lb: `${stack}-NLB-1R2T3Y4U5I6O`.slice(0, 32), tg8080: `${stack}-NLBTarg-8080`, tg8082: `${stack}-NLBTarg-8082` }, vpcId, subnets, name);
  const db = { host, user: 'master', password, name: 'metaflow', sslMode: 'prefer' };
  const container = metadataContainer(name, db);
  const cfnRoles = roles(`${stack}-MetadataSvcECSTaskRole-7U8I9O0P1A2S`, `${stack}-ECSTaskExecutionRole-1QW2E3R4T5Y6`);
  await ecsService(c, {
    cluster: clusterName,
    name,
    taskDefinition: await registerTaskDefinition(c, name, container, cfnRoles),
    subnets,
    securityGroups: [fargate],
    publicIp: true,
    loadBalancers: lb.bindings,
    // moto starts every service with one running task (MOTO_ECS_SERVICE_RUNNING, see test/support/moto.ts).
    desiredCount: options.desiredCount,
  });
  if (options.ui) {
    const ui = 'metaflow-ui-service';
    await ecsService(c, { cluster: clusterName, name: ui, taskDefinition: await registerTaskDefinition(c, ui, metadataContainer(ui, db, [8083])), subnets, securityGroups: [fargate], publicIp: true });
  }
  return {
    expected: {
      kind: 'cloudformation',
      deployment: {
        clusterName,
        serviceName: name,
        containerName: name,
        taskDefinitionFamily: name,
        ...cfnRoles,
        dbInstanceIdentifier: dbId,
        vpcId,
        subnetIds: subnets,
        availabilityZones: [zone('a'), zone('b')],
        serviceSecurityGroupId: fargate,
      },
      urls: lb.urls,
      egress: 'internet gateway',
    },
    password,
    dbSecurityGroupId: rdsGroup,
    taskDefinitionFamily: name,
    container,
  };
}

/**
 * What both Terraform shapes share (facts sections 3.1, 3.2, 4): a 10.10.0.0/16 VPC with three private
 * and three public /21 subnets behind one NAT gateway, the metadata service's group (8080 and 8082 from
 * the VPC, all from itself), the RDS group (5432 from the metadata group only), and the module's own KMS key.
 */
async function terraformModuleBase(c: DeploymentClients, P: string, S: string) {
  const cidr = '10.10.0.0/16';
  const vpcId = await vpc(c, cidr);
  const letters = ['a', 'b', 'c'];
  const privates: string[] = [];
  const publics: string[] = [];
  for (const [i, letter] of letters.entries()) privates.push(await subnet(c, vpcId, `10.10.${i * 8}.0/21`, letter));
  for (const [i, letter] of letters.entries()) publics.push(await subnet(c, vpcId, `10.10.${(i + 3) * 8}.0/21`, letter));
  await routeTable(c, vpcId, { GatewayId: await internetGateway(c, vpcId) }, publics);
  await routeTable(c, vpcId, { NatGatewayId: await natGateway(c, publics[0] as string) }, privates);
  const metadataGroup = await securityGroup(c, vpcId, `${P}metadata-service-security-group${S}`, [
    [8080, { cidr }],
    [8082, { cidr }],
    ['all', 'self'],
  ]);
  const rdsGroup = await securityGroup(c, vpcId, `${P}rds-security-group${S}`, [[5432, { group: metadataGroup }]]);
  return { cidr, vpcId, privates, publics, metadataGroup, rdsGroup, kmsKeyId: await customerKey(c) };
}

/**
 * The terraform-aws-metaflow root module as its minimal example uses it (facts section 3): prefix
 * `metaflow-`, suffix `-<random>`; a VPC with three private and three public subnets and one NAT, the
 * service in the first two public ones; the container named apart from the service; a CMK-encrypted
 * Multi-AZ PostgreSQL 11 without an SSL mode; the UI backend as a second client of the same database.
 */
export async function terraformShape(c: DeploymentClients): Promise<Built> {
  const P = 'metaflow-';
  const S = '-abcd1234';
  const { cidr, vpcId, publics, metadataGroup, rdsGroup, kmsKeyId } = await terraformModuleBase(c, P, S);
  const used = publics.slice(0, 2);
  const password = 'tf-random-password-0123456789abcdef';
  const dbId = `${P}metaflow${S}`;
  const host = await dbInstance(
    c,
    {
      DBInstanceIdentifier: dbId,
      DBName: 'metaflow',
      AllocatedStorage: 20,
      MaxAllocatedStorage: 1000,
      DBInstanceClass: 'db.t2.small',
      StorageType: 'gp2',
      Engine: 'postgres',
      EngineVersion: '11',
      MasterUsername: 'metaflow',
      MasterUserPassword: password,
      StorageEncrypted: true,
      KmsKeyId: kmsKeyId,
      MultiAZ: true,
      VpcSecurityGroupIds: [rdsGroup],
      DBSubnetGroupName: await dbSubnetGroup(c, `${P}main${S}`, used),
    },
    { Name: `${P}metaflow${S}`, Metaflow: 'true' },
  );
  // The module names the cluster replace("${P}${S}", "--", "-").
  const clusterName = `${P}${S}`.replace('--', '-');
  await ecsCluster(c, clusterName, { Name: clusterName, Metaflow: 'true' });
  const serviceName = `${P}metadata-service${S}`;
  const containerName = `${P}service${S}`;
  const lb = await networkLoadBalancer(c, { lb: `${P}nlb${S}`, tg8080: `${P}mdtg${S}`, tg8082: `${P}dbtg${S}` }, vpcId, used, containerName);
  const db = { host, user: 'metaflow', password, name: 'metaflow' };
  const container = metadataContainer(containerName, db);
  const tfRoles = roles(`${P}metadata-svc-ecs-task-role${S}`, `${P}ecs-execution-role${S}`);
  await ecsService(c, {
    cluster: clusterName,
    name: serviceName,
    taskDefinition: await registerTaskDefinition(c, containerName, container, tfRoles),
    subnets: used,
    securityGroups: [metadataGroup],
    publicIp: true,
    loadBalancers: lb.bindings,
  });
  const uiName = `${P}ui_backend${S}`;
  const uiGroup = await securityGroup(c, vpcId, `${P}ui-backend-security-group${S}`, [[8083, { cidr }]]);
  await ecsService(c, {
    cluster: clusterName,
    name: uiName,
    taskDefinition: await registerTaskDefinition(c, uiName, metadataContainer(uiName, db, [8083])),
    subnets: used,
    securityGroups: [uiGroup, metadataGroup],
    publicIp: true,
  });
  return {
    expected: {
      kind: 'terraform',
      deployment: {
        clusterName,
        serviceName,
        containerName,
        taskDefinitionFamily: containerName,
        ...tfRoles,
        dbInstanceIdentifier: dbId,
        vpcId,
        subnetIds: used,
        availabilityZones: [zone('a'), zone('b')],
        serviceSecurityGroupId: metadataGroup,
      },
      urls: lb.urls,
      egress: 'internet gateway',
    },
    password,
    dbSecurityGroupId: rdsGroup,
    kmsKeyId,
    taskDefinitionFamily: containerName,
    container,
  };
}

/**
 * Made by hand in the console, in the account's default VPC: names of the operator's choosing, no
 * deployment tags, no load balancer, PostgreSQL 15 with SSL required. The subnets have no route table
 * of their own, so the VPC's main table decides where they route.
 */
export async function consoleShape(c: DeploymentClients, options: { dbHost?: string; secondGroup?: boolean } = {}): Promise<Built> {
  const defaultVpc = (await c.ec2.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs?.[0];
  const vpcId = defaultVpc?.VpcId as string;
  const all = (await c.ec2.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
  const subnets = ['a', 'b'].map((l) => all.find((s) => s.AvailabilityZone === zone(l))?.SubnetId as string);
  // AWS's default VPC routes 0.0.0.0/0 to its internet gateway in the main table; moto's has no gateway.
  const main = (await c.ec2.send(new ec2.DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'association.main', Values: ['true'] }] })))
    .RouteTables?.[0]?.RouteTableId;
  await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: main, DestinationCidrBlock: '0.0.0.0/0', GatewayId: await internetGateway(c, vpcId) }));
  const serviceGroup = await securityGroup(c, vpcId, 'metaflow-service', [[8080, { cidr: defaultVpc?.CidrBlock as string }]]);
  const dbGroup = await securityGroup(c, vpcId, 'metaflow-db', [[5432, { group: serviceGroup }]]);
  const password = 'console-typed-password';
  const dbId = 'metaflow-db';
  const endpoint = await dbInstance(c, {
    DBInstanceIdentifier: dbId,
    AllocatedStorage: 20,
    DBInstanceClass: 'db.t3.micro',
    Engine: 'postgres',
    EngineVersion: '15.4',
    MasterUsername: 'postgres',
    MasterUserPassword: password,
    VpcSecurityGroupIds: [dbGroup],
  });
  const clusterName = 'metaflow';
  await ecsCluster(c, clusterName, {});
  const container = metadataContainer('metadata-service', { host: options.dbHost ?? endpoint, user: 'postgres', password, name: 'postgres', sslMode: 'require' });
  // An operator may add a shared group (say, for monitoring) beside the service's own.
  const groups = options.secondGroup ? [await securityGroup(c, vpcId, 'monitoring', [[9100, { cidr: '10.0.0.0/8' }]]), serviceGroup] : [serviceGroup];
  const consoleRoles = { executionRoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/ecsTaskExecutionRole` };
  await ecsService(c, { cluster: clusterName, name: 'metadata', taskDefinition: await registerTaskDefinition(c, 'metadata', container, consoleRoles), subnets, securityGroups: groups, publicIp: true });
  return {
    expected: {
      kind: 'console',
      deployment: { clusterName, serviceName: 'metadata', containerName: 'metadata-service', taskDefinitionFamily: 'metadata', ...consoleRoles, dbInstanceIdentifier: dbId, vpcId, subnetIds: subnets, availabilityZones: [zone('a'), zone('b')], serviceSecurityGroupId: serviceGroup },
      egress: 'internet gateway',
    },
    password,
    dbSecurityGroupId: dbGroup,
    taskDefinitionFamily: 'metadata',
    container,
  };
}

/**
 * The Terraform submodules used directly with an Aurora datastore, as the EKS examples do (facts
 * section 4): no dashes added to prefix and suffix, the service in private subnets behind one NAT,
 * an aurora-postgresql cluster with one writer, MF_METADATA_DB_HOST the cluster endpoint.
 */
export async function auroraShape(c: DeploymentClients): Promise<Built> {
  const P = 'metaflow';
  const S = 'abcd1234';
  const base = await terraformModuleBase(c, P, S);
  const { vpcId, metadataGroup, rdsGroup, kmsKeyId } = base;
  const privates = base.privates.slice(0, 2);
  const clusterId = `${P}${P}${S}`;
  const password = 'aurora-random-password';
  const created = await c.rds.send(
    new rds.CreateDBClusterCommand({
      DBClusterIdentifier: clusterId,
      Engine: 'aurora-postgresql',
      EngineVersion: '15.4',
      DatabaseName: 'metaflow',
      MasterUsername: 'metaflow',
      MasterUserPassword: password,
      StorageEncrypted: true,
      KmsKeyId: kmsKeyId,
      VpcSecurityGroupIds: [rdsGroup],
      DBSubnetGroupName: await dbSubnetGroup(c, `${P}main${S}`, privates),
      Tags: rdsTags({ Name: clusterId, Metaflow: 'true' }),
    }),
  );
  await c.rds.send(new rds.CreateDBInstanceCommand({ DBInstanceIdentifier: `${clusterId}-0`, DBClusterIdentifier: clusterId, Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large' }));
  const clusterName = `${P}${S}`;
  await ecsCluster(c, clusterName, { Name: clusterName, Metaflow: 'true' });
  const serviceName = `${P}metadata-service${S}`;
  const containerName = `${P}service${S}`;
  const lb = await networkLoadBalancer(c, { lb: `${P}nlb${S}`, tg8080: `${P}mdtg${S}`, tg8082: `${P}dbtg${S}` }, vpcId, privates, containerName);
  const container = metadataContainer(containerName, { host: created.DBCluster?.Endpoint as string, user: 'metaflow', password, name: 'metaflow' });
  const auroraRoles = roles(`${P}metadata-svc-ecs-task-role${S}`, `${P}ecs-execution-role${S}`);
  await ecsService(c, {
    cluster: clusterName,
    name: serviceName,
    taskDefinition: await registerTaskDefinition(c, containerName, container, auroraRoles),
    subnets: privates,
    securityGroups: [metadataGroup],
    publicIp: true,
    loadBalancers: lb.bindings,
  });
  return {
    expected: {
      kind: 'terraform',
      deployment: {
        clusterName,
        serviceName,
        containerName,
        taskDefinitionFamily: containerName,
        ...auroraRoles,
        dbClusterIdentifier: clusterId,
        vpcId,
        subnetIds: privates,
        availabilityZones: [zone('a'), zone('b')],
        serviceSecurityGroupId: metadataGroup,
      },
      urls: lb.urls,
      egress: 'NAT gateway',
    },
    password,
    dbSecurityGroupId: rdsGroup,
    kmsKeyId,
    taskDefinitionFamily: containerName,
    container,
  };
}
