import { DescribeRouteTablesCommand, DescribeSubnetsCommand, DescribeVpcsCommand, type RouteTable } from '@aws-sdk/client-ec2';
import { callAws, type RetryPolicy } from '../aws';
import { allPages, type DeploymentClients } from './clients';
import { DiscoveryError } from './errors';

/** Where a subnet's default route (0.0.0.0/0) leads. */
export type Egress = 'internet gateway' | 'NAT gateway' | 'transit gateway' | 'other target' | 'no default route';

export interface SubnetFacts {
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly cidrBlock: string;
  readonly egress: Egress;
  /** The route table that decides it: the subnet's own, else the VPC's main table. */
  readonly routeTableId: string;
}

export interface NetworkFacts {
  readonly vpcId: string;
  readonly vpcCidrBlock: string;
  readonly subnets: readonly SubnetFacts[];
}

/** Where the default route of a route table goes. Pure. */
export function egressOf(table: RouteTable | undefined): Egress {
  const route = table?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  if (!route) return 'no default route';
  if (route.NatGatewayId) return 'NAT gateway';
  if (route.GatewayId?.startsWith('igw-')) return 'internet gateway';
  if (route.TransitGatewayId) return 'transit gateway';
  return 'other target';
}

/**
 * The service's subnets with their zones and where they route, and their VPC. A subnet without a
 * route table of its own uses the VPC's main table
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRouteTables.html).
 */
export async function describeNetwork(clients: DeploymentClients, retry: RetryPolicy, subnetIds: readonly string[]): Promise<NetworkFacts> {
  const described = await callAws(() => clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] })), retry);
  const byId = new Map((described.Subnets ?? []).map((s) => [s.SubnetId, s]));
  const vpcIds = [...new Set((described.Subnets ?? []).map((s) => s.VpcId))];
  const [vpcId] = vpcIds;
  if (!vpcId || vpcIds.length > 1) {
    throw new DiscoveryError(`the service's subnets are in ${vpcIds.length} VPCs; expected one:`, vpcIds.map(String), 'Ambiguous');
  }
  const vpc = await callAws(() => clients.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })), retry);
  const tables = await allPages(
    (NextToken) => clients.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], NextToken })),
    (p) => p.RouteTables,
    (p) => p.NextToken,
    retry,
  );
  const main = tables.find((t) => t.Associations?.some((a) => a.Main));
  const subnets = subnetIds.map((subnetId) => {
    const subnet = byId.get(subnetId);
    if (!subnet?.AvailabilityZone || !subnet.CidrBlock) throw new DiscoveryError(`subnet ${subnetId} of the service was not found`, [], 'NotFound');
    const own = tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId));
    const table = own ?? main;
    return { subnetId, availabilityZone: subnet.AvailabilityZone, cidrBlock: subnet.CidrBlock, egress: egressOf(table), routeTableId: table?.RouteTableId ?? '(none)' };
  });
  return { vpcId, vpcCidrBlock: vpc.Vpcs?.[0]?.CidrBlock ?? '', subnets };
}
