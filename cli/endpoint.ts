import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { CliError, EXIT } from './aws';

/**
 * The runbook's endpoint, called as the operator: a function URL with AuthType AWS_IAM takes
 * requests signed with Signature Version 4 for the service `lambda` in the URL's region
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html, "Invoking function URLs":
 * "each HTTP request must be signed using AWS Signature Version 4 (SigV4)"). Who the caller is,
 * the endpoint reads from the signature, never from the body.
 */
export interface EndpointCall {
  /** `https://<url-id>.lambda-url.<region>.on.aws/`, or the rehearsal's loopback endpoint. */
  readonly url: string;
  readonly path: '/start' | '/approve' | '/reject';
  readonly body: Record<string, unknown>;
  readonly credentials: AwsCredentialIdentity;
  /** The region to sign for: the URL's own, else this. */
  readonly region: string;
  /** When the request is signed (the rehearsal's virtual clock in a rehearsal). */
  readonly now?: () => Date;
}

export interface EndpointAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A function URL's host names its region: `<url-id>.lambda-url.<region>.on.aws`. */
export function regionOfUrl(url: string): string | undefined {
  return /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).hostname)?.[1];
}

/** Signs and sends one request; any HTTP answer is returned, only a failure to reach the URL throws. */
export async function callEndpoint(call: EndpointCall): Promise<EndpointAnswer> {
  const url = new URL(call.path, call.url.endsWith('/') ? call.url : `${call.url}/`);
  const body = JSON.stringify(call.body);
  const signer = new SignatureV4({ service: 'lambda', region: regionOfUrl(call.url) ?? call.region, credentials: call.credentials, sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    },
    { signingDate: (call.now ?? (() => new Date()))() },
  );
  let response: { status: number; text: string };
  try {
    response = await send(url, signed.headers, body);
  } catch (err) {
    throw new CliError(`cannot reach the runbook's endpoint ${call.url}: ${err instanceof Error ? err.message : String(err)}`, EXIT.aws, 'EndpointUnreachable');
  }
  const { text } = response;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    parsed = { message: text };
  }
  const record = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { message: text };
  return { status: response.status, body: record };
}

/** POST with exactly the headers signed (the Host header included, which fetch would not let us set). */
function send(url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 30 s')));
    request.on('error', reject);
    request.end(body);
  });
}

/** Refusals the endpoint itself gives (its error names), and what they mean for the exit code. */
const REFUSALS: Readonly<Record<string, number>> = {
  ApproverNotAllowed: EXIT.notSucceeded,
  SelfApprovalRefused: EXIT.notSucceeded,
  NotWaitingForApproval: EXIT.notSucceeded,
  InvalidEndpointRequest: EXIT.usage,
  ExecutionDoesNotExist: EXIT.aws,
  ExecutionAlreadyExists: EXIT.aws,
};

/**
 * A non-200 answer as the operator's error. The endpoint's own refusals carry `error` and
 * `message`; a function URL that refuses the request before the function runs answers 403 with
 * `Message` (unsigned, not allowed) or `message` (a bad signature), as Lambda writes them.
 */
export function endpointError(answer: EndpointAnswer): CliError {
  const error = typeof answer.body.error === 'string' ? answer.body.error : undefined;
  const message = String(answer.body.message ?? answer.body.Message ?? `HTTP ${answer.status}`);
  if (error && error in REFUSALS) return new CliError(`refused by the runbook's endpoint (${error}): ${message}`, REFUSALS[error] as number, error);
  if (answer.status === 403) {
    return new CliError(
      `AWS refused the signed request to the runbook's endpoint (403: ${message}): your identity needs lambda:InvokeFunctionUrl and lambda:InvokeFunction on the endpoint's function, and valid credentials`,
      EXIT.aws,
      'EndpointForbidden',
    );
  }
  return new CliError(`the runbook's endpoint failed (HTTP ${answer.status}): ${message}`, EXIT.aws, 'EndpointFailed');
}
