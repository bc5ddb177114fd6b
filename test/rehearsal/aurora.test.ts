import type { Json, Template } from '../../rehearsal/assembly';
import { VirtualClock } from '../../rehearsal/clock';
import { FIXTURES } from '../../rehearsal/fixtures';
import { parityViolations } from '../../rehearsal/invariants';
import { type RehearsalResult, rehearse } from '../../rehearsal/run';
import { findScenario, type Scenario } from '../../rehearsal/scenarios';
import { SimulatedRds } from '../../rehearsal/sim/rds';
import { runbookAssembly } from '../support/assembly';

/**
 * The Aurora deployment (rehearsal/fixtures.ts, terraform-aurora) end to end, and the simulated
 * RDS's clusters on their own: what a cluster restore gives, what RDS refuses, and the cluster
 * endpoint the service connects to.
 */
const fixture = FIXTURES['terraform-aurora'];
const CLUSTER = String(fixture.dbCluster.DBClusterIdentifier);
const INSTANCE = `${CLUSTER}-0`;
const ENDPOINT = String(fixture.dbCluster.Endpoint);

const results = new Map<string, RehearsalResult>();
async function run(name: string): Promise<RehearsalResult> {
  const known = results.get(name);
  if (known) return known;
  const result = await rehearse({ assembly: runbookAssembly('terraform-aurora'), scenario: findScenario(name) as Scenario });
  results.set(name, result);
  return result;
}

describe('the runbook on an Aurora PostgreSQL deployment', () => {
  it('snapshots the cluster, not its instance, tagged with the change, and never deletes it', async () => {
    const result = await run('happy-path');

    expect(result.calls.map((c) => c.resource)).toContain('arn:aws:states:::aws-sdk:rds:createDBClusterSnapshot');
    expect(result.calls.map((c) => c.resource)).not.toContain('arn:aws:states:::aws-sdk:rds:createDBSnapshot');
    expect(result.deployment.rds.clusterSnapshots.map((s) => [s.id, s.status, s.tags.map((t) => t.Key)])).toEqual([
      [expect.stringMatching(/^metaflow-migration-chg-1234-[0-9a-f]{8}$/), 'available', ['metaflow-migration:change-id', 'metaflow-migration:execution']],
    ]);
  });

  it('restores the cluster and its instance beside the original, then swaps them in: the cluster endpoint answers with the restored cluster, equal to the original', async () => {
    const result = await run('upgrade-returns-500');
    const { rds } = result.deployment;
    const pre = (id: string) => new RegExp(`^${id}-pre-[0-9a-f]{8}$`);

    expect(parityViolations(result)).toEqual([]);
    expect(rds.aurora.find(CLUSTER)?.createdFrom).toBeDefined();
    expect(rds.connectTo(ENDPOINT)?.schemaVersion).toBe('20211202100726');
    // The original cluster and its instance are kept, renamed aside, tagged, with the upgraded schema.
    const aside = rds.clusters.find((c) => pre(CLUSTER).test(String(c.d.DBClusterIdentifier)));
    expect(aside?.db.schemaVersion).toBe('20220503175500');
    expect(aside?.d.TagList?.map((t) => t.Key)).toEqual(expect.arrayContaining(['Name', 'Metaflow', 'metaflow-migration:change-id']));
    const asideInstance = rds.instances.find((i) => pre(INSTANCE).test(String(i.d.DBInstanceIdentifier)));
    expect(asideInstance?.d).toMatchObject({ DBClusterIdentifier: aside?.d.DBClusterIdentifier, DBInstanceStatus: 'available' });
    expect(asideInstance?.d.TagList?.map((t) => t.Key)).toEqual(['metaflow-migration:change-id', 'metaflow-migration:execution']);
    // The restored cluster's instance has the original instance identifier, and is its writer.
    expect(rds.aurora.find(CLUSTER)?.d.DBClusterMembers).toEqual([expect.objectContaining({ DBInstanceIdentifier: INSTANCE, IsClusterWriter: true })]);
  });

  it('leaves the cluster endpoint unanswered only while the clusters and the restored writer are renamed, far less than the restore', async () => {
    const result = await run('upgrade-returns-500');
    const { durations } = result.deployment.rds;

    expect(result.metrics.databaseUnreachableSeconds).toBeGreaterThanOrEqual(2 * durations.clusterRename + durations.rename);
    // At most one check interval more per rename.
    expect(result.metrics.databaseUnreachableSeconds).toBeLessThan(2 * durations.clusterRename + durations.rename + 3 * 30 + 5);
  });

  it('names every cluster and instance in the report of a failed restore, with the original untouched and serving', async () => {
    const result = await run('restore-fails');
    const report = JSON.parse(result.cause as string) as { resources: { dbClusters: { Clusters: { DbClusterIdentifier: string; Status: string }[] } } };

    expect(report.resources.dbClusters.Clusters.map((c) => [c.DbClusterIdentifier.replace(/-restored-.*/, '-restored-*'), c.Status])).toEqual([
      [CLUSTER, 'available'],
      [`${CLUSTER}-restored-*`, 'migration-failed'],
    ]);
    expect(result.deployment.rds.connectTo(ENDPOINT)).not.toBeNull();
  });

  it('undoes a swap whose instances cannot take the original identifiers: instances, then clusters, go back, and the original serves', async () => {
    const result = await run('swap-restored-instance-rename-refused');
    const report = JSON.parse(result.cause as string) as { rollbackError: { Error: string; Cause: string } };
    const { rds } = result.deployment;

    expect(report.rollbackError).toMatchObject({ Error: 'SwapFailed', Cause: expect.stringContaining('the original cluster and its instances were renamed back') });
    expect(rds.aurora.find(CLUSTER)?.createdFrom).toBeUndefined();
    expect(rds.find(INSTANCE)?.d.DBClusterIdentifier).toBe(CLUSTER);
    expect(rds.connectTo(ENDPOINT)?.schemaVersion).toBe('20220503175500');
    expect(rds.clusters.map((c) => c.d.DBClusterIdentifier)).toEqual(expect.arrayContaining([expect.stringMatching(/-restored-[0-9a-f]{8}$/)]));
  });

  it("refuses the cluster restore as RDS does when the stack's KMS grant is taken out: the rollback stops, the original serves", async () => {
    const assembly = runbookAssembly('terraform-aurora');
    const template = structuredClone(assembly.template) as Template;
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const document = resource.Properties?.PolicyDocument as { Statement: { Action: Json }[] };
      document.Statement = document.Statement.filter((s) => ![s.Action].flat().includes('kms:CreateGrant'));
    }

    const result = await rehearse({ assembly: { ...assembly, template }, scenario: findScenario('upgrade-returns-500') as Scenario });

    expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    expect(result.calls.find((c) => c.resource.endsWith(':restoreDBClusterFromSnapshot'))?.error).toBe('Rds.KmsKeyNotAccessibleException');
    expect(result.deployment.rds.connectTo(ENDPOINT)).not.toBeNull();
  });
});

