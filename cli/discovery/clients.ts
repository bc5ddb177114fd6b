import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { STSClient } from '@aws-sdk/client-sts';
import { CliError, type ClientOptions, EXIT, explainAwsError, type RetryPolicy, callAws } from '../aws';

/** The clients `init` and `check` read a deployment with: read-only calls only. */
export interface DeploymentClients {
  readonly ecs: ECSClient;
  readonly rds: RDSClient;
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudformation: CloudFormationClient;
  readonly kms: KMSClient;
  readonly sts: STSClient;
}

/** The operator's own credentials: `--profile`/`--region` as the AWS CLI takes them, else the default chain. */
export function createDeploymentClients(options: ClientOptions): DeploymentClients {
  const config = { region: options.region, profile: options.profile };
  return {
    ecs: new ECSClient(config),
    rds: new RDSClient(config),
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudformation: new CloudFormationClient(config),
    kms: new KMSClient(config),
    sts: new STSClient(config),
  };
}

/** The region the clients call, resolved before the first call so a missing one is named at once. */
export async function clientRegion(clients: DeploymentClients): Promise<string> {
  try {
    const region = await clients.ecs.config.region();
    if (region) return region;
  } catch (err) {
    throw explainAwsError(err);
  }
  throw new CliError('no AWS region: set AWS_REGION or use --region', EXIT.aws, 'NoRegion');
}

/** Every item of a paginated call, page by page; each page is one `callAws`. */
export async function allPages<P, T>(
  fetch: (token: string | undefined) => Promise<P>,
  items: (page: P) => readonly T[] | undefined,
  next: (page: P) => string | undefined,
  retry: RetryPolicy,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await callAws(() => fetch(token), retry);
    all.push(...(items(page) ?? []));
    token = next(page);
  } while (token);
  return all;
}

/** `xs` in groups of `size`: describe calls take a bounded number of names at once. */
export function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
