import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import exampleConfig from '../config/example.json';

/**
 * The Metaflow deployments the rehearsal runs on, shaped like the real ones
 * (shared/facts/metaflow-deployments.md, with its sources): the guide's CloudFormation template,
 * the outerbounds/terraform-aws-metaflow modules (with an RDS instance, and with the Aurora cluster
 * their datastore module makes for `db_engine = "aurora-postgresql"`), an instance made by hand in
 * today's console, and the production-like deployment of config/example.json. Each is the runbook configuration an
 * operator would write for it, the resources as AWS describes them, and what the account around
 * them holds (groups, keys, roles), so the simulated AWS can refuse what AWS would refuse.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export type InstanceFixtureName = 'example' | 'cloudformation' | 'terraform' | 'console';
export type ClusterFixtureName = 'terraform-aurora';
export type FixtureName = InstanceFixtureName | ClusterFixtureName;

export interface KmsKey {
  readonly arn: string;
  /** CUSTOMER: IAM must grant the caller kms:CreateGrant and kms:DescribeKey; AWS: aws/rds, usable through RDS by anyone in the account. */
  readonly manager: 'CUSTOMER' | 'AWS';
}

export interface SubnetGroup {
  readonly name: string;
  readonly vpcId: string;
  readonly subnets: readonly { readonly id: string; readonly zone: string }[];
}

interface FixtureCommon {
  readonly name: FixtureName;
  readonly description: string;
  /** The runbook configuration for it (what `runbook init` finds), before defaults. */
  readonly config: Record<string, unknown>;
  /** What the account holds around the database: a restore may only name what exists. */
  readonly account: {
    readonly subnetGroups: readonly SubnetGroup[];
    /** Security groups per VPC; the first of each VPC is its default group. */
    readonly securityGroups: Readonly<Record<string, readonly string[]>>;
    readonly parameterGroups: readonly { readonly name: string; readonly family: string }[];
    /** Aurora clusters' own parameter groups (DB cluster parameter groups), besides the default ones. */
    readonly clusterParameterGroups?: readonly { readonly name: string; readonly family: string }[];
    readonly optionGroups: readonly string[];
    readonly kmsKeys: readonly KmsKey[];
    readonly roles: readonly string[];
  };
  readonly service: {
    readonly desiredCount: number;
    readonly minimumHealthyPercent: number;
    readonly maximumPercent: number;
    readonly family: string;
    readonly environment: Readonly<Record<string, string>>;
    readonly executionRoleArn: string;
    readonly taskRoleArn: string;
    readonly subnets: readonly string[];
    readonly securityGroups: readonly string[];
    readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  };
}

/** A deployment whose database is an RDS DB instance. */
export interface InstanceFixture extends FixtureCommon {
  /** The DB instance as DescribeDBInstances returns it, in the API's casing; absent fields are absent. */
  readonly dbInstance: DBInstance;
}

/** A deployment whose database is an Aurora DB cluster. */
export interface ClusterFixture extends FixtureCommon {
  /** The cluster as DescribeDBClusters returns it, in the API's casing. */
  readonly dbCluster: DBCluster;
  /** Its instances as DescribeDBInstances returns them; the writer first. */
  readonly clusterInstances: readonly DBInstance[];
}

export type DeploymentFixture = InstanceFixture | ClusterFixture;

export function isClusterFixture(fixture: DeploymentFixture): fixture is ClusterFixture {
  return 'dbCluster' in fixture;
}

