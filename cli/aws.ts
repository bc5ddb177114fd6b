import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import type { AwsCredentialIdentity } from '@smithy/types';

/** An error the operator can act on: printed as its message alone, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad flags or arguments: nothing was sent to AWS. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage, 'UsageError');
    this.name = 'UsageError';
  }
}

export const EXIT = { ok: 0, notSucceeded: 1, usage: 2, aws: 3 } as const;

export interface AwsClients {
  readonly sfn: SFNClient;
  /** Reads the runbook stack's outputs (the endpoint's URL). */
  readonly cloudformation: CloudFormationClient;
  /** The operator's credentials, to sign requests to the runbook's endpoint with. */
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  /** The region the clients call. */
  readonly region: () => Promise<string>;
}

export interface ClientOptions {
  readonly region?: string;
  readonly profile?: string;
}

/** The operator's own credentials: `--profile`/`--region` as the AWS CLI takes them, else the default chain. */
export function createClients(options: ClientOptions): AwsClients {
  const config = { region: options.region, profile: options.profile };
  const sfn = new SFNClient(config);
  return {
    sfn,
    cloudformation: new CloudFormationClient(config),
    // The client resolves the default provider chain (--profile, AWS_PROFILE, SSO, environment, ...).
    credentials: () => sfn.config.credentials(),
    region: () => sfn.config.region(),
  };
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The first back-off; each next one doubles. */
  readonly baseMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** What a call was about, so an error can name it. */
export interface CallContext {
  readonly executionArn?: string;
  readonly stateMachineArn?: string;
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError']);
const BAD_CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);
const ANSWERED = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

// Duck-typed: errors thrown by Node's own modules come from another realm under jest.
const nameOf = (err: unknown) => (err && typeof err === 'object' && typeof (err as Error).name === 'string' ? (err as Error).name : '');
export const messageOf = (err: unknown) => (err && typeof err === 'object' && typeof (err as Error).message === 'string' ? (err as Error).message : String(err));

/** An AWS SDK error in the operator's terms; anything unknown keeps AWS's name and message. */
export function explainAwsError(err: unknown, context: CallContext = {}): CliError {
  if (err instanceof CliError) return err;
  const name = nameOf(err);
  const message = messageOf(err);
  const where = 'check the ARN, and that --region and --profile point at the account and region it ran in';
  if (name === 'ExecutionDoesNotExist') return new CliError(`no such execution: ${context.executionArn ?? message} (${where})`, EXIT.aws, name);
  if (name === 'StateMachineDoesNotExist') {
    return new CliError(`no such state machine: ${context.stateMachineArn ?? message} (check --state-machine-arn or RUNBOOK_STATE_MACHINE_ARN, --region and --profile)`, EXIT.aws, name);
  }
  if (name === 'InvalidArn') return new CliError(`not a valid ARN: ${message}`, EXIT.usage, name);
  if (name === 'ExecutionAlreadyExists') return new CliError(`an execution with this name already exists: ${message}`, EXIT.aws, name);
  if (NO_CREDENTIALS.has(name) || /could not load credentials/i.test(message)) {
    return new CliError(`no AWS credentials: set AWS_PROFILE or use --profile (${message})`, EXIT.aws, 'NoCredentials');
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new CliError(`AWS rejected the credentials (${name}): refresh them (e.g. aws sso login) or use another --profile`, EXIT.aws, name);
  }
  if (/region is missing/i.test(message)) return new CliError('no AWS region: set AWS_REGION or use --region', EXIT.aws, 'NoRegion');
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return new CliError(`not allowed: ${message}`, EXIT.aws, name);
  if (ANSWERED.has(name)) return new CliError(`the approval is no longer waiting (${name}): it was answered or timed out`, EXIT.notSucceeded, name);
  return new CliError(`AWS error${name ? ` ${name}` : ''}: ${message}`, EXIT.aws, name || 'Error');
}

/**
 * One AWS call: throttling is retried with exponential back-off a bounded number of times, then
 * reported; every other error is explained at once.
 */
export async function callAws<T>(call: () => Promise<T>, retry: RetryPolicy, context: CallContext = {}): Promise<T> {
  let waitedMs = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!THROTTLING.has(nameOf(err))) throw explainAwsError(err, context);
      if (attempt >= retry.attempts) {
        throw new CliError(
          `AWS throttled the requests (${nameOf(err)}) ${attempt} times over ${(waitedMs / 1000).toFixed(1)} s; try again later, or watch with a longer --interval`,
          EXIT.aws,
          'Throttled',
        );
      }
      const backoff = retry.baseMs * 2 ** (attempt - 1);
      waitedMs += backoff;
      await retry.sleep(backoff);
    }
  }
}

/** The whole history, oldest first, page by page. */
export async function readHistory(sfn: SFNClient, executionArn: string, retry: RetryPolicy): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await callAws(
      () => sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: true })),
      retry,
      { executionArn },
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * The events after `afterId`, oldest first: read newest first, page by page, until an event already
 * seen. A poll of a long history costs one call, not the whole history again.
 */
export async function readHistorySince(sfn: SFNClient, executionArn: string, afterId: number, retry: RetryPolicy): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await callAws(
      () => sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, reverseOrder: true, maxResults: 200, includeExecutionData: true })),
      retry,
      { executionArn },
    );
    for (const event of page.events ?? []) {
      if ((event.id ?? 0) <= afterId) return fresh.reverse();
      fresh.push(event);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return fresh.reverse();
}

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:execution:([\w-]+):[\w.-]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+(?::[\w-]+)?$/;

/** The execution ARN argument, or a usage error naming it. */
export function requireExecutionArn(value: string | undefined): string {
  if (!value) throw new UsageError('<executionArn>: required (the ARN `start` printed, or from the console)');
  if (!EXECUTION_ARN.test(value)) throw new UsageError(`<executionArn>: expected arn:aws:states:<region>:<account>:execution:<state machine>:<name>, got ${JSON.stringify(value)}`);
  return value;
}

export function isStateMachineArn(value: string): boolean {
  return STATE_MACHINE_ARN.test(value);
}

/** The state machine an execution belongs to, by name (the runbook stack is named after it). */
export function stateMachineNameOf(executionArn: string): string | undefined {
  return EXECUTION_ARN.exec(executionArn)?.[2];
}

/** The region an execution ran in, from its ARN. */
export function regionOf(executionArn: string): string | undefined {
  return EXECUTION_ARN.exec(executionArn)?.[1];
}

/** The execution's page in the Step Functions console. */
export function consoleUrl(executionArn: string): string {
  const region = regionOf(executionArn) ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
