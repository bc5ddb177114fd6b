import { createRequire } from 'node:module';
import type { Json, RunbookAssembly } from './assembly';
import { allStates } from './assembly';
import type { VirtualClock } from './clock';
import { authorizationFor } from './authorization';
import { AwsError, DURATIONS } from './sim/aws-error';
import type { ApiEndpoint } from './sim/api-endpoint';
import { locate, parsePath, removeAt } from './json-path';
import { callOfTask } from './sim/iam';
import type { SimulatedDeployment } from './sim/deployment';
import { NEVER_ANSWERED } from './sim/notifications';
import { refuseIncompleteRequest } from './sim/requests';

// The bundles CDK produced are loaded with Node's own require, outside any test sandbox, exactly as
// the Lambda runtime would load them; their AWS SDK client reads this process's real environment.
const nativeRequire = createRequire(__filename);
const realProcess = nativeRequire('node:process') as NodeJS.Process;

export type Handler = (event: unknown) => Promise<unknown>;

/** A bundled function's handler, loaded as the Lambda runtime loads it. */
export function loadHandler(bundle: string): Handler {
  return (nativeRequire(bundle) as { handler: Handler }).handler;
}

/**
 * The environment every bundled function runs with in a rehearsal: its SDK clients call the
 * simulated APIs (with made-up keys; the endpoint authorizes the function's role), quietly.
 * `variables`: the function's own environment, as the template gives it.
 */
export function lambdaEnvironment(api: ApiEndpoint, region: string, variables: Readonly<Record<string, string>> = {}): void {
  Object.assign(realProcess.env, api.environment(), variables, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'AKIASIMULATED000000',
    AWS_SECRET_ACCESS_KEY: 'simulated',
    RUNBOOK_QUIET: '1',
  });
}
export type TaskHandler = (input: Json) => Promise<Json>;

/** What the rehearsal does to one Task state of the definition, named by `state`. */
export type InjectedFault =
  /** The state fails with `error`: the first time it runs, or every time (`every`). */
  | { readonly kind?: 'error'; readonly state: string; readonly error: string; readonly every?: boolean }
  /** Every call of the state gets `answer` instead of the real one (a recorded "not yet", replayed). */
  | { readonly kind: 'answer'; readonly state: string; readonly answer: Json }
  /** The first answer of the state in which `path` (JSONPath into the answer) reaches something has it left out. */
  | { readonly kind: 'omit-field'; readonly state: string; readonly path: string }
  /** Every call of the state reaches AWS without the top-level `key` of its input. */
  | { readonly kind: 'drop-request-key'; readonly state: string; readonly key: string }
  /**
   * The first call of the state is never answered (a lost response, a hung invoke): the Task waits
   * its TimeoutSeconds and fails with States.Timeout; without one, the execution is stuck until it
   * times out itself. https://docs.aws.amazon.com/step-functions/latest/dg/sfn-stuck-execution.html
   * ("If something goes wrong and the TimeoutSeconds field isn't specified for an Activity or Task
   * state, an execution is stuck waiting for a response that will never come").
   */
  | { readonly kind: 'no-answer'; readonly state: string };

/** The error a Task ends with when its TimeoutSeconds passes with no answer. */
export const TASK_TIMEOUT = 'States.Timeout';

export interface CallRecord {
  readonly state: string;
  readonly resource: string;
  readonly at: number;
  readonly error?: string;
  /** The injected fault changed this call. */
  readonly injected?: true;
  /** What the call was given and answered (after any fault), when the rehearsal records them. */
  readonly input?: Json;
  readonly answer?: Json;
}

export interface DispatchOptions {
  readonly assembly: RunbookAssembly;
  readonly deployment: SimulatedDeployment;
  readonly clock: VirtualClock;
  readonly apiEndpoint: ApiEndpoint;
  readonly fault?: InjectedFault;
  readonly calls: CallRecord[];
  /** Keep every call's input and answer in its record. */
  readonly recordCalls?: boolean;
  /**
   * A call no answer and no TimeoutSeconds will ever end: the execution is stuck until its own
   * timeout ends it (rehearse() moves the clock there and ends it TIMED_OUT).
   */
  readonly stuck: (state: string) => void;
}

