import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** `$$.State.EnteredTime`: when the state started, recorded for the per-step times of the summary. */
export const ENTERED_TIME = '$$.State.EnteredTime';

export interface SdkCallProps {
  readonly comment: string;
  readonly service: 'rds' | 'ecs' | 'sfn';
  /** The API action in the SDK integration's camelCase, e.g. `createDBSnapshot`. */
  readonly action: string;
  /** Parameters in Java SDK v2 casing, e.g. `DbInstanceIdentifier`. */
  readonly parameters?: Record<string, unknown>;
  /**
   * Instead of `parameters`: the path of a complete request built earlier (by preflight, from the
   * parity table). Without Parameters, the state's input after InputPath is what the API receives
   * (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html).
   */
  readonly requestPath?: string;
  readonly iamResources: string[];
  readonly iamAction?: string;
  /** For actions whose permission is not on the resource they name (ListTasks). */
  readonly additionalIamStatements?: iam.PolicyStatement[];
  readonly resultSelector?: Record<string, unknown>;
  readonly resultPath: string;
  /** Errors worth retrying: transient ones only (throttling, a conflicting update in flight). */
  readonly retry?: { errors: string[]; maxAttempts?: number };
}

/** CallAwsService always renders Parameters (`{}` when none are given), which would replace the request. */
class CallAwsServiceWithRequest extends tasks.CallAwsService {
  protected override _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): unknown {
    const { Parameters: _none, ...rest } = super._renderTask(topLevelQueryLanguage) as Record<string, unknown>;
    return rest;
  }
}

/** A direct AWS SDK call from Step Functions (`arn:aws:states:::aws-sdk:<service>:<action>`). */
export function sdkCall(scope: Construct, name: string, props: SdkCallProps): tasks.CallAwsService {
  if ((props.parameters === undefined) === (props.requestPath === undefined)) throw new Error(`${name}: give parameters or requestPath, not both or neither`);
  const Task = props.requestPath ? CallAwsServiceWithRequest : tasks.CallAwsService;
  const task = new Task(scope, name, {
    comment: props.comment,
    inputPath: props.requestPath,
    service: props.service,
    action: props.action,
    parameters: props.parameters,
    iamResources: props.iamResources,
    iamAction: props.iamAction,
    additionalIamStatements: props.additionalIamStatements,
    resultSelector: props.resultSelector,
    resultPath: props.resultPath,
  });
  if (props.retry) {
    task.addRetry({
      errors: props.retry.errors,
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: props.retry.maxAttempts ?? 4,
    });
  }
  return task;
}

export interface InvokeProps {
  readonly comment: string;
  readonly payload: Record<string, unknown>;
  readonly resultPath: string;
  readonly resultSelector?: Record<string, unknown>;
  /**
   * Off for calls that must happen at most once (PATCH /upgrade): a retried Lambda invocation could
   * send the request a second time.
   */
  readonly retryLambdaServiceErrors?: boolean;
  readonly timeout?: Duration;
}

/** A call to one of the runbook's own handlers; its result is the function's return value. */
export function invoke(scope: Construct, name: string, fn: lambda.IFunction, props: InvokeProps): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, name, {
    comment: props.comment,
    lambdaFunction: fn,
    // Every handler logs the execution it works for, so its log lines can be found from the history.
    payload: sfn.TaskInput.fromObject({ ...props.payload, 'executionId.$': '$$.Execution.Id' }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: props.retryLambdaServiceErrors ?? true,
    resultSelector: props.resultSelector,
    // '$' is ASL's default: leaving it out replaces the state the same way in AWS, and the local
    // interpreter (aws-local-stepfunctions 3.0.0) mishandles an explicit "ResultPath": "$".
    resultPath: props.resultPath === '$' ? undefined : props.resultPath,
    // By default a little more than the function's own timeout: the Task never waits longer than the
    // function can run, and the definition says how long each call may take.
    taskTimeout: sfn.Timeout.duration(props.timeout ?? defaultTimeout(fn)),
  });
}

function defaultTimeout(fn: lambda.IFunction): Duration {
  const own = (fn as Partial<lambda.Function>).timeout;
  if (!own) throw new Error(`${fn.node.path}: a Task needs the function's timeout to bound its own`);
  return own.plus(Duration.seconds(10));
}

/** Retries a readiness check on the named "not yet" errors, bounded like every wait. */
export function retryUntilReady(
  task: sfn.TaskStateBase,
  errors: string[],
  poll: { intervalSeconds: number; maxAttempts: number },
): void {
  task.addRetry({ errors, interval: Duration.seconds(poll.intervalSeconds), backoffRate: 1, maxAttempts: poll.maxAttempts });
}

/**
 * "This field is absent". Written as Not(IsPresent) rather than IsPresent: false: the same test in
 * AWS, and the one the local interpreter evaluates right (aws-local-stepfunctions 3.0.0 never
 * matches a type test whose value is false). The rehearsal refuses a definition with such a test.
 */
export function absent(path: string): sfn.Condition {
  return sfn.Condition.not(sfn.Condition.isPresent(path));
}
