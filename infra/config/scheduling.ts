import { z } from 'zod';
import { awsEnvSchema, stackNameSchema } from './aws';
import { parseWith, readJsonFile } from './load';

const PARTITION = 'aws(?:-[a-z]+)*';
const REGION_PART = '[a-z]{2}(?:-[a-z]+)+-\\d';
const IAM_NAME = '[\\w+=,.@-]{1,64}';

const JOB_QUEUE_ARN = new RegExp(`^arn:${PARTITION}:batch:${REGION_PART}:\\d{12}:job-queue/[A-Za-z0-9_-]{1,128}$`);
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/(?:[\\w+=,.@-]+/)*${IAM_NAME}$`);
// Only a key ARN can scope an IAM statement: kms actions are authorized against the key, never the alias.
const KMS_KEY_ARN = new RegExp(
  `^arn:${PARTITION}:kms:${REGION_PART}:\\d{12}:key/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})$`,
);

/** Fields of an ARN this file compares against `env`: `arn:partition:service:region:account:...`. */
function arnParts(arn: string): { region: string; account: string } {
  const [, , , region = '', account = ''] = arn.split(':');
  return { region, account };
}

type Payload = { value: unknown; issues: ReadonlyArray<{ path?: ReadonlyArray<PropertyKey> }> };

/** Cross-key checks read keys off the parsed value, which may not even be an object. */
const onObject = ({ value }: Payload): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Cross-key checks run even when other keys are wrong, so one ConfigError lists every problem; but
 * only once the keys they read are themselves valid, so a malformed ARN is reported once, not twice.
 */
const whenValid =
  (...keys: string[]) =>
  (payload: Payload): boolean =>
    onObject(payload) && !payload.issues.some((issue) => keys.includes(String(issue.path?.[0])));

export const schedulingConfigSchema = z
  .strictObject({
    /** Account and region to deploy into; leave out to use the CLI's profile. */
    env: awsEnvSchema.optional(),
    stackName: stackNameSchema('MetaflowSchedulingPrerequisites'),
    /** The bucket Metaflow's datastore uses (METAFLOW_DATASTORE_SYSROOT_S3 without s3:// and path). */
    s3BucketName: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        'expected an S3 bucket name such as my-metaflow-bucket (no s3:// and no path)',
      ),
    /** Every queue a scheduled flow may run on (METAFLOW_BATCH_JOB_QUEUE and any @batch(queue=...)). */
    batchJobQueueArns: z
      .array(
        z
          .string()
          .regex(JOB_QUEUE_ARN, 'expected an AWS Batch job queue ARN (arn:aws:batch:REGION:ACCOUNT:job-queue/NAME)'),
      )
      .min(1, 'expected at least one AWS Batch job queue ARN'),
    /** Metaflow registers its job definitions as `metaflow_<sha224>` (plugins/aws/batch/batch_client.py). */
    batchJobDefinitionNamePrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected a job definition name prefix (letters, digits, - and _)')
      .default('metaflow_'),
    /** The role Batch jobs run as (METAFLOW_ECS_S3_ACCESS_IAM_ROLE); give its name or its ARN. */
    batchJobRoleName: z.string().regex(new RegExp(`^${IAM_NAME}$`), 'expected an IAM role name').optional(),
    batchJobRoleArn: z
      .string()
      .regex(ROLE_ARN, 'expected an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)')
      .optional(),
    /**
     * The value of METAFLOW_SFN_STATE_MACHINE_PREFIX. Required: without it the EventBridge role could
     * start every state machine in the account, this project's migration runbook included.
     */
    stateMachineNamePrefix: z
      .string({ error: 'expected the state machine name prefix Metaflow is configured with' })
      .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'expected 1 to 40 letters, digits, ".", "-" or "_" (no wildcards)'),
    dynamoDbTableName: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name (3-255 letters, digits, ".", "-", "_")')
      .default('metaflow-step-functions-state'),
    /** Encrypt the table with this customer managed key instead of the AWS managed one. */
    kmsKeyArn: z
      .string()
      .regex(KMS_KEY_ARN, 'expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID), not an alias')
      .optional(),
    /** `step-functions create --log-execution-history` needs CloudWatch Logs delivery rights on `*`. */
    allowExecutionHistoryLogging: z.boolean().default(true),
  })
  .refine((c) => c.batchJobRoleName === undefined || c.batchJobRoleArn === undefined, {
    path: ['batchJobRoleArn'],
    message: 'give batchJobRoleName or batchJobRoleArn, not both',
    when: onObject,
  })
  .refine((c) => c.batchJobRoleName !== undefined || c.batchJobRoleArn !== undefined, {
    path: ['batchJobRoleName'],
    message: 'expected batchJobRoleName or batchJobRoleArn: the role your AWS Batch jobs run as',
    when: onObject,
  })
  // Step Functions submits jobs in its own region and account, and an imported role's policy only
  // attaches in the role's own account: each mismatch would deploy cleanly and fail at run time.
  .superRefine(
    (c, ctx) =>
      c.batchJobQueueArns.forEach((arn, i) => {
        const { region, account } = arnParts(arn);
        if (c.env !== undefined && (region !== c.env.region || account !== c.env.account)) {
          ctx.addIssue({
            code: 'custom',
            path: ['batchJobQueueArns', i],
            message: `expected a job queue in ${c.env.account}/${c.env.region} (env), got ${account}/${region}`,
          });
        }
      }),
    { when: whenValid('env', 'batchJobQueueArns') },
  )
  .refine((c) => !c.env || !c.batchJobRoleArn || arnParts(c.batchJobRoleArn).account === c.env.account, {
    path: ['batchJobRoleArn'],
    message: 'expected a role in the account of env: the policy cannot attach across accounts',
    when: whenValid('env', 'batchJobRoleArn'),
  })
  .refine((c) => !c.env || !c.kmsKeyArn || arnParts(c.kmsKeyArn).region === c.env.region, {
    path: ['kmsKeyArn'],
    message: 'expected a key in the region of env: DynamoDB encrypts only with keys in its own region',
    when: whenValid('env', 'kmsKeyArn'),
  });

export type SchedulingConfig = z.output<typeof schedulingConfigSchema>;

export function parseSchedulingConfig(raw: unknown, source = 'configuration'): SchedulingConfig {
  return parseWith(schedulingConfigSchema, raw, source);
}

export function loadSchedulingConfig(path: string): SchedulingConfig {
  return parseSchedulingConfig(readJsonFile(path), path);
}
