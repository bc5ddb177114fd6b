import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { ENTERED_TIME, sdkCall } from '../tasks';

/**
 * DescribeServices reduced to what a "steady" decision needs, the same test as the AWS CLI's
 * services-stable waiter: one deployment, running = desired.
 */
export function describeService(scope: Construct, name: string, ctx: RunbookContext): sfn.TaskStateBase {
  const d = ctx.config.deployment;
  return sdkCall(scope, name, {
    comment: 'Reads the deployments and task counts of the service.',
    service: 'ecs',
    action: 'describeServices',
    parameters: { Cluster: d.clusterName, Services: [d.serviceName] },
    iamResources: [ctx.arns.service],
    resultSelector: {
      'Status.$': '$.Services[0].Status',
      'DesiredCount.$': '$.Services[0].DesiredCount',
      'RunningCount.$': '$.Services[0].RunningCount',
      'TaskDefinition.$': '$.Services[0].TaskDefinition',
      'DeploymentCount.$': 'States.ArrayLength($.Services[0].Deployments)',
      'DeploymentId.$': '$.Services[0].Deployments[0].Id',
      'CheckedAt.$': ENTERED_TIME,
    },
    resultPath: '$.service',
    retry: { errors: ['Ecs.ServerException'] },
  });
}

/** One deployment, running = desired, and (when given) the desired count the step asked for. */
export function steady(desiredCount?: number | string): sfn.Condition {
  const rules = [
    sfn.Condition.stringEquals('$.service.Status', 'ACTIVE'),
    sfn.Condition.numberEquals('$.service.DeploymentCount', 1),
    sfn.Condition.numberEqualsJsonPath('$.service.RunningCount', '$.service.DesiredCount'),
  ];
  if (typeof desiredCount === 'number') rules.push(sfn.Condition.numberEquals('$.service.DesiredCount', desiredCount));
  if (typeof desiredCount === 'string') rules.push(sfn.Condition.numberEqualsJsonPath('$.service.DesiredCount', desiredCount));
  return sfn.Condition.and(...rules);
}

/** A service that is draining or gone will never become steady: stop waiting at once. */
export const serviceGone = {
  condition: sfn.Condition.not(sfn.Condition.stringEquals('$.service.Status', 'ACTIVE')),
  error: 'ServiceNotActive',
  cause: 'The ECS service is no longer ACTIVE (draining or deleted).',
};
