import { renameKeys, sfnMemberName } from '../../handlers/lib/sdk-casing';
import { CLUSTER_MEMBER_PARITY, DB_CLUSTER_PARITY } from '../../handlers/logic/cluster-parity';
import { classMembers, type ParityClass, type ParityTable } from '../../handlers/logic/restore-parity';
import { FIXTURES } from '../../rehearsal/fixtures';
import { memberNames, operation, shape } from '../../rehearsal/sdk-model';

/**
 * The Aurora parity tables classify every attribute of a DB cluster and of each of its instances.
 * The members come from the AWS SDK's own model (installed `@aws-sdk/client-rds`), so an attribute
 * AWS adds later fails here until someone decides what a restore does with it.
 */
const described = (v: unknown) => renameKeys(JSON.parse(JSON.stringify(v)), sfnMemberName) as Record<string, unknown>;
const aurora = FIXTURES['terraform-aurora'];
const cluster = described(aurora.dbCluster);
const instances = aurora.clusterInstances.map(described);
/** Every value a rule of `table` in `parityClass` sends for `db`, by parameter. */
const sent = <M extends string>(table: ParityTable<M>, parityClass: ParityClass, db: Record<string, unknown>) =>
  classMembers(table, parityClass).flatMap((m) => Object.keys(table[m].params?.(db) ?? {}));

describe('Aurora restore parity: what a cluster restore puts back, attribute by attribute', () => {
  it.each<[string, ParityTable<string>, string]>([
    ['the DB cluster', DB_CLUSTER_PARITY, 'DBCluster'],
    ["the cluster's instances", CLUSTER_MEMBER_PARITY, 'DBInstance'],
  ])('classifies every member of %s in the AWS SDK model (%s), and nothing else, with a reason for each one not put back', (_what, table, model) => {
    expect(Object.keys(table).sort()).toEqual(memberNames(shape('rds', model)).sort());
    expect(classMembers(table, 'not-restored').filter((m) => !table[m]?.reason?.trim())).toEqual([]);
  });

  it.each<[string, ParityTable<string>, ParityClass, string, Record<string, unknown>[]]>([
    ['the cluster', DB_CLUSTER_PARITY, 'restore', 'RestoreDBClusterFromSnapshot', [cluster]],
    ['the cluster', DB_CLUSTER_PARITY, 'modify', 'ModifyDBCluster', [cluster]],
    ["the cluster's instances", CLUSTER_MEMBER_PARITY, 'restore', 'CreateDBInstance', instances],
  ])('names for %s only %s parameters that %s has', (_what, table, parityClass, op, dbs) => {
    const accepted = new Set(memberNames(operation('rds', op).input));
    const params = new Set(dbs.flatMap((db) => sent(table, parityClass, db)));

    expect([...params].filter((p) => !accepted.has(p))).toEqual([]);
    expect(params.size).toBeGreaterThan(2);
  });

  it("passes an instance of the cluster nothing its cluster manages: CreateDBInstance's reference says those do not apply to Aurora instances", () => {
    const managed = classMembers(CLUSTER_MEMBER_PARITY, 'cluster');
    const params = new Set(instances.flatMap((db) => sent(CLUSTER_MEMBER_PARITY, 'restore', db)));

    expect(managed).toEqual(expect.arrayContaining(['BackupRetentionPeriod', 'VpcSecurityGroups', 'StorageEncrypted', 'KmsKeyId', 'EngineVersion']));
    expect([...params].filter((p) => ['BackupRetentionPeriod', 'VpcSecurityGroupIds', 'KmsKeyId', 'EngineVersion', 'StorageType', 'DeletionProtection'].includes(p))).toEqual([]);
  });

  it('passes the engine and its version, which a cluster restore would otherwise take from the Region', () => {
    expect(sent(DB_CLUSTER_PARITY, 'restore', cluster)).toEqual(expect.arrayContaining(['Engine', 'EngineVersion']));
    expect(DB_CLUSTER_PARITY.EngineVersion.params?.(cluster)).toEqual({ EngineVersion: '15.4' });
  });

  it('never sends a tag key RDS reserves (aws:, rds:)', () => {
    const withCloudFormation = { ...cluster, TagList: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }, { Key: 'team', Value: 'ml' }] };
    expect(DB_CLUSTER_PARITY.TagList.params?.(withCloudFormation)).toEqual({ Tags: [{ Key: 'team', Value: 'ml' }] });
  });
});