const SDK_RESOURCE = /^arn:aws:states:::aws-sdk:(rds|ecs|sfn):(\w+)$/;
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
const SNS_PUBLISH_AND_WAIT = 'arn:aws:states:::sns:publish.waitForTaskToken';

/**
 * A handler for every Task state of the definition, chosen by the Task's Resource (never by its
 * name): AWS SDK integrations go to the simulated deployment, Lambda ARNs to the bundled handler.
 */
export function taskHandlers(opts: DispatchOptions): Record<string, TaskHandler> {
  const { clock, deployment } = opts;
  lambdaEnvironment(opts.apiEndpoint, deployment.rds.region);
  const states = allStates(opts.assembly.definition);
  const authorization = authorizationFor(opts.assembly);
  authorization.deployment = deployment;
  opts.apiEndpoint.authorizer = authorization.authorizer;
  const handlers: Record<string, TaskHandler> = {};
  const failures = new Map<string, { error: string; attempts: number }>();
  let faultUsed = false;

  for (const [name, state] of states) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    const call = resourceCall(name, resource, state, opts);
    const fault = opts.fault?.state === name ? opts.fault : undefined;
    handlers[name] = async (given) => {
      // Let the execution's own bookkeeping settle before the simulated world moves on.
      await new Promise((resolve) => setImmediate(resolve));
      chargeRetryPause(name, state, failures, clock);
      await deployment.advance();
      let input = given;
      let injected = false;
      const recorded = () => ({ ...(injected ? { injected: true as const } : {}), ...(opts.recordCalls ? { input } : {}) });
      try {
        if (fault && 'error' in fault && (fault.every || !faultUsed)) {
          faultUsed = injected = true;
          throw new AwsError(fault.error, `fault injected into "${name}" by the rehearsal`);
        }
        if (fault?.kind === 'no-answer' && !faultUsed) {
          faultUsed = injected = true;
          if (typeof state.TimeoutSeconds !== 'number') opts.stuck(name);
          else clock.advance(state.TimeoutSeconds);
          // Stuck, the execution has ended by now: this only releases the interpreter's wait.
          throw new AwsError(TASK_TIMEOUT, `no answer within TimeoutSeconds: fault injected into "${name}" by the rehearsal`);
        }
        if (fault?.kind === 'drop-request-key' && isObject(input) && fault.key in input) {
          const { [fault.key]: _dropped, ...rest } = input;
          input = rest;
          injected = true;
        }
        refuseIncompleteRequest(resource, input, opts.assembly);
        // The state machine's role must be allowed the call, as IAM would decide it.
        const decision = await authorization.authorizer.authorize(authorization.principals.stateMachine, callOfTask(resource, input));
        if (!decision.allowed) throw new AwsError(decision.error.name, decision.error.message, decision.error.statusCode);
        let result: Json;
        if (fault?.kind === 'answer') {
          // A JSON copy, not structuredClone: under jest that would make objects of another realm, which the interpreter does not treat as plain objects.
          result = JSON.parse(JSON.stringify(fault.answer)) as Json;
          injected = true;
        } else result = await call(input);
        if (fault?.kind === 'omit-field' && !faultUsed) {
          const [first] = locate(result, parsePath(fault.path));
          if (first) {
            removeAt(result, first);
            faultUsed = injected = true;
          }
        }
        failures.delete(name);
        opts.calls.push({ state: name, resource, at: clock.now, ...recorded(), ...(opts.recordCalls ? { answer: structuredClone(result) } : {}) });
        await deployment.advance();
        return result;
      } catch (err) {
        const error = err instanceof Error ? err.name : 'Error';
        const previous = failures.get(name);
        failures.set(name, { error, attempts: (previous?.error === error ? previous.attempts : 0) + 1 });
        opts.calls.push({ state: name, resource, at: clock.now, error, ...recorded() });
        throw err;
      }
    };
  }
  return handlers;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resourceCall(name: string, resource: string, state: Record<string, Json>, opts: DispatchOptions): TaskHandler {
  if (resource === SNS_PUBLISH) return async (input) => opts.deployment.sns.publish(input as Record<string, unknown>) as Json;
  if (resource === SNS_PUBLISH_AND_WAIT) {
    return async (input) => {
      if (typeof state.TimeoutSeconds !== 'number') {
        // Without a timeout of its own, an approval nobody answers waits as long as the execution runs.
        const answered = await opts.deployment.sns.publishAndWait(name, input as Record<string, unknown>, undefined);
        if (answered !== NEVER_ANSWERED) return answered as Json;
        opts.stuck(name);
        throw new AwsError(TASK_TIMEOUT, `"${name}" was never answered and has no TimeoutSeconds`);
      }
      return (await opts.deployment.sns.publishAndWait(name, input as Record<string, unknown>, state.TimeoutSeconds)) as Json;
    };
  }
  const sdk = SDK_RESOURCE.exec(resource);
  if (sdk) {
    const [, service, action] = sdk as unknown as [string, 'rds' | 'ecs' | 'sfn', string];
    const api = opts.deployment[service] as unknown as Record<string, (p: unknown) => unknown>;
    return async (input) => {
      opts.clock.advance(DURATIONS.apiCall);
      const fn = api[action];
      if (typeof fn !== 'function') {
        const svc = service.charAt(0).toUpperCase() + service.slice(1);
        throw new AwsError(`${svc}.${svc}Exception`, `${action} is not simulated (the runbook must not need it)`);
      }
      // Results are copied, as a real response would be: the state machine must not hold live objects.
      return JSON.parse(JSON.stringify(fn.call(api, input))) as Json;
    };
  }
  const bundle = opts.assembly.lambdaBundles.get(resource);
  if (!bundle) throw new Error(`no simulated target for Task resource ${resource}`);
  const handler = loadHandler(bundle.bundle);
  const role = authorizationFor(opts.assembly).principals.lambdas.get(bundle.logicalId);
  return async (input) => {
    const event = compressTimeout(input);
    // What the function calls in AWS, it calls as its own role.
    opts.apiEndpoint.caller = role;
    // Real time: Date.now runs on the virtual clock during a rehearsal.
    const started = performance.now();
    try {
      return (await handler(event.payload)) as Json;
    } catch (err) {
      // Step Functions sees a Lambda error as errorType / a JSON cause, as the Lambda service reports it.
      const e = err instanceof Error ? err : new Error(String(err));
      const lambdaError = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
      lambdaError.name = e.name;
      throw lambdaError;
    } finally {
      // A call that ran into its (compressed) timeout cost the full real-world timeout; any other
      // call a fixed moment. Charging real time scaled up would make the figures vary run to run.
      const timedOut = event.realTimeoutMs !== undefined && performance.now() - started >= event.realTimeoutMs * 0.9;
      opts.clock.advance(timedOut ? (event.timeoutSeconds as number) : DURATIONS.lambdaCall);
    }
  };
}

