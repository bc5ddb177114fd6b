import { ConfigError, loadSchedulingConfig, parseSchedulingConfig } from '../infra/config';

const QUEUE = 'arn:aws:batch:eu-west-1:123456789012:job-queue/metaflow';

const valid = {
  env: { account: '123456789012', region: 'eu-west-1' },
  s3BucketName: 'metaflow-datastore',
  batchJobQueueArns: [QUEUE, 'arn:aws:batch:eu-west-1:123456789012:job-queue/metaflow-gpu'],
  batchJobRoleName: 'metaflow-batch-s3-task-role',
  stateMachineNamePrefix: 'mfprod',
};

/** `valid` with keys replaced; a key set to undefined is left out, as if missing from the file. */
function configWith(changes: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...valid, ...changes };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged;
}

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseSchedulingConfig(raw, 'scheduling.json');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('scheduling configuration', () => {
  it('accepts the example file and fills the defaults it leaves out', () => {
    const config = loadSchedulingConfig('config/scheduling.example.json');
    expect(config.stackName).toBe('MetaflowSchedulingPrerequisites');
    expect(config.batchJobQueueArns).toHaveLength(1);
    expect(config.kmsKeyArn).toBeUndefined();
  });

  it('defaults stack name, job definition prefix, table name and execution logging', () => {
    const config = parseSchedulingConfig(configWith({ env: undefined }));
    expect(config).toMatchObject({
      stackName: 'MetaflowSchedulingPrerequisites',
      batchJobDefinitionNamePrefix: 'metaflow_',
      dynamoDbTableName: 'metaflow-step-functions-state',
      allowExecutionHistoryLogging: true,
    });
  });

  it('accepts a role ARN with a path instead of a role name', () => {
    const roleArn = 'arn:aws:iam::123456789012:role/service-role/metaflow-batch';
    const config = parseSchedulingConfig(configWith({ batchJobRoleName: undefined, batchJobRoleArn: roleArn }));
    expect(config.batchJobRoleArn).toBe(roleArn);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a bucket given as an s3:// URL', { s3BucketName: 's3://metaflow-datastore/metaflow' }, 's3BucketName', /no s3:\/\//],
    ['no job queue', { batchJobQueueArns: [] }, 'batchJobQueueArns', /at least one/],
    ['a job queue given by name', { batchJobQueueArns: ['metaflow'] }, 'batchJobQueueArns[0]', /job queue ARN/],
    [
      'a compute environment ARN as a queue',
      { batchJobQueueArns: [QUEUE, 'arn:aws:batch:eu-west-1:123456789012:compute-environment/metaflow'] },
      'batchJobQueueArns[1]',
      /job queue ARN/,
    ],
    [
      'a job queue outside env',
      { batchJobQueueArns: [QUEUE, 'arn:aws:batch:us-east-1:123456789012:job-queue/metaflow'] },
      'batchJobQueueArns[1]',
      /eu-west-1/,
    ],
    [
      'both a role name and a role ARN',
      { batchJobRoleArn: 'arn:aws:iam::123456789012:role/metaflow-batch' },
      'batchJobRoleArn',
      /not both/,
    ],
    ['neither a role name nor a role ARN', { batchJobRoleName: undefined }, 'batchJobRoleName', /or batchJobRoleArn/],
    [
      'a user ARN as the role',
      { batchJobRoleName: undefined, batchJobRoleArn: 'arn:aws:iam::123456789012:user/metaflow' },
      'batchJobRoleArn',
      /IAM role ARN/,
    ],
    [
      'a role in another account than env',
      { batchJobRoleName: undefined, batchJobRoleArn: 'arn:aws:iam::999999999999:role/metaflow-batch' },
      'batchJobRoleArn',
      /cannot attach across accounts/,
    ],
    ['a role name with a slash', { batchJobRoleName: 'service-role/metaflow' }, 'batchJobRoleName', /IAM role name/],
    ['no state machine prefix', { stateMachineNamePrefix: undefined }, 'stateMachineNamePrefix', /prefix/],
    ['an empty state machine prefix', { stateMachineNamePrefix: '' }, 'stateMachineNamePrefix', /no wildcards/],
    ['a wildcard in the state machine prefix', { stateMachineNamePrefix: 'mf*' }, 'stateMachineNamePrefix', /no wildcards/],
    ['an empty job definition prefix', { batchJobDefinitionNamePrefix: '' }, 'batchJobDefinitionNamePrefix', /prefix/],
    ['a two-letter table name', { dynamoDbTableName: 'mf' }, 'dynamoDbTableName', /3-255/],
    [
      'a KMS alias instead of a key',
      { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/metaflow' },
      'kmsKeyArn',
      /not an alias/,
    ],
    [
      'a KMS key in another region than env',
      { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      'kmsKeyArn',
      /own region/,
    ],
    ['a malformed account', { env: { account: '1234', region: 'eu-west-1' } }, 'env.account', /12-digit/],
    ['a stack name starting with a digit', { stackName: '1scheduling' }, 'stackName', /stack name/],
    ['logging given as a string', { allowExecutionHistoryLogging: 'yes' }, 'allowExecutionHistoryLogging', /boolean/],
  ])('rejects %s, naming the key', (_case, changes, key, message) => {
    const problems = problemsOf(configWith(changes));
    const problem = problems.find((p) => p.startsWith(`${key}: `));
    expect(problem).toBeDefined();
    expect(problem).toMatch(message);
  });

  it('rejects an unknown key, naming it', () => {
    expect(problemsOf(configWith({ bucket: 'metaflow-datastore' })).join('\n')).toMatch(/^bucket: unknown key$/m);
  });

  it('reports every bad key in one ConfigError', () => {
    const problems = problemsOf(
      configWith({
        s3BucketName: 'S3://Bad',
        batchJobRoleArn: 'arn:aws:iam::123456789012:role/metaflow-batch',
        stateMachineNamePrefix: undefined,
        batchJobQueueArns: ['arn:aws:batch:us-east-1:123456789012:job-queue/metaflow'],
      }),
    );
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['batchJobQueueArns[0]', 'batchJobRoleArn', 's3BucketName', 'stateMachineNamePrefix'].sort(),
    );
  });

  it.each([null, [], 'config'])('reports a config that is not an object (%j) as a ConfigError', (raw) => {
    expect(problemsOf(raw)).not.toHaveLength(0);
  });

  it('names the file it could not read', () => {
    expect(() => loadSchedulingConfig('config/does-not-exist.json')).toThrow(/config\/does-not-exist\.json/);
  });
});