const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const endpoint = (id: string) => ({ Address: `${id}.c9akciq32.${REGION}.rds.amazonaws.com`, Port: 5432, HostedZoneId: 'Z29XKXDKYMONMX' });
const awsManagedRdsKey: KmsKey = { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/7a1c2e3f-0b4d-4c5e-9f60-718293a4b5c6`, manager: 'AWS' };
const subnetIds = (group: SubnetGroup) => group.subnets.map((s) => s.id);
const zones = (group: SubnetGroup) => group.subnets.map((s) => s.zone);

/** A DB subnet group as DescribeDBInstances shows it inside an instance. */
export function describeSubnetGroup(group: SubnetGroup): NonNullable<DBInstance['DBSubnetGroup']> {
  return {
    DBSubnetGroupName: group.name,
    DBSubnetGroupDescription: `${group.name} subnets`,
    VpcId: group.vpcId,
    SubnetGroupStatus: 'Complete',
    Subnets: group.subnets.map((s) => ({ SubnetIdentifier: s.id, SubnetAvailabilityZone: { Name: s.zone }, SubnetStatus: 'Active' })),
    SupportedNetworkTypes: ['IPV4'],
  };
}

/**
 * What every instance reports that no one sets, and what CreateDBInstance gives what its maker left
 * alone (no IAM authentication, no Performance Insights, no monitoring, no log exports): filled in
 * per fixture from its identifier and settings, which override these.
 */
function described(id: string, settings: DBInstance, group: SubnetGroup): DBInstance {
  return {
    DBInstanceIdentifier: id,
    DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`,
    DBInstanceStatus: 'available',
    Endpoint: endpoint(id),
    InstanceCreateTime: new Date('2024-03-11T10:20:30Z'),
    LatestRestorableTime: new Date('2026-11-24T08:55:00Z'),
    DbiResourceId: `db-${id.replace(/[^a-z0-9]/g, '').slice(0, 10).toUpperCase()}ABCDEFGHIJ`,
    DbInstancePort: 0,
    DBSecurityGroups: [],
    ReadReplicaDBInstanceIdentifiers: [],
    ReadReplicaDBClusterIdentifiers: [],
    LicenseModel: 'postgresql-license',
    DomainMemberships: [],
    AssociatedRoles: [],
    DBInstanceAutomatedBackupsReplications: [],
    CustomerOwnedIpEnabled: false,
    ActivityStreamStatus: 'stopped',
    BackupTarget: 'region',
    NetworkType: 'IPV4',
    StorageEncryptionType: settings.StorageEncrypted ? 'sse-kms' : 'none',
    MultiTenant: false,
    DedicatedLogVolume: false,
    IsStorageConfigUpgradeAvailable: false,
    EngineLifecycleSupport: 'open-source-rds-extended-support',
    UpgradeRolloutOrder: 'second',
    DatabaseInsightsMode: 'standard',
    PendingModifiedValues: {},
    Engine: 'postgres',
    DBName: 'metaflow',
    IAMDatabaseAuthenticationEnabled: false,
    PerformanceInsightsEnabled: false,
    MonitoringInterval: 0,
    EnabledCloudwatchLogsExports: [],
    DBSubnetGroup: describeSubnetGroup(group),
    CertificateDetails: { CAIdentifier: settings.CACertificateIdentifier, ValidTill: new Date('2027-03-11T10:20:30Z') },
    ...settings,
  };
}

