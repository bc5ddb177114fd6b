import { z } from 'zod';
import { approverPatternProblem } from '../../handlers/logic/identity';
import { parseWith, readJsonFile } from './load';

/** CloudWatch Logs retention values long enough for an audit trail. */
const LOG_RETENTION_DAYS = [30, 90, 180, 365, 731, 1827] as const;

/** The metadata service image's own ports: the migration service, and the metadata service. */
export const DEFAULT_MIGRATION_PORT = 8082;
export const DEFAULT_SERVICE_PORT = 8080;

/** DB instance and DB cluster identifiers follow the same rule. */
const RDS_IDENTIFIER = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/;

/** An IPv4 CIDR block whose four numbers are bytes and whose prefix length is at most 32. */
function isIpv4Cidr(text: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return false;
  const [, ...numbers] = match;
  const prefix = Number(numbers.pop());
  return numbers.every((n) => Number(n) <= 255) && prefix <= 32;
}

/** A bounded poll: how often to look, and how many looks before the wait is declared failed. */
const poll = (intervalSeconds: number, maxAttempts: number) =>
  z
    .strictObject({
      intervalSeconds: z.number().int().min(1).max(3600).default(intervalSeconds),
      maxAttempts: z.number().int().min(1).max(1000).default(maxAttempts),
    })
    .default({ intervalSeconds, maxAttempts });

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** The approvers' JSON, within the endpoint's 4 KB of environment beside its other variables. */
const MAX_APPROVERS_CHARS = 3000;

/** An approver pattern IAM could never match is refused at synth, with the reason. */
function approverPatternIssue(pattern: string, ctx: z.RefinementCtx): void {
  const problem = approverPatternProblem(pattern);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+(:\d+)?(\/[^\s]*)?$/, 'expected an http:// or https:// URL')
  .transform((u) => u.replace(/\/+$/, ''));

