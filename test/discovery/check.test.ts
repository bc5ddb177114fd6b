import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ec2 from '@aws-sdk/client-ec2';
import * as ecs from '@aws-sdk/client-ecs';
import * as kms from '@aws-sdk/client-kms';
import * as rds from '@aws-sdk/client-rds';
import type { DeploymentClients } from '../../cli/discovery/clients';
import { PRECONDITIONS, type PreconditionName } from '../../cli/discovery/preconditions';
import { describeWithMoto, useMoto } from '../support/moto';
import { deploy, synthesize } from './deploy';
import { auroraShape, type Built, cloudformationShape, consoleShape, REGION, registerTaskDefinition, terraformShape } from './shapes';
import { runCli } from './support';

/** A deployment as the README leaves it before a change: found by init, synthesized, deployed. */
interface Ready {
  readonly built: Built;
  readonly configFile: string;
  readonly config: { stackName: string; deployment: Record<string, unknown> & { serviceSecurityGroupId: string; clusterName: string; serviceName: string } };
  readonly clients: DeploymentClients;
}

type Shape = (c: DeploymentClients) => Promise<Built>;

describeWithMoto('check against the AWS API emulator', () => {
  const env = useMoto('runbook-check-');
  let files = 0;

  /** `init`, then (unless told not to) `cdk deploy` of what it wrote; `edit` changes the file that is deployed. */
  async function ready(shape: Shape, options: { deployed?: boolean; edit?: (config: Record<string, unknown>) => void } = {}): Promise<Ready> {
    const clients = env.moto.clients(REGION);
    const built = await shape(clients);
    const configFile = path.join(env.dir, `deployment-${++files}.json`);
    const init = await runCli(env.moto, ['init', '--region', REGION, '--out', configFile]);
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    if (options.deployed ?? true) {
      const deployedFile = path.join(env.dir, `deployed-${files}.json`);
      const deployed = structuredClone(config);
      options.edit?.(deployed);
      writeFileSync(deployedFile, JSON.stringify(deployed));
      await deploy(clients, synthesize(deployedFile));
    }
    return { built, configFile, config, clients };
  }

  async function check(configFile: string) {
    const run = await runCli(env.moto, ['check', '--config', configFile, '--json']);
    const report = JSON.parse(run.stdout) as { preconditions: { name: PreconditionName; ok: boolean; detail: string }[] };
    return { run, report, failed: report.preconditions.filter((p) => !p.ok).map((p) => p.name) };
  }

  it.each([
    ["the guide's CloudFormation stack", (c: DeploymentClients) => cloudformationShape(c)],
    ['the Terraform root module (customer managed key)', terraformShape],
    ['a console-made deployment (PostgreSQL 15, SSL required)', (c: DeploymentClients) => consoleShape(c)],
  ] as [string, Shape][])('finds every precondition holding on %s, once deployed', async (_shape, shape) => {
    // Prepare
    const { configFile } = await ready(shape);

    // Act
    const { run, report, failed } = await check(configFile);

    // Assess
    expect(failed).toEqual([]);
    expect(report.preconditions.map((p) => p.name)).toEqual([...PRECONDITIONS]);
    expect(run.code).toBe(0);
  });

  it('checks an Aurora cluster too; only the stack, which cannot be deployed for Aurora yet, is missing', async () => {
    const { configFile } = await ready(auroraShape, { deployed: false });
    const { run, failed, report } = await check(configFile);
    expect(failed).toEqual(['service-security-group', 'stack-version']);
    expect(report.preconditions.find((p) => p.name === 'db-available')?.detail).toBe('Aurora cluster metaflowmetaflowabcd1234 is available');
    expect(run.code).toBe(1);
  });

  it('names the two preconditions that need the stack before cdk deploy', async () => {
    const { configFile } = await ready((c) => cloudformationShape(c), { deployed: false });
    const { failed, report } = await check(configFile);
    expect(failed).toEqual(['service-security-group', 'stack-version']);
    expect(report.preconditions.find((p) => p.name === 'stack-version')?.detail).toBe(
      'the runbook stack MetaflowMigrationRunbook is not deployed (cdk deploy -c config=<this file>)',
    );
  });

  /** Each scenario breaks one precondition of a good deployment; check must name exactly that one. */
  interface Broken {
    readonly name: PreconditionName;
    readonly what: string;
    readonly shape: Shape;
    /** A change to the file that is deployed (the stack is built from it). */
    readonly deployed?: (config: Record<string, unknown>) => void;
    /** What happens to the deployment after that. */
    readonly breakIt?: (r: Ready) => Promise<void>;
    readonly detail: RegExp;
  }
  const cfn: Shape = (c) => cloudformationShape(c);
  const BROKEN: Broken[] = [
    {
      name: 'credentials',
      what: 'a configuration for another account',
      shape: cfn,
      deployed: (config) => {
        config.env = { ...(config.env as object), account: '210987654321' };
      },
      breakIt: async ({ configFile }) => {
        const config = JSON.parse(readFileSync(configFile, 'utf8'));
        writeFileSync(configFile, JSON.stringify({ ...config, env: { ...config.env, account: '210987654321' } }));
      },
      detail: /credentials are for account 123456789012, the configuration for 210987654321/,
    },
    {
      name: 'service-steady',
      what: 'a service still starting one of its two tasks',
      // moto's UpdateService makes a new count run at once, so the service is made with two.
      shape: (c) => cloudformationShape(c, 'metaflow', { desiredCount: 2 }),
      detail: /runs 1 of 2 tasks/,
    },
    {
      name: 'db-available',
      what: 'a stopped DB instance',
      shape: cfn,
      breakIt: async ({ clients, config }) => {
        await clients.rds.send(new rds.StopDBInstanceCommand({ DBInstanceIdentifier: config.deployment.dbInstanceIdentifier as string }));
      },
      detail: /is stopped, expected available/,
    },
    {
      name: 'db-security-group',
      what: "a database group that no longer admits the service's group",
      shape: cfn,
      breakIt: async ({ clients, built, config }) => {
        const IpPermissions = [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: config.deployment.serviceSecurityGroupId }] }];
        await clients.ec2.send(new ec2.RevokeSecurityGroupIngressCommand({ GroupId: built.dbSecurityGroupId, IpPermissions }));
      },
      detail: /no rule of DB instance \S+'s groups \(sg-\w+\) admits tcp 5432/,
    },
    {
      name: 'service-security-group',
      what: 'a service group that no longer admits the handlers on 8082',
      shape: cfn,
      breakIt: async ({ clients, config }) => {
        const groupId = config.deployment.serviceSecurityGroupId;
        const rules = await clients.ec2.send(new ec2.DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
        const fromHandlers = (rules.SecurityGroupRules ?? []).filter((r) => r.FromPort === 8082 && r.ReferencedGroupInfo?.GroupId);
        await clients.ec2.send(new ec2.RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: fromHandlers.map((r) => r.SecurityGroupRuleId as string) }));
      },
      detail: /does not admit tcp 8082 from the runbook's handler group/,
    },
    {
      name: 'ssl-mode',
      what: 'PostgreSQL 16 with MF_METADATA_DB_SSL_MODE gone from a new task definition revision',
      shape: cfn,
      breakIt: async ({ clients, built, config }) => {
        const container = { ...built.container, environment: built.container.environment?.filter((e) => e.name !== 'MF_METADATA_DB_SSL_MODE') };
        const taskDefinition = await registerTaskDefinition(clients, built.taskDefinitionFamily, container);
        await clients.ecs.send(new ecs.UpdateServiceCommand({ cluster: config.deployment.clusterName, service: config.deployment.serviceName, taskDefinition }));
      },
      detail: /postgres 16\.1 defaults to rds\.force_ssl=1, and MF_METADATA_DB_SSL_MODE is not set/,
    },
    {
      name: 'kms-key',
      what: "a disabled customer managed key (the Terraform module's)",
      shape: terraformShape,
      breakIt: async ({ clients, built }) => {
        await clients.kms.send(new kms.DisableKeyCommand({ KeyId: built.kmsKeyId?.split('/').pop() }));
      },
      detail: /KMS key \S+ is Disabled: a restore from the snapshot would fail/,
    },
    {
      name: 'kms-key',
      what: 'a customer managed key whose policy leaves IAM policies no say',
      shape: terraformShape,
      breakIt: async ({ clients, built }) => {
        const Policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/dba' }, Action: 'kms:*', Resource: '*' }] });
        await clients.kms.send(new kms.PutKeyPolicyCommand({ KeyId: built.kmsKeyId?.split('/').pop(), PolicyName: 'default', Policy }));
      },
      detail: /does not let IAM policies grant it: add kms:CreateGrant and kms:DescribeKey/,
    },
    {
      name: 'snapshot-quota',
      what: 'the manual snapshot quota used up',
      shape: cfn,
      breakIt: async () => {
        env.moto.quotas.manualSnapshots = { used: 100, max: 100 };
      },
      detail: /100 of 100 manual snapshots used/,
    },
    {
      name: 'stack-version',
      what: 'a stack deployed from an earlier edit of the file',
      shape: cfn,
      deployed: (config) => {
        config.approval = { required: true, timeoutMinutes: 60 };
      },
      detail: /deployed from another configuration \(version [0-9a-f]{12}; this file is [0-9a-f]{12}\)/,
    },
  ];

  it.each(BROKEN)('reports $name failed, and only it, on $what', async ({ name, shape, deployed, breakIt, detail }) => {
    // Prepare
    const deployment = await ready(shape, { edit: deployed });
    await breakIt?.(deployment);

    // Act
    const { run, report, failed } = await check(deployment.configFile);

    // Assess
    expect(failed).toEqual([name]);
    expect(report.preconditions.find((p) => p.name === name)?.detail).toMatch(detail);
    expect(run.code).toBe(1);
  });

  it('prints one line per precondition, the failed ones marked and named at the end', async () => {
    const deployment = await ready((c) => cloudformationShape(c));
    env.moto.quotas.manualSnapshots = { used: 100, max: 100 };
    const run = await runCli(env.moto, ['check', '--config', deployment.configFile]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}ok {4}service-steady +service metadata-service-v2: one deployment, 1 of 1 tasks running$/m);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}snapshot-quota +100 of 100 manual snapshots used/m);
    expect(run.stdout).toContain('8 of 9 preconditions hold; not yet: snapshot-quota.');
    expect(run.stdout).not.toContain(deployment.built.password);
  });

  it('reports a precondition AWS refuses to answer for as unchecked, and exits 3', async () => {
    // Prepare: the key's policy denies this caller DescribeKey (an AWS answer moto cannot give).
    const deployment = await ready(terraformShape);
    const denyDescribeKey = (clients: DeploymentClients) =>
      clients.kms.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'DescribeKeyCommand') return next(args);
          throw Object.assign(new Error('User is not authorized to perform: kms:DescribeKey'), { name: 'AccessDeniedException' });
        },
        { step: 'initialize' },
      );

    // Act
    const run = await runCli(env.moto, ['check', '--config', deployment.configFile], denyDescribeKey);

    // Assess
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^ {2}\?\? {4}kms-key +could not check: not allowed: User is not authorized to perform: kms:DescribeKey$/m);
    expect(run.stdout).toContain('8 of 9 preconditions hold; not yet: kms-key.');
  });

  it('refuses a configuration file with a bad key before any AWS call', async () => {
    const bad = path.join(env.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ deployment: { clusterName: 'metaflow' } }));
    const run = await runCli(env.moto, ['check', '--config', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('deployment.serviceName: ');
  });
});