// ---------------------------------------------------------------------------------------------
// example: config/example.json's deployment, a production-like instance made by a platform team
// ---------------------------------------------------------------------------------------------
const exampleGroup: SubnetGroup = {
  name: 'metaflow-db-subnets',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnets: [
    { id: 'subnet-0a1b2c3d4e5f60718', zone: 'eu-west-1a' },
    { id: 'subnet-1a2b3c4d5e6f70819', zone: 'eu-west-1b' },
  ],
};
const example: InstanceFixture = {
  name: 'example',
  description: 'config/example.json: a production-like instance made by a platform team (Multi-AZ, gp3 above the provisioning threshold, its own parameter group, protected)',
  config: exampleConfig,
  dbInstance: described(
    'metaflow-db',
    {
      EngineVersion: '15.8',
      DBInstanceClass: 'db.r6g.large',
      MasterUsername: 'metaflow',
      MultiAZ: true,
      AvailabilityZone: 'eu-west-1a',
      SecondaryAvailabilityZone: 'eu-west-1b',
      PubliclyAccessible: false,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: false,
      StorageType: 'gp3',
      AllocatedStorage: 400,
      Iops: 12000,
      StorageThroughput: 500,
      StorageEncrypted: true,
      KmsKeyId: awsManagedRdsKey.arn,
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '03:00-03:30',
      PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0db0db0db0db0db01', Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: 'metaflow-postgres15', ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-15', Status: 'in-sync' }],
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      TagList: [{ Key: 'team', Value: 'ml-platform' }],
    },
    exampleGroup,
  ),
  account: {
    subnetGroups: [exampleGroup],
    securityGroups: { [exampleGroup.vpcId]: ['sg-0defa017defa01701', 'sg-0db0db0db0db0db01', 'sg-0a1b2c3d4e5f60718'] },
    parameterGroups: [{ name: 'metaflow-postgres15', family: 'postgres15' }],
    optionGroups: [],
    kmsKeys: [awsManagedRdsKey],
    roles: [role('metaflow-ecs-execution'), role('metaflow-metadata-service')],
  },
  service: {
    desiredCount: 2,
    minimumHealthyPercent: 100,
    maximumPercent: 200,
    family: 'metaflow-metadata-service',
    environment: { MF_METADATA_DB_SSL_MODE: 'require' },
    executionRoleArn: role('metaflow-ecs-execution'),
    taskRoleArn: role('metaflow-metadata-service'),
    subnets: subnetIds(exampleGroup),
    securityGroups: ['sg-0a1b2c3d4e5f60718'],
    assignPublicIp: 'DISABLED',
  },
};

