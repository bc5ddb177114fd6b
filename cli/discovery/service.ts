import {
  type ContainerDefinition,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
  ListServicesCommand,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { DEFAULT_MIGRATION_PORT } from '../../infra/config';
import { callAws, type RetryPolicy } from '../aws';
import { allPages, chunks, type DeploymentClients } from './clients';
import { DiscoveryError } from './errors';

/** The variable that names the metadata database's host (services/utils/__init__.py of metaflow-service). */
export const DB_HOST_VARIABLE = 'MF_METADATA_DB_HOST';
export const SSL_MODE_VARIABLE = 'MF_METADATA_DB_SSL_MODE';

/** A service that runs the metadata service image: its migration port is mapped and it names its database. */
export interface MetadataService {
  readonly clusterName: string;
  readonly service: Service & { serviceName: string };
  readonly taskDefinition: TaskDefinition;
  readonly container: ContainerDefinition & { name: string };
}

/** A service looked at and passed over, with the reason, so "none found" can say what was seen. */
export interface PassedOver {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly reason: string;
}

export interface ServiceSearch {
  readonly cluster?: string;
  readonly service?: string;
}

/**
 * A variable of a container: from `environment` with its value, or from `secrets` (a Secrets Manager
 * or SSM reference, whose value is not read). Only the variable asked for is read: the environment of
 * the guide's task definitions holds the database password in plain text.
 */
export function containerVariable(container: ContainerDefinition, name: string): { value: string } | { secret: string } | undefined {
  const plain = container.environment?.find((e) => e.name === name);
  if (plain?.value !== undefined) return { value: plain.value };
  const secret = container.secrets?.find((s) => s.name === name);
  return secret?.valueFrom ? { secret: secret.valueFrom } : undefined;
}

const mapsPort = (container: ContainerDefinition, port: number) => (container.portMappings ?? []).some((m) => m.containerPort === port);

/** Why a task definition is not the metadata service's, or its container if it is. */
function metadataContainer(taskDefinition: TaskDefinition): { container: ContainerDefinition & { name: string } } | { reason: string } {
  const containers = taskDefinition.containerDefinitions ?? [];
  const withPort = containers.filter((c) => mapsPort(c, DEFAULT_MIGRATION_PORT));
  if (withPort.length === 0) return { reason: `no container maps port ${DEFAULT_MIGRATION_PORT}` };
  const named = withPort.filter((c) => containerVariable(c, DB_HOST_VARIABLE) !== undefined);
  if (named.length === 0) return { reason: `container ${withPort.map((c) => c.name).join(', ')} maps ${DEFAULT_MIGRATION_PORT} but sets no ${DB_HOST_VARIABLE}` };
  const [container] = named;
  if (named.length > 1 || !container?.name) return { reason: `${named.length} containers map ${DEFAULT_MIGRATION_PORT} and set ${DB_HOST_VARIABLE}` };
  return { container: container as ContainerDefinition & { name: string } };
}

const lastSegment = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

async function clusterNames(clients: DeploymentClients, retry: RetryPolicy, cluster: string | undefined): Promise<string[]> {
  const listAll = async () =>
    (await allPages((nextToken) => clients.ecs.send(new ListClustersCommand({ nextToken })), (p) => p.clusterArns, (p) => p.nextToken, retry)).map(lastSegment);
  if (cluster === undefined) return listAll();
  const found = await callAws(() => clients.ecs.send(new DescribeClustersCommand({ clusters: [cluster] })), retry);
  const active = found.clusters?.find((c) => c.status === 'ACTIVE');
  if (active?.clusterName) return [active.clusterName];
  const others = await listAll();
  throw new DiscoveryError(
    `no ECS cluster ${cluster} in this region${others.length > 0 ? '; the clusters here are:' : ', and no other cluster either (check --region and --profile)'}`,
    others.map((name) => `--cluster ${name}`),
    'NotFound',
  );
}

async function servicesOf(clients: DeploymentClients, retry: RetryPolicy, clusterName: string, only: string | undefined): Promise<Service[]> {
  const names =
    only !== undefined
      ? [only]
      : await allPages((nextToken) => clients.ecs.send(new ListServicesCommand({ cluster: clusterName, nextToken })), (p) => p.serviceArns, (p) => p.nextToken, retry);
  const services: Service[] = [];
  // DescribeServices takes at most 10 services per call.
  for (const batch of chunks(names, 10)) {
    const page = await callAws(() => clients.ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: batch })), retry);
    services.push(...(page.services ?? []).filter((s) => s.status === 'ACTIVE'));
  }
  if (only !== undefined && services.length === 0) {
    const all = await servicesOf(clients, retry, clusterName, undefined);
    throw new DiscoveryError(
      `no active service ${only} in cluster ${clusterName}${all.length > 0 ? '; its services are:' : ', which has no services'}`,
      all.map((s) => `--cluster ${clusterName} --service ${s.serviceName}`),
      'NotFound',
    );
  }
  return services;
}

/**
 * The metadata service: the service whose task definition has a container mapping the migration port
 * and naming its database in MF_METADATA_DB_HOST (the UI backend names the same database but serves
 * 8083, so it is told apart). Exactly one, or a DiscoveryError listing what was found.
 */
export async function findMetadataService(clients: DeploymentClients, retry: RetryPolicy, search: ServiceSearch): Promise<MetadataService> {
  const found: MetadataService[] = [];
  const passedOver: PassedOver[] = [];
  const taskDefinitions = new Map<string, TaskDefinition>();
  for (const clusterName of await clusterNames(clients, retry, search.cluster)) {
    for (const service of await servicesOf(clients, retry, clusterName, search.service)) {
      const serviceName = service.serviceName ?? '';
      const arn = service.taskDefinition;
      if (!arn) {
        passedOver.push({ clusterName, serviceName, reason: 'no task definition' });
        continue;
      }
      let taskDefinition = taskDefinitions.get(arn);
      if (!taskDefinition) {
        const described = await callAws(() => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })), retry);
        taskDefinition = described.taskDefinition ?? {};
        taskDefinitions.set(arn, taskDefinition);
      }
      const verdict = metadataContainer(taskDefinition);
      if ('reason' in verdict) passedOver.push({ clusterName, serviceName, reason: `${lastSegment(arn)}: ${verdict.reason}` });
      else found.push({ clusterName, service: { ...service, serviceName }, taskDefinition, container: verdict.container });
    }
  }
  const [only] = found;
  if (only && found.length === 1) return only;
  const what = `a service whose task definition has a container mapping port ${DEFAULT_MIGRATION_PORT} and setting ${DB_HOST_VARIABLE}`;
  if (found.length > 1) {
    throw new DiscoveryError(
      `${found.length} services look like the Metaflow metadata service (${what}); choose one:`,
      found.map((s) => `--cluster ${s.clusterName} --service ${s.service.serviceName}`),
      'Ambiguous',
    );
  }
  const where = search.cluster ? `cluster ${search.cluster}` : 'any cluster of this region';
  throw new DiscoveryError(
    `no Metaflow metadata service in ${where}: looked for ${what}${passedOver.length > 0 ? '. Passed over:' : ', and found no services at all (check --region and --profile)'}`,
    passedOver.map((p) => `${p.clusterName}/${p.serviceName}: ${p.reason}`),
    'NotFound',
  );
}
