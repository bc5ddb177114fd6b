import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { absent, ENTERED_TIME, sdkCall } from '../tasks';

/** Where describeService writes its answer; the service is `Services[0]` of it when there is one. */
const SERVICE = '$.service.Services[0]';

/**
 * DescribeServices, kept whole: the fields a decision reads are tested for presence in the Choice
 * (see BoundedPoll), never selected here, where a missing one would end the execution.
 */
export function describeService(scope: Construct, name: string, ctx: RunbookContext): sfn.TaskStateBase {
  const d = ctx.config.deployment;
  return sdkCall(scope, name, {
    comment: 'Reads the deployments and task counts of the service.',
    service: 'ecs',
    action: 'describeServices',
    parameters: { Cluster: d.clusterName, Services: [d.serviceName] },
    iamResources: [ctx.arns.service],
    resultSelector: { 'Services.$': '$.Services', 'CheckedAt.$': ENTERED_TIME },
    resultPath: '$.service',
    retry: { errors: ['Ecs.ServerException'] },
  });
}

/**
 * The same test as the AWS CLI's services-stable waiter: one deployment, running = desired, and
 * (when given) the desired count the step asked for.
 */
export function steady(desiredCount?: number | string): sfn.Condition {
  const rules = [
    sfn.Condition.stringEquals(`${SERVICE}.Status`, 'ACTIVE'),
    absent(`${SERVICE}.Deployments[1]`),
    sfn.Condition.numberEqualsJsonPath(`${SERVICE}.RunningCount`, `${SERVICE}.DesiredCount`),
  ];
  if (typeof desiredCount === 'number') rules.push(sfn.Condition.numberEquals(`${SERVICE}.DesiredCount`, desiredCount));
  if (typeof desiredCount === 'string') rules.push(sfn.Condition.numberEqualsJsonPath(`${SERVICE}.DesiredCount`, desiredCount));
  return sfn.Condition.and(...rules);
}

/** The only deployment is the one `restartPath` (an UpdateService answer kept whole) started. */
export function runsDeployment(restartPath: string): sfn.Condition {
  return sfn.Condition.stringEqualsJsonPath(`${SERVICE}.Deployments[0].Id`, `${restartPath}.Service.Deployments[0].Id`);
}

/** A service that is gone, draining or inactive will never become steady: stop waiting at once. */
export function serviceNotThere(key: string) {
  return {
    gone: {
      condition: absent(SERVICE),
      name: `Service is gone (${key})`,
      error: 'ServiceNotActive',
      cause: 'DescribeServices no longer finds the ECS service.',
    },
    failed: {
      condition: sfn.Condition.not(sfn.Condition.stringEquals(`${SERVICE}.Status`, 'ACTIVE')),
      name: `Service is not active (${key})`,
      error: 'ServiceNotActive',
      cause: 'The ECS service is no longer ACTIVE (draining or inactive).',
    },
  };
}
