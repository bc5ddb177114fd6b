import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Credentials the simulated IAM knows, by access key id. */
export interface KnownCredential {
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** The ARN the request is attributed to, and the request context's other identity fields. */
  readonly userArn: string;
  readonly userId: string;
  readonly accountId: string;
}

/** What the URL serves: one function, and who may call it. */
export interface FunctionUrlTarget {
  readonly region: string;
  /** The account that owns the function (requestContext.accountId). */
  readonly accountId: string;
  credential(accessKeyId: string): KnownCredential | undefined;
  /** Whether IAM allows the caller lambda:InvokeFunctionUrl and lambda:InvokeFunction on the function. */
  authorize(credential: KnownCredential): Promise<boolean>;
  /** The function, with a payload format 2.0 event; its answer is `{ statusCode, headers, body }`. */
  invoke(event: Record<string, unknown>): Promise<unknown>;
}

export interface UrlRefusal {
  readonly status: number;
  readonly errorType: string;
  readonly body: Record<string, string>;
}

/**
 * How a function URL with AuthType AWS_IAM refuses a request before the function runs. A request
 * without a signature, or from a principal IAM does not allow, gets 403 with `{"Message":
 * "Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}`
 * (seen in https://github.com/brikis98/devops-book/pull/12 and https://github.com/ant-media/Ant-Media-Server/issues/7827;
 * older URLs answered `{"Message":"Forbidden"}`, https://github.com/awslabs/aws-sdk-rust/issues/515).
 * A bad signature gets 403 with SigV4's own message (https://github.com/RJPearson94/terraform-aws-open-next/pull/48),
 * typed InvalidSignatureException as Lambda types it (https://github.com/erlcloud/erlcloud/issues/690).
 * An unknown or mismatched security token is inferred to answer as the other AWS JSON APIs do
 * (UnrecognizedClientException, "The security token included in the request is invalid.").
 */
const FORBIDDEN: UrlRefusal = {
  status: 403,
  errorType: 'AccessDeniedException',
  body: { Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html' },
};
const badSignature = (message: string): UrlRefusal => ({ status: 403, errorType: 'InvalidSignatureException', body: { message } });
const SIGNATURE_MISMATCH = badSignature(
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
);
const UNKNOWN_TOKEN: UrlRefusal = { status: 403, errorType: 'UnrecognizedClientException', body: { message: 'The security token included in the request is invalid.' } };
/** SigV4 requests are refused when their time is more than five minutes from the service's (inferred for Lambda from the other AWS APIs). */
const MAX_SKEW_MS = 5 * 60 * 1000;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 canonicalizes a path segment or a query component. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The signature SigV4 prescribes for the request as received
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * the canonical request (method, URI-encoded path, sorted query, the signed headers lower-cased
 * with trimmed values, the hex SHA-256 of the body as received), the string to sign, and the key derived from
 * the secret, the date, the region and the service. Written here apart from the SDK's signer, so the
 * CLI's signing is checked by another implementation, as AWS checks it.
 */
export function expectedSignature(
  request: { method: string; path: string; query: string; headers: Record<string, string | string[] | undefined>; body: Buffer },
  signedHeaders: readonly string[],
  scope: { date: string; region: string; service: string },
  amzDate: string,
  secretAccessKey: string,
): string {
  // For services other than S3 each path segment is encoded twice: once as sent, once more here.
  const path = request.path.split('/').map((segment) => encode(segment)).join('/') || '/';
  const query = request.query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => p.split('=').map((x) => encode(decodeURIComponent(x.replace(/\+/g, ' ')))))
    .sort(([a = '', b = ''], [c = '', d = '']) => (a === c ? b.localeCompare(d) : a < c ? -1 : 1))
    .map(([k = '', v = '']) => `${k}=${v}`)
    .join('&');
  const header = (name: string) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonicalRequest = [
    request.method,
    path,
    query,
    ...signedHeaders.map((h) => `${h}:${header(h)}`),
    '',
    signedHeaders.join(';'),
    // The body as received, never the x-amz-content-sha256 header's word for it: a body changed
    // after signing must not verify.
    sha256(request.body),
  ].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256(canonicalRequest)].join('\n');
  const key = ['aws4_request'].reduce((k, part) => hmac(k, part), hmac(hmac(hmac(`AWS4${secretAccessKey}`, scope.date), scope.region), scope.service));
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/** `20261124T150301Z` as a time; NaN when malformed. */
function amzTime(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : Number.NaN;
}

/**
 * Authenticates a request as a function URL with AuthType AWS_IAM does: a SigV4 signature for the
 * service `lambda` in the function's region, by known credentials (with their session token), made
 * within five minutes of now, over the request as received; then IAM authorizes the principal.
 */
