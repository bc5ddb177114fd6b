import { InvalidHandlerEvent } from './lib/errors';
import { defineHandler } from './lib/handler';
import { asRecord, requireString } from './lib/validate';
import { assessClusterPreflight, type DbClusterDescription, type DbClusterInstanceDescription } from './logic/assess-cluster-preflight';
import { assessPreflight, type DbInstanceDescription, type EcsServiceDescription } from './logic/assess-preflight';

const list = (o: Record<string, unknown>, key: string): unknown[] => {
  if (!Array.isArray(o[key])) throw new InvalidHandlerEvent(`${key}: expected a list`);
  return o[key] as unknown[];
};

const strings = (o: Record<string, unknown>) => ({
  serviceName: requireString(o, 'serviceName'),
  snapshotId: requireString(o, 'snapshotId'),
  changeId: requireString(o, 'changeId'),
  executionId: requireString(o, 'executionId'),
});

/**
 * Step 1 (Preflight): decide from the descriptions whether the runbook may start. A state machine
 * built for an Aurora cluster names the cluster (dbClusterIdentifier) and describes it and its
 * instances; one built for an instance names the instance.
 */
export const handler = defineHandler(
  'assess-preflight',
  (event) => {
    const o = asRecord(event, 'event');
    const cluster = o.dbClusterIdentifier !== undefined;
    // The descriptions first: a malformed one is the likeliest mistake in the definition.
    const described = cluster
      ? { dbClusters: list(o, 'dbClusters') as DbClusterDescription[], dbInstances: list(o, 'dbInstances') as DbClusterInstanceDescription[] }
      : { dbInstances: list(o, 'dbInstances') as DbInstanceDescription[] };
    const common = { services: list(o, 'services') as EcsServiceDescription[] };
    if (cluster) {
      return {
        kind: 'cluster' as const,
        ...common,
        dbClusters: described.dbClusters as DbClusterDescription[],
        dbInstances: described.dbInstances,
        dbClusterIdentifier: requireString(o, 'dbClusterIdentifier'),
        ...strings(o),
        restoreClusterId: requireString(o, 'restoreClusterId'),
        executionName: requireString(o, 'executionName'),
      };
    }
    return {
      kind: 'instance' as const,
      ...common,
      dbInstances: described.dbInstances as DbInstanceDescription[],
      dbInstanceIdentifier: requireString(o, 'dbInstanceIdentifier'),
      ...strings(o),
      restoreInstanceId: requireString(o, 'restoreInstanceId'),
    };
  },
  (e) => (e.kind === 'cluster' ? assessClusterPreflight(e.dbClusters, e.dbInstances, e.services, e) : assessPreflight(e.dbInstances, e.services, e)),
);