export const runbookConfigSchema = z.strictObject({
  /** Account and region to deploy into; leave out to use the CLI's profile. */
  env: z
    .strictObject({
      account: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as eu-west-1'),
    })
    .optional(),
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a CloudFormation stack name')
    .default('MetaflowMigrationRunbook'),
  deployment: z.strictObject({
    clusterName: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected an ECS cluster name'),
    serviceName: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected an ECS service name'),
    containerName: z.string().min(1, 'expected the metadata service container name'),
    /**
     * The service's task definition family and the roles its tasks run with: what the runbook may
     * register a revision of, run a task from, and pass to ECS (IAM scoped to them, nothing wider).
     */
    taskDefinitionFamily: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected the task definition family of the service (letters, digits, - and _)'),
    taskRoleArn: z.string().regex(ROLE_ARN, 'expected the IAM role ARN of the service\'s tasks (taskRoleArn of its task definition)').optional(),
    executionRoleArn: z.string().regex(ROLE_ARN, 'expected the IAM role ARN ECS uses to start the tasks (executionRoleArn of the task definition)').optional(),
    /** The database is either an RDS DB instance or an Aurora DB cluster: exactly one of these two. */
    dbInstanceIdentifier: z
      .string()
      .regex(RDS_IDENTIFIER, 'expected an RDS DB instance identifier (letter first, letters, digits, single hyphens)')
      .optional(),
    dbClusterIdentifier: z
      .string()
      .regex(RDS_IDENTIFIER, 'expected an Aurora DB cluster identifier (letter first, letters, digits, single hyphens)')
      .optional(),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id such as vpc-0abc1234'),
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet id such as subnet-0abc1234'))
      .min(1, 'expected at least one subnet for the handlers (the service\'s own serve them)'),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected an availability zone such as eu-west-1a'))
      .min(1, 'expected the availability zones of the subnets, in the same order'),
    /** Needed only with a migration or service URL: the handlers may then reach the VPC's load balancers. */
    vpcCidrBlock: z.string().refine(isIpv4Cidr, 'expected the VPC CIDR block such as 10.0.0.0/16').optional(),
    serviceSecurityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, "expected the Fargate service's security group id"),
    /** Set when the migration service is reached through a load balancer listener instead of the task's IP. */
    migrationUrl: httpUrl.optional(),
    /** Set when the metadata service is reached through a load balancer or API gateway. */
    serviceUrl: httpUrl.optional(),
    migrationPort: z.number().int().min(1).max(65535).default(DEFAULT_MIGRATION_PORT),
    servicePort: z.number().int().min(1).max(65535).default(DEFAULT_SERVICE_PORT),
  })
    .superRefine((d, ctx) => {
      if ((d.dbInstanceIdentifier === undefined) === (d.dbClusterIdentifier === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `expected exactly one of dbInstanceIdentifier (an RDS DB instance) and dbClusterIdentifier (an Aurora DB cluster), got ${d.dbInstanceIdentifier === undefined ? 'neither' : 'both'}`,
        });
      }
      d.availabilityZones.forEach((zone, i) => {
        if (d.availabilityZones.indexOf(zone) !== i) {
          ctx.addIssue({ code: 'custom', path: ['availabilityZones', i], message: `${zone} is given twice: expected one subnet per availability zone` });
        }
      });
      if (d.availabilityZones.length !== d.subnetIds.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['availabilityZones'],
          message: `expected one availability zone per subnet (${d.subnetIds.length}), got ${d.availabilityZones.length}`,
        });
      }
      if ((d.migrationUrl || d.serviceUrl) && !d.vpcCidrBlock) {
        ctx.addIssue({
          code: 'custom',
          path: ['vpcCidrBlock'],
          message: 'expected the VPC CIDR block when migrationUrl or serviceUrl is set (the handlers are allowed to reach it)',
        });
      }
    }),
  migration: z
    .strictObject({
      minimumServiceVersion: z
        .string()
        .regex(/^\d+(\.\d+){0,3}$/, 'expected a dotted version such as 2.0.2')
        .default('2.0.2'),
      /** PATCH /upgrade answers only when goose exits; Lambda's own ceiling is 900 s. */
      upgradeTimeoutSeconds: z.number().int().min(10).max(880).default(840),
      requestTimeoutSeconds: z.number().int().min(1).max(60).default(10),
    })
    .default({ minimumServiceVersion: '2.0.2', upgradeTimeoutSeconds: 840, requestTimeoutSeconds: 10 }),
  waits: z
    .strictObject({
      snapshot: poll(30, 240),
      service: poll(15, 80),
      migrationService: poll(10, 30),
      upgradeSettle: poll(30, 60),
      instance: poll(30, 120),
      /** A restore takes as long as the database is large; the original serves meanwhile (hours are fine). */
      restore: poll(60, 360),
    })
    .default({
      snapshot: { intervalSeconds: 30, maxAttempts: 240 },
      service: { intervalSeconds: 15, maxAttempts: 80 },
      migrationService: { intervalSeconds: 10, maxAttempts: 30 },
      upgradeSettle: { intervalSeconds: 30, maxAttempts: 60 },
      instance: { intervalSeconds: 30, maxAttempts: 120 },
      restore: { intervalSeconds: 60, maxAttempts: 360 },
    }),
  approval: z
    .strictObject({
      /** On by default: a person approves the plan (the migrations the new image would apply) before anything changes. */
      required: z.boolean().default(true),
      /** How long an execution waits for an answer; unanswered, the change is refused and nothing changes (at most 7 days). */
      timeoutMinutes: z.number().int().min(5).max(10080).default(240),
      /**
       * Who may approve or reject, as IAM principal ARN patterns (handlers/logic/identity.ts): a
       * role admits every session of it. Empty: anyone IAM lets call the runbook's endpoint, and the
       * plain SendTaskSuccess payload is accepted too, marked unverified.
       */
      approvers: z
        .array(z.string().superRefine(approverPatternIssue))
        // They travel in the endpoint function's environment, which holds 4 KB in all
        // ("Total size of environment variables set: 4 KB", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
        .refine((list) => JSON.stringify(list).length <= MAX_APPROVERS_CHARS, `expected at most ${MAX_APPROVERS_CHARS} characters of approver patterns in all (Lambda environment variables hold 4 KB): use wildcards or roles`)
        .default([]),
      /** Off by default: the requester may not approve their own change (they may still withdraw it). */
      allowSelfApproval: z.boolean().default(false),
    })
    .default({ required: true, timeoutMinutes: 240, approvers: [], allowSelfApproval: false }),
  notifications: z
    .strictObject({
      /** An existing SNS topic to publish to; without it the stack creates one. */
      topicArn: z.string().regex(/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'expected an SNS topic ARN').optional(),
    })
    .default({}),
  logRetentionDays: z
    .union(LOG_RETENTION_DAYS.map((d) => z.literal(d)), { error: `expected one of ${LOG_RETENTION_DAYS.join(', ')} days` })
    .default(365),
})
  .superRefine((c, ctx) => {
    // A zone of another region passes synth and fails only when CloudFormation creates the functions.
    if (!c.env) return;
    const region = c.env.region;
    c.deployment.availabilityZones.forEach((zone, i) => {
      if (!new RegExp(`^${region}[a-z]$`).test(zone)) {
        ctx.addIssue({
          code: 'custom',
          path: ['deployment', 'availabilityZones', i],
          message: `expected a zone of env.region ${region} (such as ${region}a), got ${zone}`,
        });
      }
    });
  });

type ParsedConfig = z.output<typeof runbookConfigSchema>;
type DeploymentSettings = Omit<ParsedConfig['deployment'], 'dbInstanceIdentifier' | 'dbClusterIdentifier'>;

/** A deployment whose database is an RDS DB instance. */
export type InstanceRunbookConfig = Omit<ParsedConfig, 'deployment'> & {
  deployment: DeploymentSettings & { dbInstanceIdentifier: string; dbClusterIdentifier?: undefined };
};
/** A deployment whose database is an Aurora DB cluster (the Terraform datastore module with `db_engine = "aurora-postgresql"`). */
export type AuroraRunbookConfig = Omit<ParsedConfig, 'deployment'> & {
  deployment: DeploymentSettings & { dbClusterIdentifier: string; dbInstanceIdentifier?: undefined };
};
/** Any valid configuration file: the schema has checked that exactly one database identifier is given. */
export type RunbookConfig = InstanceRunbookConfig | AuroraRunbookConfig;
export type PollConfig = RunbookConfig['waits']['snapshot'];

export function parseRunbookConfig(raw: unknown, source = 'configuration'): RunbookConfig {
  return parseWith(runbookConfigSchema, raw, source) as RunbookConfig;
}

export function loadRunbookConfig(path: string): RunbookConfig {
  return parseRunbookConfig(readJsonFile(path), path);
}

export function isAuroraConfig(config: RunbookConfig): config is AuroraRunbookConfig {
  return config.deployment.dbClusterIdentifier !== undefined;
}
