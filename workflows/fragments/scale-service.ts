import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { ENTERED_TIME, sdkCall } from '../tasks';
import { BoundedPoll } from './bounded-poll';
import { describeService, serviceNotThere, steady } from './service';

export interface ScaleServiceProps {
  /** "Scale to one task", "Scale back to the original count". */
  readonly title: string;
  readonly why: string;
  /** A fixed count, or a JSONPath to one (the original count recorded in preflight). */
  readonly desiredCount: number | string;
  /** Key for the poll counter and the result path. */
  readonly key: string;
  /** The steady-wait's console name, e.g. "Wait for one running task". */
  readonly waitTitle: string;
  readonly question: string;
}

/** Guide steps 2-3 and 19-20: set the number of tasks, then wait until the service is steady at it. */
export class ScaleService extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext, props: ScaleServiceProps) {
    super(scope, `fragment: ${props.title}`);
    const d = ctx.config.deployment;
    const count =
      typeof props.desiredCount === 'number' ? { DesiredCount: props.desiredCount } : { 'DesiredCount.$': props.desiredCount };
    const update = sdkCall(scope, props.title, {
      comment: props.why,
      service: 'ecs',
      action: 'updateService',
      parameters: { Cluster: d.clusterName, Service: d.serviceName, ...count },
      iamResources: [ctx.arns.service],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: `$.steps.${props.key}`,
      retry: { errors: ['Ecs.ServerException'] },
    });
    const wait = new BoundedPoll(scope, {
      title: props.waitTitle,
      why: 'Steady means one deployment and every desired task running.',
      counter: props.key,
      check: describeService(scope, `Describe the service (${props.waitTitle.toLowerCase()})`, ctx),
      question: props.question,
      done: steady(props.desiredCount),
      ...serviceNotThere(props.key),
      poll: ctx.config.waits.service,
      timeoutError: 'ServiceNotSteadyInTime',
    });
    update.next(wait);
    this.startState = update;
    this.endStates = wait.endStates;
  }
}