// ---------------------------------------------------------------------------------------------
// cloudformation: the guide's template (outerbounds/metaflow-tools metaflow-cfn-template.yml)
// ---------------------------------------------------------------------------------------------
const cfnStack = 'metaflow';
const cfnGroup: SubnetGroup = {
  name: 'metaflow-dbsubnetgroup-r1k8ng2ldqoh',
  vpcId: 'vpc-0c1f0a2b3c4d5e6f7',
  subnets: [
    { id: 'subnet-0c1f000000000a001', zone: 'eu-west-1a' },
    { id: 'subnet-0c1f000000000b002', zone: 'eu-west-1b' },
  ],
};
const cfnDbId = 'metaflow-rdsmasterinstance-1x2y3z4w5v6u';
const cloudformation: InstanceFixture = {
  name: 'cloudformation',
  description: "the guide's CloudFormation stack: generated names, aws:cloudformation:* tags, unencrypted Single-AZ gp2 20 GiB, public subnets only, service and container metadata-service-v2 at 200/75",
  config: {
    stackName: 'MetaflowMigrationRunbook',
    deployment: {
      clusterName: `${cfnStack}-ECSCluster-NT5EUXTNTXXD`,
      serviceName: 'metadata-service-v2',
      containerName: 'metadata-service-v2',
      taskDefinitionFamily: 'metadata-service-v2',
      taskRoleArn: role(`${cfnStack}-MetadataSvcECSTaskRole-7U8I9O0P1A2S`),
      executionRoleArn: role(`${cfnStack}-ECSTaskExecutionRole-1QW2E3R4T5Y6`),
      dbInstanceIdentifier: cfnDbId,
      vpcId: cfnGroup.vpcId,
      subnetIds: subnetIds(cfnGroup),
      availabilityZones: zones(cfnGroup),
      serviceSecurityGroupId: 'sg-0c1f0fa2cae000001',
    },
  },
  dbInstance: described(
    cfnDbId,
    {
      EngineVersion: '16.1',
      DBInstanceClass: 'db.t3.small',
      MasterUsername: 'master',
      MultiAZ: false,
      AvailabilityZone: 'eu-west-1b',
      PubliclyAccessible: false,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      AutoMinorVersionUpgrade: true,
      StorageType: 'gp2',
      AllocatedStorage: 20,
      StorageEncrypted: false,
      BackupRetentionPeriod: 1,
      PreferredBackupWindow: '22:36-23:06',
      PreferredMaintenanceWindow: 'wed:01:12-wed:01:42',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0c1f0dbdbdbdb0002', Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres16', ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16', Status: 'in-sync' }],
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      // CloudFormation tags what it creates; RDS refuses these keys in any Tags parameter.
      TagList: [
        { Key: 'aws:cloudformation:stack-name', Value: cfnStack },
        { Key: 'aws:cloudformation:stack-id', Value: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${cfnStack}/2f0c5e10-9a1b-11ee-8c90-0242ac120002` },
        { Key: 'aws:cloudformation:logical-id', Value: 'RDSMasterInstance' },
      ],
    },
    cfnGroup,
  ),
  account: {
    subnetGroups: [cfnGroup],
    securityGroups: { [cfnGroup.vpcId]: ['sg-0c1f0defa0170001f', 'sg-0c1f0dbdbdbdb0002', 'sg-0c1f0fa2cae000001'] },
    parameterGroups: [],
    optionGroups: [],
    kmsKeys: [],
    roles: [role(`${cfnStack}-ECSTaskExecutionRole-1QW2E3R4T5Y6`), role(`${cfnStack}-MetadataSvcECSTaskRole-7U8I9O0P1A2S`)],
  },
  service: {
    desiredCount: 1,
    minimumHealthyPercent: 75,
    maximumPercent: 200,
    family: 'metadata-service-v2',
    environment: { MF_METADATA_DB_SSL_MODE: 'prefer', MF_METADATA_DB_USER: 'master', MF_METADATA_DB_NAME: 'metaflow' },
    executionRoleArn: role(`${cfnStack}-ECSTaskExecutionRole-1QW2E3R4T5Y6`),
    taskRoleArn: role(`${cfnStack}-MetadataSvcECSTaskRole-7U8I9O0P1A2S`),
    subnets: subnetIds(cfnGroup),
    securityGroups: ['sg-0c1f0fa2cae000001'],
    assignPublicIp: 'ENABLED',
  },
};

// ---------------------------------------------------------------------------------------------
// terraform: outerbounds/terraform-aws-metaflow (v0.12.1), root module, minimal example
// ---------------------------------------------------------------------------------------------
const tfSuffix = 'abcd1234';
const tfGroup: SubnetGroup = {
  name: `metaflow-main-${tfSuffix}`,
  vpcId: 'vpc-07f0e0d0c0b0a0901',
  subnets: [
    { id: 'subnet-07f0e0d0c0b0a0a01', zone: 'eu-west-1a' },
    { id: 'subnet-07f0e0d0c0b0a0b02', zone: 'eu-west-1b' },
  ],
};
const tfKey: KmsKey = { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/3f6d2a8e-91c4-4b7a-a0d2-5e8c1f9b7a63`, manager: 'CUSTOMER' };
const tfDbId = `metaflow-metaflow-${tfSuffix}`;
const terraform: InstanceFixture = {
  name: 'terraform',
  description: 'the outerbounds/terraform-aws-metaflow modules: its own KMS key, Multi-AZ, gp2 20 GiB autoscaling to 1000, PostgreSQL 11, service and container named differently, ECS defaults 200/100',
  config: {
    stackName: 'MetaflowMigrationRunbook',
    deployment: {
      clusterName: `metaflow-${tfSuffix}`,
      serviceName: `metaflow-metadata-service-${tfSuffix}`,
      containerName: `metaflow-service-${tfSuffix}`,
      taskDefinitionFamily: `metaflow-service-${tfSuffix}`,
      taskRoleArn: role(`metaflow-metadata-svc-ecs-task-role-${tfSuffix}`),
      executionRoleArn: role(`metaflow-ecs-execution-role-${tfSuffix}`),
      dbInstanceIdentifier: tfDbId,
      vpcId: tfGroup.vpcId,
      subnetIds: subnetIds(tfGroup),
      availabilityZones: zones(tfGroup),
      serviceSecurityGroupId: 'sg-07f0e0d0c0b0a0933',
    },
  },
  dbInstance: described(
    tfDbId,
    {
      EngineVersion: '11.22',
      DBInstanceClass: 'db.t2.small',
      MasterUsername: 'metaflow',
      MultiAZ: true,
      AvailabilityZone: 'eu-west-1b',
      SecondaryAvailabilityZone: 'eu-west-1a',
      PubliclyAccessible: false,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      AutoMinorVersionUpgrade: true,
      StorageType: 'gp2',
      AllocatedStorage: 20,
      MaxAllocatedStorage: 1000,
      StorageEncrypted: true,
      KmsKeyId: tfKey.arn,
      BackupRetentionPeriod: 1,
      PreferredBackupWindow: '04:06-04:36',
      PreferredMaintenanceWindow: 'mon:00:33-mon:01:03',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-07f0e0d0c0b0a0944', Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres11', ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-11', Status: 'in-sync' }],
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      TagList: [
        { Key: 'Name', Value: tfDbId },
        { Key: 'Metaflow', Value: 'true' },
      ],
    },
    tfGroup,
  ),
  account: {
    subnetGroups: [tfGroup],
    securityGroups: { [tfGroup.vpcId]: ['sg-07f0e0d0c0b0a09de', 'sg-07f0e0d0c0b0a0944', 'sg-07f0e0d0c0b0a0933'] },
    parameterGroups: [],
    optionGroups: [],
    kmsKeys: [tfKey],
    roles: [role(`metaflow-ecs-execution-role-${tfSuffix}`), role(`metaflow-metadata-svc-ecs-task-role-${tfSuffix}`)],
  },
  service: {
    desiredCount: 1,
    minimumHealthyPercent: 100,
    maximumPercent: 200,
    family: `metaflow-service-${tfSuffix}`,
    environment: { MF_METADATA_DB_SSL_MODE: 'disable', MF_METADATA_DB_USER: 'metaflow', MF_METADATA_DB_NAME: 'metaflow' },
    executionRoleArn: role(`metaflow-ecs-execution-role-${tfSuffix}`),
    taskRoleArn: role(`metaflow-metadata-svc-ecs-task-role-${tfSuffix}`),
    subnets: subnetIds(tfGroup),
    securityGroups: ['sg-07f0e0d0c0b0a0933'],
    assignPublicIp: 'ENABLED',
  },
};

// ---------------------------------------------------------------------------------------------
// console: made by hand in today's console ("Standard create", PostgreSQL 16, defaults kept)
// ---------------------------------------------------------------------------------------------
const consoleGroup: SubnetGroup = {
  name: 'default-vpc-0e5c0d1e2f3a4b5c6',
  vpcId: 'vpc-0e5c0d1e2f3a4b5c6',
  subnets: [
    { id: 'subnet-0e5c0000000000a11', zone: 'eu-west-1a' },
    { id: 'subnet-0e5c0000000000b22', zone: 'eu-west-1b' },
    { id: 'subnet-0e5c0000000000c33', zone: 'eu-west-1c' },
  ],
};
const monitoringRole = role('rds-monitoring-role');
const consoleDbId = 'metaflow-metadata';
const consoleFixture: InstanceFixture = {
  name: 'console',
  description:
    "made by hand with today's console defaults: gp3 20 GiB, PostgreSQL 16, Performance Insights, log exports, enhanced monitoring, IAM authentication, a chosen CA, deletion protection, a managed master password",
  config: {
    stackName: 'MetaflowMigrationRunbook',
    deployment: {
      clusterName: 'metaflow',
      serviceName: 'metaflow-metadata',
      containerName: 'metadata-service',
      taskDefinitionFamily: 'metaflow-metadata',
      taskRoleArn: role('metaflow-metadata-task'),
      executionRoleArn: role('ecsTaskExecutionRole'),
      dbInstanceIdentifier: consoleDbId,
      vpcId: consoleGroup.vpcId,
      subnetIds: subnetIds(consoleGroup).slice(0, 2),
      availabilityZones: zones(consoleGroup).slice(0, 2),
      serviceSecurityGroupId: 'sg-0e5c0f0f0f0f0f0a1',
    },
  },
  dbInstance: described(
    consoleDbId,
    {
      EngineVersion: '16.4',
      DBInstanceClass: 'db.t4g.medium',
      MasterUsername: 'postgres',
      MultiAZ: false,
      AvailabilityZone: 'eu-west-1c',
      PubliclyAccessible: false,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: true,
      StorageType: 'gp3',
      AllocatedStorage: 20,
      // Below 400 GiB RDS reports gp3's baseline, and refuses it if sent back.
      Iops: 3000,
      StorageThroughput: 125,
      MaxAllocatedStorage: 1000,
      StorageEncrypted: true,
      KmsKeyId: awsManagedRdsKey.arn,
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '01:27-01:57',
      PreferredMaintenanceWindow: 'thu:03:11-thu:03:41',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0e5c0db0db0db0db1', Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres16', ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16', Status: 'in-sync' }],
      CACertificateIdentifier: 'rds-ca-ecc384-g1',
      IAMDatabaseAuthenticationEnabled: true,
      PerformanceInsightsEnabled: true,
      PerformanceInsightsKMSKeyId: awsManagedRdsKey.arn,
      PerformanceInsightsRetentionPeriod: 7,
      MonitoringInterval: 60,
      MonitoringRoleArn: monitoringRole,
      EnhancedMonitoringResourceArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:RDSOSMetrics:log-stream:db-METAFLOWMETABCDEFGHIJ`,
      EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      MasterUserSecret: {
        SecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-Ab1Cd2`,
        SecretStatus: 'active',
        KmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6`,
      },
      TagList: [{ Key: 'Project', Value: 'metaflow' }],
    },
    consoleGroup,
  ),
  account: {
    subnetGroups: [consoleGroup],
    securityGroups: { [consoleGroup.vpcId]: ['sg-0e5c0defa0170defa', 'sg-0e5c0db0db0db0db1', 'sg-0e5c0f0f0f0f0f0a1'] },
    parameterGroups: [],
    optionGroups: [],
    kmsKeys: [awsManagedRdsKey],
    roles: [monitoringRole, role('ecsTaskExecutionRole'), role('metaflow-metadata-task')],
  },
  service: {
    desiredCount: 2,
    minimumHealthyPercent: 100,
    maximumPercent: 200,
    family: 'metaflow-metadata',
    environment: { MF_METADATA_DB_SSL_MODE: 'require', MF_METADATA_DB_USER: 'postgres', MF_METADATA_DB_NAME: 'metaflow' },
    executionRoleArn: role('ecsTaskExecutionRole'),
    taskRoleArn: role('metaflow-metadata-task'),
    subnets: subnetIds(consoleGroup).slice(0, 2),
    securityGroups: ['sg-0e5c0f0f0f0f0f0a1'],
    assignPublicIp: 'DISABLED',
  },
};

// ---------------------------------------------------------------------------------------------
// terraform-aurora: the same modules' datastore with db_engine = "aurora-postgresql"
// (modules/datastore/rds.tf at 07c91984: aws_rds_cluster and one aws_rds_cluster_instance)
// ---------------------------------------------------------------------------------------------
const auroraKey: KmsKey = { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/5b1e7c20-3d4f-4a8b-9c6d-2e0f1a3b5c7d`, manager: 'CUSTOMER' };
const auroraClusterId = `metaflow-metaflow-${tfSuffix}`;
const auroraInstanceId = `${auroraClusterId}-0`;
const auroraRdsGroup = 'sg-07f0e0d0c0b0a0944';
const auroraCluster: DBCluster = {
  DBClusterIdentifier: auroraClusterId,
  DBClusterArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${auroraClusterId}`,
  Status: 'available',
  Engine: 'aurora-postgresql',
  // var.db_engine_version: "11" by default, which Aurora PostgreSQL no longer offers; a current one.
  EngineVersion: '15.4',
  EngineMode: 'provisioned',
  // database_name and master_username from var.db_name and var.db_username; storage_encrypted with the module's own key.
  DatabaseName: 'metaflow',
  MasterUsername: 'metaflow',
  StorageEncrypted: true,
  StorageEncryptionType: 'sse-kms',
  KmsKeyId: auroraKey.arn,
  StorageType: 'aurora',
  AllocatedStorage: 1,
  Port: 5432,
  Endpoint: `${auroraClusterId}.cluster-c9akciq32.${REGION}.rds.amazonaws.com`,
  ReaderEndpoint: `${auroraClusterId}.cluster-ro-c9akciq32.${REGION}.rds.amazonaws.com`,
  HostedZoneId: 'Z29XKXDKYMONMX',
  CustomEndpoints: [],
  MultiAZ: false,
  AvailabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  DBSubnetGroup: tfGroup.name,
  VpcSecurityGroups: [{ VpcSecurityGroupId: auroraRdsGroup, Status: 'active' }],
  // Not set by the module: the default cluster parameter group, backup retention 1 day, windows AWS chose.
  DBClusterParameterGroup: 'default.aurora-postgresql15',
  BackupRetentionPeriod: 1,
  PreferredBackupWindow: '03:12-03:42',
  PreferredMaintenanceWindow: 'sat:04:29-sat:04:59',
  DBClusterOptionGroupMemberships: [],
  DBClusterMembers: [{ DBInstanceIdentifier: auroraInstanceId, IsClusterWriter: true, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: 1 }],
  ReadReplicaIdentifiers: [],
  AssociatedRoles: [],
  DomainMemberships: [],
  IAMDatabaseAuthenticationEnabled: false,
  DeletionProtection: false,
  CopyTagsToSnapshot: false,
  HttpEndpointEnabled: false,
  CrossAccountClone: false,
  AutoMinorVersionUpgrade: true,
  NetworkType: 'IPV4',
  EngineLifecycleSupport: 'open-source-rds-extended-support',
  DatabaseInsightsMode: 'standard',
  PerformanceInsightsEnabled: false,
  ActivityStreamStatus: 'stopped',
  UpgradeRolloutOrder: 'second',
  DbClusterResourceId: 'cluster-7QXKZ2B4MWRJ5N3D8FHYTLCE6A',
  ClusterCreateTime: new Date('2024-03-11T10:20:30Z'),
  EarliestRestorableTime: new Date('2026-11-23T09:00:00Z'),
  LatestRestorableTime: new Date('2026-11-24T08:55:00Z'),
  // tags = merge(var.standard_tags, var.db_instance_tags, { Name, Metaflow = "true" })
  TagList: [
    { Key: 'Name', Value: auroraClusterId },
    { Key: 'Metaflow', Value: 'true' },
  ],
};
const terraformAurora: ClusterFixture = {
  name: 'terraform-aurora',
  description:
    'the outerbounds/terraform-aws-metaflow datastore module with db_engine aurora-postgresql: cluster metaflow-metaflow-<suffix> with its own KMS key, one untagged instance <cluster>-0; MF_METADATA_DB_HOST is the cluster endpoint',
  config: {
    stackName: 'MetaflowMigrationRunbook',
    deployment: {
      clusterName: `metaflow-${tfSuffix}`,
      serviceName: `metaflow-metadata-service-${tfSuffix}`,
      containerName: `metaflow-service-${tfSuffix}`,
      taskDefinitionFamily: `metaflow-service-${tfSuffix}`,
      taskRoleArn: role(`metaflow-metadata-svc-ecs-task-role-${tfSuffix}`),
      executionRoleArn: role(`metaflow-ecs-execution-role-${tfSuffix}`),
      dbClusterIdentifier: auroraClusterId,
      vpcId: tfGroup.vpcId,
      subnetIds: subnetIds(tfGroup),
      availabilityZones: zones(tfGroup),
      serviceSecurityGroupId: 'sg-07f0e0d0c0b0a0933',
    },
  },
  dbCluster: auroraCluster,
  clusterInstances: [
    // aws_rds_cluster_instance: identifier, cluster, instance_class, engine and version, no tags.
    described(
      auroraInstanceId,
      {
        DBClusterIdentifier: auroraClusterId,
        Engine: 'aurora-postgresql',
        EngineVersion: '15.4',
        DBInstanceClass: 'db.t4g.medium',
        MasterUsername: 'metaflow',
        AllocatedStorage: 1,
        StorageType: 'aurora',
        StorageEncrypted: true,
        KmsKeyId: auroraKey.arn,
        MultiAZ: false,
        AvailabilityZone: 'eu-west-1a',
        PubliclyAccessible: false,
        PromotionTier: 1,
        AutoMinorVersionUpgrade: true,
        CopyTagsToSnapshot: false,
        DeletionProtection: false,
        BackupRetentionPeriod: 1,
        PreferredBackupWindow: '03:12-03:42',
        PreferredMaintenanceWindow: 'mon:02:40-mon:03:10',
        VpcSecurityGroups: [{ VpcSecurityGroupId: auroraRdsGroup, Status: 'active' }],
        DBParameterGroups: [{ DBParameterGroupName: 'default.aurora-postgresql15', ParameterApplyStatus: 'in-sync' }],
        OptionGroupMemberships: [{ OptionGroupName: 'default:aurora-postgresql-15', Status: 'in-sync' }],
        CACertificateIdentifier: 'rds-ca-rsa2048-g1',
        TagList: [],
      },
      tfGroup,
    ),
  ],
  account: {
    subnetGroups: [tfGroup],
    securityGroups: { [tfGroup.vpcId]: ['sg-07f0e0d0c0b0a09de', auroraRdsGroup, 'sg-07f0e0d0c0b0a0933'] },
    parameterGroups: [],
    clusterParameterGroups: [],
    optionGroups: [],
    kmsKeys: [auroraKey],
    roles: [role(`metaflow-ecs-execution-role-${tfSuffix}`), role(`metaflow-metadata-svc-ecs-task-role-${tfSuffix}`)],
  },
  service: {
    ...terraform.service,
    // v0.12.1 sets require for an engine major version of 15 and later.
    environment: { MF_METADATA_DB_SSL_MODE: 'require', MF_METADATA_DB_USER: 'metaflow', MF_METADATA_DB_NAME: 'metaflow' },
  },
};

export const FIXTURES: Readonly<Record<InstanceFixtureName, InstanceFixture> & Record<ClusterFixtureName, ClusterFixture>> = {
  example,
  cloudformation,
  terraform,
  console: consoleFixture,
  'terraform-aurora': terraformAurora,
};
export const FIXTURE_NAMES = Object.keys(FIXTURES) as FixtureName[];
export const INSTANCE_FIXTURE_NAMES = FIXTURE_NAMES.filter((f): f is InstanceFixtureName => !isClusterFixture(FIXTURES[f]));
export const CLUSTER_FIXTURE_NAMES = FIXTURE_NAMES.filter((f): f is ClusterFixtureName => isClusterFixture(FIXTURES[f]));
export const DEFAULT_FIXTURE: FixtureName = 'example';

export function findFixture(name: string): DeploymentFixture | undefined {
  return (FIXTURES as Record<string, DeploymentFixture>)[name];
}
