import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { type AccountQuota, RDSClient } from '@aws-sdk/client-rds';
import { STSClient } from '@aws-sdk/client-sts';
import type { DeploymentClients } from '../../cli/discovery/clients';

/**
 * moto's server (https://docs.getmoto.org/en/latest/docs/server_mode.html): a real AWS API emulator
 * on 127.0.0.1 that the AWS SDK talks to over HTTP. Each test file starts its own on a port the
 * operating system picks (`-p 0`; werkzeug prints the port it bound), so two runs never collide.
 */
const PYTHON = process.env.MOTO_PYTHON ?? 'python3';
const INSTALL = "pip install 'moto[server]'";

/** The account moto answers for (its default). */
export const MOTO_ACCOUNT = '123456789012';

function motoMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import moto.server'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return `${PYTHON} is not runnable (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} cannot import moto.server (${probe.stderr.trim().split('\n').pop()})`;
  return undefined;
}

/**
 * `describe` for tests that need moto. Without it they are skipped (counted as skipped, never passed)
 * with a message saying why and how to install it; CI sets RUNBOOK_REQUIRE_MOTO=1, which turns a
 * missing moto into a failure instead.
 */
export function describeWithMoto(name: string, body: () => void): void {
  const missing = motoMissing();
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.RUNBOOK_REQUIRE_MOTO === '1') {
    describe(name, () => {
      it('needs moto (RUNBOOK_REQUIRE_MOTO=1)', () => {
        throw new Error(`moto is required here but ${missing}; install it with ${INSTALL}`);
      });
    });
    return;
  }
  console.warn(`SKIPPED: "${name}" runs against moto's AWS emulator, and ${missing}. Install it with ${INSTALL} (or set MOTO_PYTHON).`);
  // biome-ignore lint/suspicious/noSkippedTests: skipped only without moto, with the message above; CI requires moto.
  describe.skip(name, body);
}

/** What a test changes in the one RDS call moto does not answer (see `deploymentClients`). */
export interface RdsQuotas {
  manualSnapshots: { used: number; max: number };
  manualClusterSnapshots: { used: number; max: number };
}

export interface Moto {
  readonly endpoint: string;
  /** Clients for `region`, the way the CLI makes them, pointed at moto. */
  clients(region: string): DeploymentClients;
  /** The manual snapshot quota the stand-in for DescribeAccountAttributes answers with. */
  readonly quotas: RdsQuotas;
  /** Forgets every resource (POST /moto-api/reset), so each scenario starts from an empty account. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const STARTED = /Running on http:\/\/127\.0\.0\.1:(\d+)/;

export async function startMoto(): Promise<Moto> {
  const child = spawn(PYTHON, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
    // moto reports every new ECS service with runningCount 0 unless told otherwise; 1 makes a
    // one-task service steady, and a two-task one visibly not.
    env: { ...process.env, MOTO_ECS_SERVICE_RUNNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`moto did not start within 30 s:\n${output}`)), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(err);
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const port = STARTED.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => fail(new Error(`moto exited (${code}) before it started:\n${output}`)));
  });
  const quotas = defaultQuotas();
  return {
    endpoint,
    quotas,
    clients: (region) => deploymentClients(endpoint, region, quotas),
    reset: async () => {
      const answer = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!answer.ok) throw new Error(`moto reset answered ${answer.status}`);
    },
    stop: () => stopChild(child),
  };
}

/**
 * One moto for the test file (started before its first test, stopped after its last) and a scratch
 * directory; every test starts from an empty account and the default quotas.
 */
export function useMoto(tempPrefix: string): { readonly moto: Moto; readonly dir: string } {
  const env = {} as { moto: Moto; dir: string };
  beforeAll(async () => {
    env.moto = await startMoto();
    env.dir = mkdtempSync(path.join(tmpdir(), tempPrefix));
  });
  afterAll(async () => {
    await env.moto?.stop();
    if (env.dir) rmSync(env.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await env.moto.reset();
    Object.assign(env.moto.quotas, defaultQuotas());
  });
  return env;
}

const defaultQuotas = (): RdsQuotas => ({ manualSnapshots: { used: 3, max: 100 }, manualClusterSnapshots: { used: 0, max: 100 } });

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function deploymentClients(endpoint: string, region: string, quotas: RdsQuotas): DeploymentClients {
  const config = { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
  const rds = new RDSClient(config);
  // moto 5.2.1 has no DescribeAccountAttributes (it answers with an HTML error page), so this one call
  // is answered here, in the shape of the RDS API reference
  // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeAccountAttributes.html);
  // every other RDS call goes to moto.
  rds.middlewareStack.add(
    (next, context) => async (args) => {
      // moto names a default cluster parameter group (default.aurora8.0, PostgreSQL clusters too) that it
      // cannot describe; AWS's default groups hold the engine defaults, which an empty answer stands for.
      const input = args.input as { DBClusterParameterGroupName?: string };
      if (context.commandName === 'DescribeDBClusterParametersCommand' && input.DBClusterParameterGroupName?.startsWith('default.')) {
        return { output: { Parameters: [], $metadata: {} }, response: {} } as Awaited<ReturnType<typeof next>>;
      }
      if (context.commandName !== 'DescribeAccountAttributesCommand') return next(args);
      const AccountQuotas: AccountQuota[] = [
        { AccountQuotaName: 'DBInstances', Used: 1, Max: 40 },
        { AccountQuotaName: 'ManualSnapshots', Used: quotas.manualSnapshots.used, Max: quotas.manualSnapshots.max },
        { AccountQuotaName: 'ManualClusterSnapshots', Used: quotas.manualClusterSnapshots.used, Max: quotas.manualClusterSnapshots.max },
      ];
      return { output: { AccountQuotas, $metadata: {} }, response: {} } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'motoLacksDescribeAccountAttributes' },
  );
  return {
    ecs: new ECSClient(config),
    rds,
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudformation: new CloudFormationClient(config),
    kms: new KMSClient(config),
    sts: new STSClient(config),
  };
}
