import { handler } from '../../handlers/assess-preflight';
import { renameKeys, sfnMemberName } from '../../handlers/lib/sdk-casing';
import type { ClusterOriginalState } from '../../handlers/logic/assess-cluster-preflight';
import { FIXTURES } from '../../rehearsal/fixtures';
import { operation, valueProblems } from '../../rehearsal/sdk-model';
import { expectNamedError, rejectionOf } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

/** The Terraform module's Aurora cluster and its instance, as Step Functions returns them. */
const described = (v: unknown) => renameKeys(JSON.parse(JSON.stringify(v)), sfnMemberName) as Record<string, unknown>;
const fixture = FIXTURES['terraform-aurora'];
const CLUSTER = described(fixture.dbCluster);
const INSTANCE = described(fixture.clusterInstances[0]);
const ID = String(CLUSTER.DbClusterIdentifier);
const SERVICE = {
  ServiceName: 'metadata-service',
  Status: 'ACTIVE',
  DesiredCount: 1,
  RunningCount: 1,
  TaskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/metaflow-service:3',
  Deployments: [{ Id: 'ecs-svc/1', Status: 'PRIMARY' }],
  NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-0a1b2c3d4e5f60718'], SecurityGroups: ['sg-0a1b2c3d4e5f60718'], AssignPublicIp: 'DISABLED' } },
};
const IDS = {
  serviceName: 'metadata-service',
  snapshotId: 'metaflow-migration-chg-1234-0a1b2c3d',
  restoreClusterId: `${ID}-restored-0a1b2c3d`,
  changeId: 'CHG-1234',
  executionId: 'arn:aws:states:eu-west-1:123456789012:execution:Runbook:run-1',
  executionName: 'run-1',
};

const assess = (clusters: unknown[] = [CLUSTER], instances: unknown[] = [INSTANCE], services: unknown[] = [SERVICE]) =>
  handler({ dbClusters: clusters, dbInstances: instances, services, dbClusterIdentifier: ID, ...IDS }) as Promise<ClusterOriginalState>;