export async function authenticate(
  request: { method: string; path: string; query: string; headers: Record<string, string | string[] | undefined>; body: Buffer },
  target: FunctionUrlTarget,
  now: number,
): Promise<{ credential: KnownCredential; accessKeyId: string } | UrlRefusal> {
  const authorization = request.headers.authorization;
  if (typeof authorization !== 'string' || authorization === '') return FORBIDDEN;
  const m = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([\w-]+)\/([\w-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!m) return badSignature("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters of an AWS4-HMAC-SHA256 signature.");
  const [, accessKeyId, date, region, service, signedList, signature] = m as unknown as [string, string, string, string, string, string, string];
  const credential = target.credential(accessKeyId);
  if (!credential) return UNKNOWN_TOKEN;
  if (service !== 'lambda') return badSignature(`Credential should be scoped to correct service: 'lambda'.`);
  if (region !== target.region) return badSignature(`Credential should be scoped to a valid region, not '${region}'.`);
  const signedHeaders = signedList.split(';');
  const amzDate = typeof request.headers['x-amz-date'] === 'string' ? request.headers['x-amz-date'] : '';
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date') || amzDate === '') {
    return badSignature("The request must sign the 'host' and 'x-amz-date' headers.");
  }
  const at = amzTime(amzDate);
  if (Number.isNaN(at) || !amzDate.startsWith(date)) return badSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}'`);
  if (Math.abs(at - now) > MAX_SKEW_MS) return badSignature(`Signature expired: ${amzDate} is not within 5 minutes of the current time ${new Date(now).toISOString()}.`);
  const token = request.headers['x-amz-security-token'];
  if (credential.sessionToken !== undefined && (token !== credential.sessionToken || !signedHeaders.includes('x-amz-security-token'))) return UNKNOWN_TOKEN;
  const expected = expectedSignature(request, signedHeaders, { date, region, service }, amzDate, credential.secretAccessKey);
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) return SIGNATURE_MISMATCH;
  if (!(await target.authorize(credential))) return FORBIDDEN;
  return { credential, accessKeyId };
}

/**
 * A Lambda function URL on loopback: a real HTTP server that authenticates every request as AWS_IAM
 * auth does, and hands the function the event Lambda builds (payload format 2.0, the caller in
 * `requestContext.authorizer.iam`: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
 * The function's `{ statusCode, headers, body }` is the HTTP answer; a function that throws is
 * answered 502 (inferred, as a function URL reports a function error).
 */
export class FunctionUrlServer {
  target: FunctionUrlTarget | undefined;
  /** Requests served, with how they were answered. */
  readonly served: { path: string; status: number; caller?: string }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly clock: () => number,
  ) {}

  /** Listens on `host` (one of this process's loopback addresses) on a free port. */
  static async start(host: string, clock: () => number = () => Date.now()): Promise<FunctionUrlServer> {
    const holder: { self?: FunctionUrlServer } = {};
    const server = createServer((req, res) => void holder.self?.serve(req, res));
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    holder.self = new FunctionUrlServer(server, `http://${host}:${port}/`, clock);
    return holder.self;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const reply = (status: number, headers: Record<string, string>, text: string, caller?: string) => {
      this.served.push({ path, status, ...(caller ? { caller } : {}) });
      res.writeHead(status, { ...headers, 'x-amzn-requestid': randomUUID(), connection: 'close' }).end(text);
    };
    const target = this.target;
    if (!target) return reply(503, { 'content-type': 'application/json' }, JSON.stringify({ Message: 'no function is behind this URL now' }));
    const request = { method: req.method ?? 'GET', path, query, headers: req.headers, body };
    const now = this.clock();
    const authenticated = await authenticate(request, target, now);
    if ('status' in authenticated) {
      return reply(authenticated.status, { 'content-type': 'application/json', 'x-amzn-errortype': authenticated.errorType }, JSON.stringify(authenticated.body));
    }
    const { credential, accessKeyId } = authenticated;
    const domainPrefix = 'rehearsal0endpoint0url0id0000000';
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: query,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])),
      requestContext: {
        accountId: target.accountId,
        apiId: domainPrefix,
        authorizer: {
          iam: { accessKey: accessKeyId, accountId: credential.accountId, callerId: credential.userId, cognitoIdentity: null, principalOrgId: null, userArn: credential.userArn, userId: credential.userId },
        },
        domainName: `${domainPrefix}.lambda-url.${target.region}.on.aws`,
        domainPrefix,
        http: { method: request.method, path, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: String(req.headers['user-agent'] ?? '') },
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      body: body.toString('utf8'),
      isBase64Encoded: false,
    };
    let answer: { statusCode?: number; headers?: Record<string, string>; body?: string };
    try {
      answer = (await target.invoke(event)) as typeof answer;
    } catch {
      return reply(502, { 'content-type': 'application/json' }, JSON.stringify({ Message: 'Internal Server Error' }), credential.userArn);
    }
    return reply(answer.statusCode ?? 200, answer.headers ?? {}, answer.body ?? '', credential.userArn);
  }
}
