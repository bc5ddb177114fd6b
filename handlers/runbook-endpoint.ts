import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetExecutionHistoryCommand, type HistoryEvent, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EndpointMisconfigured, InvalidEndpointRequest } from './lib/errors';
import { defineHandler } from './lib/handler';
import { asRecord, requireString } from './lib/validate';
import { MAC_ALGORITHM } from './logic/attestation';
import { type EndpointDeps, type EndpointRequest, type EndpointSettings, handleEndpointRequest, type RunbookApi } from './logic/endpoint';
import { approverPatternProblem } from './logic/identity';

// Created once per container: the SDK clients reuse their connections across invocations.
const sfn = new SFNClient({});
const kms = new KMSClient({});

/** The history's quota is 25,000 events: 25 pages of 1,000 read it all. */
const MAX_HISTORY_PAGES = 25;

const api: RunbookApi = {
  startExecution: async (name, input) => {
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: settingsFrom(process.env).stateMachineArn, name, input }));
    return { executionArn: started.executionArn as string };
  },
  history: async (executionArn) => {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const answer = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: true }));
      events.push(...(answer.events ?? []));
      nextToken = answer.nextToken;
      if (!nextToken) break;
    }
    return events;
  },
  sendTaskSuccess: async (taskToken, output) => {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
  },
  sendTaskFailure: async (taskToken, error, cause) => {
    await sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  },
};

/**
 * The stack sets these; read on every request (they are a few bytes), so a wrong deployment fails
 * with the variable's name.
 */
export function settingsFrom(env: Readonly<Record<string, string | undefined>>): EndpointSettings & { keyArn: string } {
  const need = (name: string, pattern: RegExp): string => {
    const value = env[name];
    if (value === undefined || !pattern.test(value)) throw new EndpointMisconfigured(`${name}: expected ${pattern}, got ${JSON.stringify(value ?? null)}`);
    return value;
  };
  let approvers: unknown;
  try {
    approvers = JSON.parse(need('RUNBOOK_APPROVERS', /^\[.*\]$/s));
  } catch (err) {
    if (err instanceof EndpointMisconfigured) throw err;
  }
  if (!Array.isArray(approvers) || approvers.some((p) => typeof p !== 'string' || approverPatternProblem(p))) {
    throw new EndpointMisconfigured('RUNBOOK_APPROVERS: expected a JSON list of approver ARN patterns');
  }
  return {
    stateMachineArn: need('RUNBOOK_STATE_MACHINE_ARN', /^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/),
    keyArn: need('RUNBOOK_KEY_ARN', /^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/),
    policy: { approvers: approvers as string[], allowSelfApproval: need('RUNBOOK_ALLOW_SELF_APPROVAL', /^(true|false)$/) === 'true' },
  };
}

function depsFor(settings: EndpointSettings & { keyArn: string }): EndpointDeps {
  return {
    api,
    settings,
    mac: {
      generate: async (message) => {
        const answer = await kms.send(new GenerateMacCommand({ KeyId: settings.keyArn, MacAlgorithm: MAC_ALGORITHM, Message: message }));
        return Buffer.from(answer.Mac as Uint8Array).toString('base64');
      },
    },
    // Date.now, not new Date(): the rehearsal runs this code on its virtual clock.
    now: () => new Date(Date.now()),
  };
}

/**
 * A function URL's request, payload format 2.0. With AuthType AWS_IAM, Lambda has verified the
 * SigV4 signature and IAM has allowed the caller before the function runs, and the caller's
 * identity is in `requestContext.authorizer.iam` (`userArn`, `accountId`, `accessKey`, `callerId`,
 * `userId`): https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html ("Request payload
 * format"). It is the only place the caller's ARN is read from.
 */
function parse(event: unknown): EndpointRequest {
  const e = asRecord(event, 'event');
  const context = asRecord(e.requestContext, 'requestContext');
  const http = asRecord(context.http, 'requestContext.http');
  const iam = asRecord(asRecord(context.authorizer, 'requestContext.authorizer').iam, 'requestContext.authorizer.iam');
  const callerArn = requireString(iam, 'userArn', { prefix: 'requestContext.authorizer.iam.', pattern: /^arn:aws[\w-]*:(iam|sts)::\d{12}:/, expected: 'the caller ARN of an AWS_IAM function URL' });
  const raw = typeof e.body === 'string' ? (e.isBase64Encoded === true ? Buffer.from(e.body, 'base64').toString('utf8') : e.body) : '';
  let body: unknown;
  try {
    body = raw === '' ? {} : (JSON.parse(raw) as unknown);
  } catch {
    throw new InvalidEndpointRequest('body: expected a JSON object');
  }
  return { method: requireString(http, 'method', { prefix: 'requestContext.http.' }), path: requireString(e, 'rawPath'), body, callerArn };
}

const run = defineHandler('runbook-endpoint', parse, (request) => handleEndpointRequest(request, depsFor(settingsFrom(process.env))));

/** Refusals and mistakes the caller can act on, by the error's name; anything else fails the function (the URL answers 502). */
const STATUS: Readonly<Record<string, number>> = {
  InvalidEndpointRequest: 400,
  InvalidHandlerEvent: 400,
  ApproverNotAllowed: 403,
  SelfApprovalRefused: 403,
  ExecutionDoesNotExist: 404,
  NotWaitingForApproval: 409,
  ExecutionAlreadyExists: 409,
};

export interface FunctionUrlResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const json = (statusCode: number, value: unknown): FunctionUrlResponse => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

/** The runbook's endpoint behind a function URL with AuthType AWS_IAM: start, approve, reject. */
export async function handler(event: unknown): Promise<FunctionUrlResponse> {
  try {
    return json(200, await run(event));
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const status = STATUS[error.name];
    if (status === undefined) throw error;
    return json(status, { error: error.name, message: error.message });
  }
}