describe('assess-preflight for an Aurora cluster', () => {
  it('records the restore of the cluster, the settings it cannot take, and the creation of each instance, all within the API models', async () => {
    const original = await assess();

    expect(original.restore.parameters).toMatchObject({
      DbClusterIdentifier: IDS.restoreClusterId,
      SnapshotIdentifier: IDS.snapshotId,
      Engine: 'aurora-postgresql',
      EngineVersion: '15.4',
      DbSubnetGroupName: CLUSTER.DbSubnetGroup,
      VpcSecurityGroupIds: ['sg-07f0e0d0c0b0a0944'],
      DbClusterParameterGroupName: 'default.aurora-postgresql15',
      BackupRetentionPeriod: 1,
    });
    expect(original.afterRestore.settings).toMatchObject({ DbClusterIdentifier: IDS.restoreClusterId, PreferredMaintenanceWindow: CLUSTER.PreferredMaintenanceWindow, ApplyImmediately: true });
    expect(original.members).toEqual([
      {
        id: `${ID}-0`,
        restoredId: expect.stringMatching(new RegExp(`^${ID}-0-restored-[0-9a-f]{8}$`)),
        asideId: expect.stringMatching(new RegExp(`^${ID}-0-pre-[0-9a-f]{8}$`)),
        writer: true,
        create: expect.objectContaining({ DbClusterIdentifier: IDS.restoreClusterId, DbInstanceClass: 'db.t4g.medium', AvailabilityZone: 'eu-west-1a', Engine: 'aurora-postgresql' }),
      },
    ]);
    // The members' counterparts end with the execution's hash, as every name the plan derives.
    expect(original.members[0]?.restoredId.slice(-8)).toBe(original.members[0]?.asideId.slice(-8));
    expect(valueProblems(operation('rds', 'RestoreDBClusterFromSnapshot').input, original.restore.parameters, 'restore')).toEqual([]);
    expect(valueProblems(operation('rds', 'ModifyDBCluster').input, original.afterRestore.settings, 'settings')).toEqual([]);
    expect(valueProblems(operation('rds', 'CreateDBInstance').input, original.members[0]?.create, 'create')).toEqual([]);
    expect(original.notRestored).toEqual([]);
  });

  it('creates the writer first, whatever order the cluster lists its instances in', async () => {
    const reader = { ...INSTANCE, DbInstanceIdentifier: `${ID}-1`, PromotionTier: 2 };
    const members = [{ DbInstanceIdentifier: `${ID}-1`, IsClusterWriter: false }, { DbInstanceIdentifier: `${ID}-0`, IsClusterWriter: true }];

    const original = await assess([{ ...CLUSTER, DbClusterMembers: members }], [reader, INSTANCE]);

    expect(original.members.map((m) => [m.id, m.writer])).toEqual([
      [`${ID}-0`, true],
      [`${ID}-1`, false],
    ]);
  });

  it('refuses to start, naming every problem at once: the cluster and an instance not available, an instance the stack may not rename, the service busy', async () => {
    const foreign = { ...INSTANCE, DbInstanceIdentifier: 'hand-made-reader', DbInstanceStatus: 'modifying' };
    const members = [...(CLUSTER.DbClusterMembers as object[]), { DbInstanceIdentifier: 'hand-made-reader', IsClusterWriter: false }];

    const error = await rejectionOf(assess([{ ...CLUSTER, Status: 'backing-up', DbClusterMembers: members }], [INSTANCE, foreign], [{ ...SERVICE, RunningCount: 0 }]));

    expectNamedError(error, 'PreflightFailed', [
      `DB cluster ${ID} is 'backing-up', expected 'available'`,
      "instance hand-made-reader of DB cluster metaflow-metaflow-abcd1234 is 'modifying', expected 'available'",
      'the runbook may rename only instances whose identifier starts with the cluster\'s',
      'runs 0 of 1 tasks',
    ]);
  });

  it('refuses a cluster with no instance, and one whose description lacks what a restore needs', async () => {
    expectNamedError(await rejectionOf(assess([{ ...CLUSTER, DbClusterMembers: [] }])), 'PreflightFailed', ['has no instance']);
    const { EngineVersion: _version, ...lacking } = CLUSTER;
    expectNamedError(await rejectionOf(assess([lacking])), 'PreflightFailed', ['lack what a restore needs: EngineVersion (cluster)']);
  });
  it('finds its own cluster among others, and says when it is not described', async () => {
    const other = { ...CLUSTER, DbClusterIdentifier: 'another-cluster', Status: 'stopped', DbClusterMembers: [] };

    await expect(assess([other, CLUSTER])).resolves.toMatchObject({ dbClusterIdentifier: ID });
    expectNamedError(await rejectionOf(assess([other])), 'PreflightFailed', [new RegExp(`^nothing was changed: DB cluster ${ID} was not found$`)]);
  });

  it('refuses a cluster of another engine, and takes one whose engine is not described to what a restore needs instead', async () => {
    expectNamedError(await rejectionOf(assess([{ ...CLUSTER, Engine: 'aurora-mysql' }])), 'PreflightFailed', [`DB cluster ${ID} runs aurora-mysql; the metadata service needs PostgreSQL`]);
    const { Engine: _engine, ...unknownEngine } = CLUSTER;
    expectNamedError(await rejectionOf(assess([unknownEngine])), 'PreflightFailed', [/lack what a restore needs: Engine \(cluster\)$/]);
  });

  it('names a member that was not described, every problem separated by "; "', async () => {
    const members = [...(CLUSTER.DbClusterMembers as object[]), { DbInstanceIdentifier: `${ID}-9`, IsClusterWriter: false }];

    expectNamedError(await rejectionOf(assess([{ ...CLUSTER, DbClusterMembers: members }], [INSTANCE], [{ ...SERVICE, RunningCount: 0 }])), 'PreflightFailed', [
      new RegExp(`^nothing was changed: instance ${ID}-9 of DB cluster ${ID} was not described; `),
    ]);
  });

  it('counts an empty list as lacking, and names each instance setting a creation lacks with its instance, every one at once', async () => {
    const { DbInstanceClass: _class, ...classless } = INSTANCE;
    const { Port: _port, ...portless } = CLUSTER;

    expectNamedError(await rejectionOf(assess([{ ...portless, VpcSecurityGroups: [] }], [classless])), 'PreflightFailed', [
      `lack what a restore needs: VpcSecurityGroupIds (cluster), Port (cluster), DbInstanceClass (${ID}-0)`,
    ]);
  });

  it('creates the writer first among several readers, wherever it is listed', async () => {
    const reader = (n: number) => ({ ...INSTANCE, DbInstanceIdentifier: `${ID}-${n}` });
    const members = [1, 2, 0].map((n) => ({ DbInstanceIdentifier: `${ID}-${n}`, IsClusterWriter: n === 0 }));

    const original = await assess([{ ...CLUSTER, DbClusterMembers: members }], [reader(1), reader(2), INSTANCE]);

    expect(original.members.map((m) => m.id)).toEqual([`${ID}-0`, `${ID}-1`, `${ID}-2`]);
  });
});