/**
 * Request timeouts in the definition are real-world (10 s, 840 s). The rehearsal runs them
 * compressed on the wire and charges the virtual clock the uncompressed time.
 */
function compressTimeout(input: Json): { payload: Json; realTimeoutMs?: number; timeoutSeconds?: number } {
  if (input && typeof input === 'object' && !Array.isArray(input) && typeof input.timeoutMs === 'number') {
    const real = Math.min(1500, Math.max(250, Math.round(input.timeoutMs / 1000)));
    return { payload: { ...input, timeoutMs: real }, realTimeoutMs: real, timeoutSeconds: input.timeoutMs / 1000 };
  }
  return { payload: input };
}

/** A retried Task waited IntervalSeconds × BackoffRate^(n-1) in AWS: the clock is charged the same. */
function chargeRetryPause(
  name: string,
  state: Record<string, Json>,
  failures: Map<string, { error: string; attempts: number }>,
  clock: VirtualClock,
): void {
  const failed = failures.get(name);
  if (!failed) return;
  const retrier = ((state.Retry ?? []) as Record<string, Json>[]).find((r) =>
    (r.ErrorEquals as string[]).some((e) => e === failed.error || e === 'States.ALL'),
  );
  if (!retrier) return;
  const interval = Number(retrier.IntervalSeconds ?? 1) * Number(retrier.BackoffRate ?? 2) ** (failed.attempts - 1);
  clock.advance(Math.min(interval, Number(retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY)));
}