describe('the simulated RDS: Aurora clusters', () => {
  const setup = () => {
    const clock = new VirtualClock();
    const lost: string[] = [];
    const rds = new SimulatedRds(clock, {}, () => undefined, (host) => lost.push(host), fixture.account);
    const cluster = rds.aurora.addCluster(fixture.dbCluster, { schemaVersion: '1', rows: 0 });
    for (const instance of fixture.clusterInstances) rds.addInstance(instance, cluster.db);
    const elapse = (seconds: number) => {
      clock.advance(seconds);
      rds.advanceTo(clock.now);
    };
    const snapshot = () => {
      rds.createDBClusterSnapshot({ DbClusterIdentifier: CLUSTER, DbClusterSnapshotIdentifier: 'snap-1' });
      elapse(rds.durations.snapshot);
    };
    const restore = { DbClusterIdentifier: 'restored', SnapshotIdentifier: 'snap-1', Engine: 'aurora-postgresql', EngineVersion: '15.4' };
    const errorOf = (act: () => unknown) => {
      try {
        act();
      } catch (err) {
        return { name: (err as Error).name, message: (err as Error).message };
      }
      throw new Error('expected the call to fail');
    };
    return { rds, clock, lost, elapse, snapshot, restore, errorOf };
  };

  it('answers under the cluster endpoint while the cluster and its writer are available, describing instances with what the cluster manages', () => {
    const { rds } = setup();
    const [member] = (rds.describeDBInstances({ Filters: [{ Name: 'db-cluster-id', Values: [CLUSTER] }] }) as { DbInstances: Record<string, unknown>[] }).DbInstances;

    expect(rds.connectTo(ENDPOINT)).not.toBeNull();
    expect(member).toMatchObject({ DbInstanceIdentifier: INSTANCE, DbClusterIdentifier: CLUSTER, BackupRetentionPeriod: 1, StorageEncrypted: true, KmsKeyId: fixture.dbCluster.KmsKeyId });
  });

  it('gives a restored cluster AWS defaults for what it is not given, no instance, and no endpoint until it is available', () => {
    const { rds, elapse, snapshot, restore } = setup();
    snapshot();

    const created = rds.restoreDBClusterFromSnapshot(restore) as { DbCluster: Record<string, unknown> };
    expect(created.DbCluster).not.toHaveProperty('Endpoint');
    elapse(rds.durations.restore);
    const [cluster] = (rds.describeDBClusters({ DbClusterIdentifier: 'restored' }) as { DbClusters: Record<string, unknown>[] }).DbClusters;

    expect(cluster).toMatchObject({
      Status: 'available',
      Endpoint: `restored.cluster-c9akciq32.eu-west-1.rds.amazonaws.com`,
      DbClusterMembers: [],
      KmsKeyId: fixture.dbCluster.KmsKeyId,
      DbSubnetGroup: 'default',
      DbClusterParameterGroup: 'default.aurora-postgresql15',
      PreferredMaintenanceWindow: expect.not.stringMatching(String(fixture.dbCluster.PreferredMaintenanceWindow)),
      TagList: [],
    });
    expect(rds.connectTo(String(cluster?.Endpoint))).toBeNull();
  });

  it.each([
    ['without Engine', { Engine: undefined }, 'Rds.RdsException', 'required member Engine'],
    ['to the Region default version of another major version', { EngineVersion: undefined }, 'Rds.RdsException', 'to version 16.6'],
    ['with a cluster parameter group that does not exist', { DbClusterParameterGroupName: 'custom' }, 'Rds.DbClusterParameterGroupNotFoundException', 'custom'],
    ['with a reserved tag key', { Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }] }, 'Rds.RdsException', 'reserved prefix'],
    ['with a retention of 0 (an Aurora cluster keeps 1 to 35 days)', { BackupRetentionPeriod: 0 }, 'Rds.RdsException', 'retention'],
  ])('refuses a cluster restore %s', (_case, change, name, message) => {
    const { rds, snapshot, restore, errorOf } = setup();
    snapshot();

    const error = errorOf(() => rds.restoreDBClusterFromSnapshot(JSON.parse(JSON.stringify({ ...restore, ...change }))));

    expect(error.name).toBe(name);
    expect(error.message).toContain(message);
  });

  it("creates an instance only in an available cluster, refusing the cluster's settings as RDS refuses them", () => {
    const { rds, elapse, snapshot, restore, errorOf } = setup();
    snapshot();
    rds.restoreDBClusterFromSnapshot(restore);
    const create = { DbInstanceIdentifier: 'restored-0', DbInstanceClass: 'db.t4g.medium', Engine: 'aurora-postgresql', DbClusterIdentifier: 'restored' };

    expect(errorOf(() => rds.createDBInstance(create)).name).toBe('Rds.InvalidDbClusterStateException');
    elapse(rds.durations.restore);
    expect(errorOf(() => rds.createDBInstance({ ...create, BackupRetentionPeriod: 7 })).message).toContain('The requested DB Instance will be a member of a DB Cluster. Set BackupRetentionPeriod for the DB Cluster.');
    expect(errorOf(() => rds.createDBInstance({ ...create, Engine: 'postgres' })).message).toContain("doesn't match the engine name of your DB cluster");
    rds.createDBInstance(create);
    elapse(rds.durations.createInstance);
    expect(rds.aurora.find('restored')?.d.DBClusterMembers).toEqual([expect.objectContaining({ DBInstanceIdentifier: 'restored-0', IsClusterWriter: true })]);
    expect(rds.connectTo('restored.cluster-c9akciq32.eu-west-1.rds.amazonaws.com')).not.toBeNull();
  });

  it('moves the cluster endpoint with a cluster rename and keeps the instance endpoints; the old name stops answering at once', () => {
    const { rds, lost, elapse } = setup();

    rds.modifyDBCluster({ DbClusterIdentifier: CLUSTER, NewDBClusterIdentifier: 'aside', ApplyImmediately: true });

    expect(lost).toContain(ENDPOINT);
    expect(rds.connectTo(ENDPOINT)).toBeNull();
    elapse(rds.durations.clusterRename);
    expect(rds.connectTo('aside.cluster-c9akciq32.eu-west-1.rds.amazonaws.com')).not.toBeNull();
    expect(rds.find(INSTANCE)?.d).toMatchObject({ DBClusterIdentifier: 'aside', Endpoint: { Address: `${INSTANCE}.c9akciq32.eu-west-1.rds.amazonaws.com` } });
  });

  it("stops answering under the cluster endpoint while its writer is renamed (the instance restarts), and refuses an instance's snapshot", () => {
    const { rds, lost, errorOf } = setup();

    rds.modifyDBInstance({ DbInstanceIdentifier: INSTANCE, NewDBInstanceIdentifier: `${INSTANCE}-pre`, ApplyImmediately: true });

    expect(lost).toContain(ENDPOINT);
    expect(rds.connectTo(ENDPOINT)).toBeNull();
    expect(errorOf(() => rds.createDBSnapshot({ DbInstanceIdentifier: INSTANCE, DbSnapshotIdentifier: 's' })).message).toContain('Please use the CreateDBClusterSnapshot API instead');
  });
});
