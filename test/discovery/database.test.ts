import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import { matchDatabases } from '../../cli/discovery/database';
import { egressOf } from '../../cli/discovery/network';

const instance = (id: string, address: string, cluster?: string): DBInstance => ({
  DBInstanceIdentifier: id,
  Endpoint: { Address: address, Port: 5432 },
  DBClusterIdentifier: cluster,
});
const aurora = (id: string): DBCluster => ({
  DBClusterIdentifier: id,
  Endpoint: `${id}.cluster-c1.eu-west-1.rds.amazonaws.com`,
  ReaderEndpoint: `${id}.cluster-ro-c1.eu-west-1.rds.amazonaws.com`,
});

describe('which database MF_METADATA_DB_HOST names', () => {
  const instances = [instance('metaflow-db', 'metaflow-db.c1.eu-west-1.rds.amazonaws.com'), instance('aurora-db-0', 'aurora-db-0.c1.eu-west-1.rds.amazonaws.com', 'aurora-db')];
  const clusters = [aurora('aurora-db')];

  it.each([
    ["an instance's endpoint", 'metaflow-db.c1.eu-west-1.rds.amazonaws.com', 'instance metaflow-db'],
    ['an endpoint in capitals, with a trailing dot and a port (older Terraform modules kept it)', 'METAFLOW-DB.c1.eu-west-1.rds.amazonaws.com.:5432', 'instance metaflow-db'],
    ["an Aurora cluster's writer endpoint", 'aurora-db.cluster-c1.eu-west-1.rds.amazonaws.com', 'aurora aurora-db'],
    ["an Aurora cluster's reader endpoint", 'aurora-db.cluster-ro-c1.eu-west-1.rds.amazonaws.com', 'aurora aurora-db'],
    ["a cluster member's own endpoint: the cluster, whose snapshots a restore uses", 'aurora-db-0.c1.eu-west-1.rds.amazonaws.com', 'aurora aurora-db'],
  ])('%s', (_what, host, expected) => {
    expect(matchDatabases(host, instances, clusters).map((m) => `${m.kind} ${m.identifier}`)).toEqual([expected]);
  });

  it('finds nothing for an alias (a Route 53 name is not followed)', () => {
    expect(matchDatabases('metaflow-db.internal.example.com', instances, clusters)).toEqual([]);
  });

  it('reports every database that has the endpoint when there are two', () => {
    const twins = [instance('metaflow-db', 'shared.example.com'), instance('metaflow-db-copy', 'shared.example.com')];
    expect(matchDatabases('shared.example.com', twins, []).map((m) => m.identifier)).toEqual(['metaflow-db', 'metaflow-db-copy']);
  });
});

describe("where a subnet's default route goes", () => {
  it.each([
    ['an internet gateway', { GatewayId: 'igw-0abc' }, 'internet gateway'],
    ['a NAT gateway', { NatGatewayId: 'nat-0abc' }, 'NAT gateway'],
    ['a transit gateway', { TransitGatewayId: 'tgw-0abc' }, 'transit gateway'],
    ['a network interface', { NetworkInterfaceId: 'eni-0abc' }, 'other target'],
  ])('names %s', (_what, target, expected) => {
    expect(egressOf({ Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' }, { DestinationCidrBlock: '0.0.0.0/0', ...target }] })).toBe(expected);
  });

  it('says when there is no default route (an isolated subnet)', () => {
    expect(egressOf({ Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' }] })).toBe('no default route');
  });
});
