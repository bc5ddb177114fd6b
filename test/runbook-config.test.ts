import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import example from '../config/example.json';
import { ConfigError, isAuroraConfig, loadRunbookConfig, parseRunbookConfig } from '../infra/config';

/**
 * config/example.json with values replaced at key paths as they appear in error messages
 * (`deployment.subnetIds[1]`); `undefined` removes the key, as if it were missing from the file.
 */
function exampleWith(changes: Record<string, unknown>): Record<string, unknown> {
  const config = structuredClone(example) as Record<string, unknown>;
  for (const [keyPath, value] of Object.entries(changes)) {
    const keys = keyPath.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
    const last = keys.pop() as string;
    const parent = keys.reduce((node, key) => (node as Record<string, unknown>)[key], config as unknown) as Record<string, unknown>;
    if (value === undefined) delete parent[last];
    else parent[last] = value;
  }
  return config;
}

function configErrorOf(raw: unknown): ConfigError {
  try {
    parseRunbookConfig(raw, 'deployment.json');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('runbook configuration', () => {
  it('accepts config/example.json', () => {
    const config = loadRunbookConfig('config/example.json');
    expect(config).toMatchObject({
      stackName: 'MetaflowMigrationRunbook',
      deployment: { clusterName: 'metaflow', serviceName: 'metadata-service', subnetIds: example.deployment.subnetIds },
      logRetentionDays: 365,
    });
  });

  it.each([
    ['a VPC id without the vpc- form', { 'deployment.vpcId': 'vpc-nope' }, 'deployment.vpcId'],
    ['a missing VPC id', { 'deployment.vpcId': undefined }, 'deployment.vpcId'],
    ['a malformed second subnet', { 'deployment.subnetIds[1]': 'subnet-XYZ' }, 'deployment.subnetIds[1]'],
    ['no subnets', { 'deployment.subnetIds': [] }, 'deployment.subnetIds', ['deployment.availabilityZones']],
    ['fewer availability zones than subnets', { 'deployment.availabilityZones': ['eu-west-1a'] }, 'deployment.availabilityZones'],
    ['a service URL without the VPC CIDR block', { 'deployment.serviceUrl': 'http://nlb.internal:8080' }, 'deployment.vpcCidrBlock'],
    ['a misspelt key', { 'deployment.clusterNme': 'metaflow' }, 'deployment.clusterNme'],
    ['a service security group that is not an sg- id', { 'deployment.serviceSecurityGroupId': 'metaflow-sg' }, 'deployment.serviceSecurityGroupId'],
    ['a DB identifier with two hyphens in a row', { 'deployment.dbInstanceIdentifier': 'metaflow--db' }, 'deployment.dbInstanceIdentifier'],
    ['a migration URL that is not http(s)', { 'deployment.migrationUrl': 'ftp://nlb.internal:8082', 'deployment.vpcCidrBlock': '10.0.0.0/16' }, 'deployment.migrationUrl'],
    ['a port above 65535', { 'deployment.migrationPort': 70000 }, 'deployment.migrationPort'],
    ['no snapshot attempts', { 'waits.snapshot.maxAttempts': 0 }, 'waits.snapshot.maxAttempts'],
    ['attempts given as text', { 'waits.instance.maxAttempts': '120' }, 'waits.instance.maxAttempts'],
    ['a poll interval above an hour', { 'waits.service.intervalSeconds': 3601 }, 'waits.service.intervalSeconds'],
    ['a minimum version that is not dotted numbers', { 'migration.minimumServiceVersion': 'latest' }, 'migration.minimumServiceVersion'],
    ['an upgrade timeout past what Lambda allows', { 'migration.upgradeTimeoutSeconds': 900 }, 'migration.upgradeTimeoutSeconds'],
    ['a log retention CloudWatch does not offer', { logRetentionDays: 14 }, 'logRetentionDays'],
    ['a 10-digit account', { env: { account: '1234567890', region: 'eu-west-1' } }, 'env.account'],
    ['a zone outside env.region', { env: { account: '123456789012', region: 'eu-west-2' } }, 'deployment.availabilityZones[0]', ['deployment.availabilityZones[1]']],
    ['the same zone twice', { 'deployment.availabilityZones': ['eu-west-1a', 'eu-west-1a'] }, 'deployment.availabilityZones[1]'],
    ['a CIDR block with bytes above 255 and a prefix above 32', { 'deployment.vpcCidrBlock': '999.999.0.0/99' }, 'deployment.vpcCidrBlock'],
    ['a CIDR block without its prefix length', { 'deployment.vpcCidrBlock': '10.0.0.0' }, 'deployment.vpcCidrBlock'],
    ['both a DB instance and an Aurora cluster', { 'deployment.dbClusterIdentifier': 'metaflow-aurora' }, 'deployment'],
    ['neither a DB instance nor an Aurora cluster', { 'deployment.dbInstanceIdentifier': undefined }, 'deployment'],
    ['an approver that is an e-mail, not a principal ARN', { 'approval.approvers': ['jane@example.com'] }, 'approval.approvers[0]'],
    ['an approver in any account', { 'approval.approvers': ['arn:aws:iam::123456789012:role/Approvers', 'arn:aws:iam::*:role/Approvers'] }, 'approval.approvers[1]'],
    ['an IAM group as an approver', { 'approval.approvers': ['arn:aws:iam::123456789012:group/Approvers'] }, 'approval.approvers[0]'],
    ['self-approval given as text', { 'approval.allowSelfApproval': 'yes' }, 'approval.allowSelfApproval'],
    ['more approvers than the endpoint environment holds', { 'approval.approvers': Array.from({ length: 60 }, (_, i) => `arn:aws:iam::123456789012:user/approver-number-${i}`) }, 'approval.approvers'],
    ['an Aurora cluster identifier ending in a hyphen', { 'deployment.dbInstanceIdentifier': undefined, 'deployment.dbClusterIdentifier': 'metaflow-' }, 'deployment.dbClusterIdentifier'],
  ] as [string, Record<string, unknown>, string, string[]?][])('rejects %s, naming the key', (_what, changes, key, alsoKeys = []) => {
    // Prepare
    const raw = exampleWith(changes);

    // Act
    const error = configErrorOf(raw);

    // Assess
    const naming = (k: string) => expect.stringMatching(new RegExp(`^${k.replace(/[.[\]]/g, '\\$&')}: `));
    expect(error.problems).toEqual([naming(key), ...alsoKeys.map(naming)]);
    expect(error.message).toContain(`deployment.json:\n  - ${key}: `);
  });

  it.each([
    ['both', { 'deployment.dbClusterIdentifier': 'metaflow-aurora' }],
    ['neither', { 'deployment.dbInstanceIdentifier': undefined }],
  ])('names both database keys in one message (%s given)', (what, changes) => {
    const error = configErrorOf(exampleWith(changes));
    expect(error.problems).toEqual([
      `deployment: expected exactly one of dbInstanceIdentifier (an RDS DB instance) and dbClusterIdentifier (an Aurora DB cluster), got ${what}`,
    ]);
  });

  it('accepts an Aurora cluster configuration, and tells it from an instance one', () => {
    // Prepare
    const raw = exampleWith({ 'deployment.dbInstanceIdentifier': undefined, 'deployment.dbClusterIdentifier': 'metaflow-aurora' });

    // Act
    const config = parseRunbookConfig(raw, 'aurora.json');

    // Assess
    expect(config.deployment).toMatchObject({ dbClusterIdentifier: 'metaflow-aurora' });
    expect(config.deployment.dbInstanceIdentifier).toBeUndefined();
    expect(isAuroraConfig(config)).toBe(true);
    expect(isAuroraConfig(parseRunbookConfig(example))).toBe(false);
  });

  it('takes approvers as IAM principal ARN patterns and refuses self-approval unless told otherwise', () => {
    const approvers = ['arn:aws:iam::123456789012:role/metaflow-approvers', 'arn:aws:iam::123456789012:role/AWSReservedSSO_Admins_*', 'arn:aws:iam::123456789012:user/bob'];

    expect(parseRunbookConfig(exampleWith({ 'approval.approvers': approvers })).approval).toEqual({ required: true, timeoutMinutes: 240, approvers, allowSelfApproval: false });
    expect(parseRunbookConfig(exampleWith({ approval: undefined })).approval).toEqual({ required: true, timeoutMinutes: 240, approvers: [], allowSelfApproval: false });
  });

  it('accepts zones of env.region', () => {
    const config = parseRunbookConfig(exampleWith({ env: { account: '123456789012', region: 'eu-west-1' } }));
    expect(config.env).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  it('reports every problem of a file in one error', () => {
    // Prepare
    const raw = exampleWith({
      'deployment.vpcId': 'vpc-nope',
      'deployment.subnetIds[0]': 'subnet-XYZ',
      'waits.upgradeSettle.intervalSeconds': 0,
    });

    // Act
    const error = configErrorOf(raw);

    // Assess
    expect(error.problems.map((p) => p.split(':')[0])).toEqual([
      'deployment.vpcId',
      'deployment.subnetIds[0]',
      'waits.upgradeSettle.intervalSeconds',
    ]);
    for (const problem of error.problems) expect(error.message).toContain(`  - ${problem}`);
  });

  it('applies the defaults when waits, migration and optional keys are left out', () => {
    // Prepare
    const raw = exampleWith({
      waits: undefined,
      migration: undefined,
      stackName: undefined,
      logRetentionDays: undefined,
      'deployment.migrationPort': undefined,
      'deployment.servicePort': undefined,
    });

    // Act
    const config = parseRunbookConfig(raw);

    // Assess
    expect(config.waits).toEqual({
      snapshot: { intervalSeconds: 30, maxAttempts: 240 },
      service: { intervalSeconds: 15, maxAttempts: 80 },
      migrationService: { intervalSeconds: 10, maxAttempts: 30 },
      upgradeSettle: { intervalSeconds: 30, maxAttempts: 60 },
      instance: { intervalSeconds: 30, maxAttempts: 120 },
      restore: { intervalSeconds: 60, maxAttempts: 360 },
    });
    expect(config.migration).toEqual({ minimumServiceVersion: '2.0.2', upgradeTimeoutSeconds: 840, requestTimeoutSeconds: 10 });
    expect(config).toMatchObject({ stackName: 'MetaflowMigrationRunbook', logRetentionDays: 365 });
    expect(config.deployment).toMatchObject({ migrationPort: 8082, servicePort: 8080 });
  });

  it('fills the rest of a partly given wait with its defaults', () => {
    const config = parseRunbookConfig(exampleWith({ waits: { snapshot: { intervalSeconds: 5 } } }));
    expect(config.waits.snapshot).toEqual({ intervalSeconds: 5, maxAttempts: 240 });
    expect(config.waits.instance).toEqual({ intervalSeconds: 30, maxAttempts: 120 });
  });

  it('drops trailing slashes from configured service URLs', () => {
    const config = parseRunbookConfig(exampleWith({ 'deployment.serviceUrl': 'https://metaflow.internal/api/', 'deployment.vpcCidrBlock': '10.0.0.0/16' }));
    expect(config.deployment.serviceUrl).toBe('https://metaflow.internal/api');
  });

  describe('the CDK app', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'runbook-config-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('stops synth with exit code 1 and one line per bad key, without a stack trace', () => {
      // Prepare
      const configFile = path.join(dir, 'bad.json');
      const outdir = path.join(dir, 'cdk.out');
      writeFileSync(configFile, JSON.stringify(exampleWith({ 'deployment.vpcId': 'vpc-nope', 'waits.snapshot.maxAttempts': 0 })));

      // Act: the way the CDK CLI runs the app, with context in CDK_CONTEXT_JSON.
      const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'infra/app.ts'], {
        cwd: path.join(__dirname, '..'),
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: configFile }), CDK_OUTDIR: outdir },
        encoding: 'utf8',
        timeout: 30_000,
      });

      // Assess
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Invalid configuration in ${configFile}:`);
      expect(run.stderr).toContain('  - deployment.vpcId: ');
      expect(run.stderr).toContain('  - waits.snapshot.maxAttempts: ');
      expect(run.stderr).not.toContain('    at ');
      expect(existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
    });
  });
});
