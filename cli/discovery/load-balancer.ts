import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, type Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Service } from '@aws-sdk/client-ecs';
import { callAws, type RetryPolicy } from '../aws';
import type { DeploymentClients } from './clients';

/** A load balancer URL that reaches one of the container's ports, and how it was found. */
export interface LoadBalancerUrl {
  readonly containerPort: number;
  readonly url: string;
  readonly source: string;
}

const forwardsTo = (listener: Listener, targetGroupArn: string) =>
  (listener.DefaultActions ?? []).some(
    (a) => a.Type === 'forward' && (a.TargetGroupArn === targetGroupArn || (a.ForwardConfig?.TargetGroups ?? []).some((g) => g.TargetGroupArn === targetGroupArn)),
  );

/** `http://dns` for the protocol's own port, `http://dns:port` otherwise. Pure. */
export function listenerUrl(dnsName: string, listener: Listener): string {
  const secure = listener.Protocol === 'HTTPS' || listener.Protocol === 'TLS';
  const scheme = secure ? 'https' : 'http';
  const port = listener.Port;
  return `${scheme}://${dnsName}${port === undefined || port === (secure ? 443 : 80) ? '' : `:${port}`}`;
}

/**
 * Internal load balancer URLs for the container's ports: the service's target group for the port,
 * its load balancer, and the listener that forwards to it. The guide's stack and the Terraform module
 * serve 8080 on listener port 80, so the listener's port is read, never assumed. Internet-facing load
 * balancers are noted, not used: the runbook's handlers run inside the VPC.
 */
export async function findLoadBalancerUrls(
  clients: DeploymentClients,
  retry: RetryPolicy,
  service: Service,
  ports: readonly number[],
): Promise<{ urls: LoadBalancerUrl[]; notes: string[] }> {
  const urls: LoadBalancerUrl[] = [];
  const notes: string[] = [];
  for (const binding of service.loadBalancers ?? []) {
    const { targetGroupArn, containerPort } = binding;
    if (!targetGroupArn || containerPort === undefined || !ports.includes(containerPort)) continue;
    const groups = await callAws(() => clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })), retry);
    const group = groups.TargetGroups?.[0];
    for (const loadBalancerArn of group?.LoadBalancerArns ?? []) {
      const described = await callAws(() => clients.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [loadBalancerArn] })), retry);
      const lb = described.LoadBalancers?.[0];
      if (!lb?.DNSName) continue;
      if (lb.Scheme !== 'internal') {
        notes.push(`load balancer ${lb.LoadBalancerName} is ${lb.Scheme ?? 'not internal'}: not used (the handlers call from inside the VPC)`);
        continue;
      }
      const listeners = await callAws(() => clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn })), retry);
      for (const listener of (listeners.Listeners ?? []).filter((l) => forwardsTo(l, targetGroupArn))) {
        urls.push({
          containerPort,
          url: listenerUrl(lb.DNSName, listener),
          source: `elbv2: listener ${listener.Protocol ?? ''} ${listener.Port} of internal ${lb.Type ?? ''} load balancer ${lb.LoadBalancerName} forwards to target group ${group?.TargetGroupName} (container port ${containerPort})`,
        });
      }
    }
  }
  return { urls, notes };
}
