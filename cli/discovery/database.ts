import { type DBCluster, type DBInstance, DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import type { RetryPolicy } from '../aws';
import { allPages, type DeploymentClients } from './clients';
import { DiscoveryError } from './errors';
import { DB_HOST_VARIABLE } from './service';

/** The database the metadata service uses: an RDS DB instance, or an Aurora DB cluster. */
export type Database =
  | { readonly kind: 'instance'; readonly identifier: string; readonly instance: DBInstance; readonly matchedBy: string }
  | { readonly kind: 'aurora'; readonly identifier: string; readonly cluster: DBCluster; readonly matchedBy: string };

/** A host as RDS spells an endpoint: lower case, no trailing dot, no `:port` (older Terraform modules kept one). */
export function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
}

/**
 * Every database whose endpoint is `host`: an instance's endpoint, a cluster's writer or reader
 * endpoint, or the endpoint of a cluster member (then the cluster: snapshots and restores of Aurora
 * are the cluster's). Pure, so the rules are tested on plain data.
 */
export function matchDatabases(host: string, instances: readonly DBInstance[], clusters: readonly DBCluster[]): Database[] {
  const wanted = normalizeHost(host);
  const is = (endpoint: string | undefined) => endpoint !== undefined && normalizeHost(endpoint) === wanted;
  const matches = new Map<string, Database>();
  for (const cluster of clusters) {
    const id = cluster.DBClusterIdentifier;
    if (!id) continue;
    if (is(cluster.Endpoint)) matches.set(`cluster:${id}`, { kind: 'aurora', identifier: id, cluster, matchedBy: "the cluster's writer endpoint" });
    else if (is(cluster.ReaderEndpoint)) matches.set(`cluster:${id}`, { kind: 'aurora', identifier: id, cluster, matchedBy: "the cluster's reader endpoint" });
  }
  for (const instance of instances) {
    const id = instance.DBInstanceIdentifier;
    if (!id || !is(instance.Endpoint?.Address)) continue;
    const member = instance.DBClusterIdentifier;
    const cluster = member ? clusters.find((c) => c.DBClusterIdentifier === member) : undefined;
    if (member && cluster) matches.set(`cluster:${member}`, { kind: 'aurora', identifier: member, cluster, matchedBy: `the endpoint of its member instance ${id}` });
    else matches.set(`instance:${id}`, { kind: 'instance', identifier: id, instance, matchedBy: "the instance's endpoint" });
  }
  return [...matches.values()];
}

/** The one database MF_METADATA_DB_HOST names, or a DiscoveryError listing the endpoints of this region. */
export async function findDatabase(clients: DeploymentClients, retry: RetryPolicy, host: string): Promise<Database> {
  const instances = await allPages(
    (Marker) => clients.rds.send(new DescribeDBInstancesCommand({ Marker })),
    (p) => p.DBInstances,
    (p) => p.Marker,
    retry,
  );
  const clusters = await allPages((Marker) => clients.rds.send(new DescribeDBClustersCommand({ Marker })), (p) => p.DBClusters, (p) => p.Marker, retry);
  const matches = matchDatabases(host, instances, clusters);
  const [only] = matches;
  if (only && matches.length === 1) return only;
  if (matches.length > 1) {
    throw new DiscoveryError(
      `${DB_HOST_VARIABLE}=${normalizeHost(host)} is the endpoint of ${matches.length} databases; write the one the service uses into the configuration by hand:`,
      matches.map((m) => `${m.kind === 'aurora' ? 'dbClusterIdentifier' : 'dbInstanceIdentifier'} ${m.identifier} (${m.matchedBy})`),
      'Ambiguous',
    );
  }
  const endpoints = [
    ...instances.filter((i) => !i.DBClusterIdentifier).map((i) => `DB instance ${i.DBInstanceIdentifier}: ${i.Endpoint?.Address ?? '(no endpoint yet)'}`),
    ...clusters.map((c) => `Aurora cluster ${c.DBClusterIdentifier}: ${c.Endpoint ?? '(no endpoint yet)'}`),
  ];
  throw new DiscoveryError(
    `${DB_HOST_VARIABLE}=${normalizeHost(host)} is the endpoint of no DB instance or Aurora cluster in this region (an alias such as a Route 53 name is not followed)${endpoints.length > 0 ? '; the databases here are:' : ', which has no databases'}`,
    endpoints,
    'NotFound',
  );
}
