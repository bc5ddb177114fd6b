import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ecs from '@aws-sdk/client-ecs';
import type { DeploymentClients } from '../../cli/discovery/clients';
import { parseRunbookConfig } from '../../infra/config';
import { describeWithMoto, MOTO_ACCOUNT, useMoto } from '../support/moto';
import { synthesize } from './deploy';
import { auroraShape, type Built, cloudformationShape, consoleShape, ecsService, REGION, registerTaskDefinition, terraformShape } from './shapes';
import { runCli } from './support';

describeWithMoto('init against the AWS API emulator', () => {
  const env = useMoto('runbook-init-');
  let files = 0;
  const outFile = () => path.join(env.dir, `deployment-${++files}.json`);

  const init = (...flags: string[]) => runCli(env.moto, ['init', '--region', REGION, ...flags]);

  it.each([
    ["the guide's CloudFormation stack", (c: DeploymentClients) => cloudformationShape(c)],
    ['the CloudFormation stack with its UI service on the same database', (c: DeploymentClients) => cloudformationShape(c, 'metaflow', { ui: true })],
    ["the Terraform root module, with the UI backend's second service on the same database", terraformShape],
    ['a deployment made by hand in the console', (c: DeploymentClients) => consoleShape(c)],
    ['the Terraform submodules with an Aurora cluster', auroraShape],
  ] as [string, (c: DeploymentClients) => Promise<Built>][])('finds the configuration of %s', async (_shape, build) => {
    // Prepare
    const built = await build(env.moto.clients(REGION));
    const out = outFile();

    // Act
    const run = await init('--out', out, '--json');

    // Assess: the file holds what the shape is, validates, and tells where each value came from.
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written.env).toEqual({ account: MOTO_ACCOUNT, region: REGION });
    expect(written.deployment).toEqual({ ...built.expected.deployment, migrationPort: 8082, servicePort: 8080 });
    expect(parseRunbookConfig(written)).toEqual(written);
    const report = JSON.parse(run.stdout);
    expect(report.kind).toBe(built.expected.kind);
    expect(report.subnets.map((s: { egress: string }) => s.egress)).toEqual(built.expected.deployment.subnetIds.map(() => built.expected.egress));
    const urls = Object.fromEntries(report.loadBalancerUrls.map((u: { containerPort: number; url: string }) => [u.containerPort === 8080 ? 'serviceUrl' : 'migrationUrl', u.url]));
    expect(urls).toEqual(built.expected.urls ?? {});
    for (const key of Object.keys(built.expected.deployment)) {
      expect(report.findings).toContainEqual(expect.objectContaining({ key: `deployment.${key}`, source: expect.any(String) }));
    }
    // The task definitions hold the password in plain text; nothing init prints or writes does.
    expect(run.stdout + readFileSync(out, 'utf8')).not.toContain(built.password);

    // Assess: the file synthesizes, an Aurora cluster's too.
    expect(Object.values(synthesize(out).template.Resources).map((r) => r.Type)).toContain('AWS::StepFunctions::StateMachine');
  });

  it('prints each value and where it was read, without the database password', async () => {
    // Prepare
    const built = await terraformShape(env.moto.clients(REGION));
    const out = outFile();

    // Act
    const run = await init('--out', out);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Found a terraform Metaflow deployment in account ${MOTO_ACCOUNT}, ${REGION}: DB instance metaflow-metaflow-abcd1234 (postgres 11).`);
    expect(run.stdout).toMatch(/deployment\.containerName +metaflow-service-abcd1234\n +from ecs:DescribeServices loadBalancers\[containerPort=8082\]\.containerName/);
    expect(run.stdout).toMatch(/kind +terraform\n +from tag Metaflow=true/);
    expect(run.stdout).toContain("the load balancer's URLs are not written");
    expect(run.stdout).toContain(`npx cdk synth -c config=${out}`);
    expect(run.stdout + run.stderr).not.toContain(built.password);
  });

  it("writes the internal load balancer's URLs with --use-load-balancer, 8080 served on listener port 80", async () => {
    // Prepare
    const built = await cloudformationShape(env.moto.clients(REGION));
    const out = outFile();

    // Act
    const run = await init('--out', out, '--use-load-balancer');

    // Assess
    expect(run.code).toBe(0);
    const { deployment } = JSON.parse(readFileSync(out, 'utf8'));
    expect(deployment).toMatchObject({ ...built.expected.urls, vpcCidrBlock: '10.20.0.0/16' });
    expect(deployment.serviceUrl).toMatch(/^http:\/\/[^:]+$/);
  });

  it("chooses, of the service's security groups, the one the database admits", async () => {
    const built = await consoleShape(env.moto.clients(REGION), { secondGroup: true });
    const out = outFile();
    const run = await init('--out', out);
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).deployment.serviceSecurityGroupId).toBe(built.expected.deployment.serviceSecurityGroupId);
  });

  describe('stops and lists the candidates', () => {
    it('when two deployments in the region qualify, and takes the one --cluster names', async () => {
      // Prepare
      const production = await cloudformationShape(env.moto.clients(REGION), 'metaflow');
      const staging = await cloudformationShape(env.moto.clients(REGION), 'metaflow-staging', { cidr: '10.30.0.0/16' });
      const out = outFile();

      // Act
      const ambiguous = await init('--out', out, '--json');
      const chosen = await init('--out', out, '--cluster', staging.expected.deployment.clusterName);

      // Assess
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.stderr).toContain('2 services look like the Metaflow metadata service');
      const { error } = JSON.parse(ambiguous.stdout);
      expect(error).toMatchObject({
        code: 'Ambiguous',
        candidates: expect.arrayContaining(
          [production, staging].map((b) => `--cluster ${b.expected.deployment.clusterName} --service metadata-service-v2`),
        ),
      });
      expect(chosen.code).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8')).deployment.dbInstanceIdentifier).toBe(staging.expected.deployment.dbInstanceIdentifier);
    });

    it('when no service maps 8082 and names a database, saying why each was passed over', async () => {
      // Prepare: a cluster whose only service is a web app.
      const c = env.moto.clients(REGION);
      const built = await consoleShape(c);
      await c.ecs.send(new ecs.DeleteServiceCommand({ cluster: 'metaflow', service: 'metadata', force: true }));
      const web = await registerTaskDefinition(c, 'web', { name: 'web', image: 'nginx', portMappings: [{ containerPort: 80 }] });
      await ecsService(c, { cluster: 'metaflow', name: 'web', taskDefinition: web, subnets: built.expected.deployment.subnetIds, securityGroups: [built.expected.deployment.serviceSecurityGroupId], publicIp: false });

      // Act
      const run = await init('--out', outFile());

      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no Metaflow metadata service in any cluster of this region');
      expect(run.stderr).toContain('  metaflow/web: web:1: no container maps port 8082');
    });

    it('when --cluster names no cluster, listing the clusters there are', async () => {
      await terraformShape(env.moto.clients(REGION));
      const run = await init('--out', outFile(), '--cluster', 'metaflow-prod');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no ECS cluster metaflow-prod in this region; the clusters here are:\n  --cluster metaflow-abcd1234');
    });

    it('when --service names no service of the cluster, listing its services', async () => {
      await terraformShape(env.moto.clients(REGION));
      const run = await init('--out', outFile(), '--cluster', 'metaflow-abcd1234', '--service', 'metadata-service');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no active service metadata-service in cluster metaflow-abcd1234; its services are:');
      expect(run.stderr).toContain('  --cluster metaflow-abcd1234 --service metaflow-metadata-service-abcd1234');
      expect(run.stderr).toContain('  --cluster metaflow-abcd1234 --service metaflow-ui_backend-abcd1234');
    });

    it('when MF_METADATA_DB_HOST is the endpoint of no database, listing the databases there are', async () => {
      await consoleShape(env.moto.clients(REGION), { dbHost: 'metaflow-db.internal.example.com' });
      const run = await init('--out', outFile());
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('MF_METADATA_DB_HOST=metaflow-db.internal.example.com is the endpoint of no DB instance or Aurora cluster');
      expect(run.stderr).toMatch(/ {2}DB instance metaflow-db: metaflow-db\.\S+\.rds\.amazonaws\.com/);
    });
  });
});
