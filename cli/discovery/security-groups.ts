import { DescribeSecurityGroupRulesCommand, type SecurityGroupRule } from '@aws-sdk/client-ec2';
import type { RetryPolicy } from '../aws';
import { allPages, type DeploymentClients } from './clients';

/** Every ingress rule of the groups. */
export async function ingressRules(clients: DeploymentClients, retry: RetryPolicy, groupIds: readonly string[]): Promise<SecurityGroupRule[]> {
  if (groupIds.length === 0) return [];
  const rules = await allPages(
    (NextToken) => clients.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [...groupIds] }], NextToken })),
    (p) => p.SecurityGroupRules,
    (p) => p.NextToken,
    retry,
  );
  return rules.filter((r) => !r.IsEgress);
}

/** Whether a rule lets TCP reach `port`: protocol tcp or all (-1), the port inside its range. Pure. */
export function coversTcpPort(rule: SecurityGroupRule, port: number): boolean {
  if (rule.IpProtocol === '-1') return true;
  if (rule.IpProtocol !== 'tcp' && rule.IpProtocol !== '6') return false;
  return (rule.FromPort ?? -1) <= port && port <= (rule.ToPort ?? -1);
}

/** The rules that admit TCP `port` from members of `sourceGroupId`. Pure. */
export function admitsGroup(rules: readonly SecurityGroupRule[], port: number, sourceGroupId: string): SecurityGroupRule[] {
  return rules.filter((r) => r.ReferencedGroupInfo?.GroupId === sourceGroupId && coversTcpPort(r, port));
}

/** A rule, as an operator reads it in the console. */
export function describeRule(rule: SecurityGroupRule): string {
  const ports = rule.IpProtocol === '-1' ? 'all traffic' : rule.FromPort === rule.ToPort ? `tcp ${rule.FromPort}` : `tcp ${rule.FromPort}-${rule.ToPort}`;
  const from = rule.ReferencedGroupInfo?.GroupId ?? rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId ?? '?';
  return `${rule.GroupId} ${rule.SecurityGroupRuleId ?? ''}: ${ports} from ${from}`.replace('  ', ' ');
}
