import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { callEndpoint } from '../../cli/endpoint';
import { FunctionUrlServer, type FunctionUrlTarget } from '../../rehearsal/sim/function-url';

const BOB = 'arn:aws:iam::123456789012:user/bob';
const SAM = 'arn:aws:sts::123456789012:assumed-role/Approvers/sam';
const KEYS = {
  AKIABOB0000000000001: { secretAccessKey: 'bob-secret', userArn: BOB, userId: 'AIDABOB', accountId: '123456789012' },
  ASIASAM0000000000001: { secretAccessKey: 'sam-secret', sessionToken: 'sam-session', userArn: SAM, userId: 'AROAAPPROVERS:sam', accountId: '123456789012' },
  AKIANOPERMISSION0001: { secretAccessKey: 'x-secret', userArn: 'arn:aws:iam::123456789012:user/x', userId: 'AIDAX', accountId: '123456789012' },
} as const;
const bob = { accessKeyId: 'AKIABOB0000000000001', secretAccessKey: 'bob-secret' };

let server: FunctionUrlServer;
const events: Record<string, unknown>[] = [];
beforeAll(async () => {
  server = await FunctionUrlServer.start('127.0.0.1');
  const target: FunctionUrlTarget = {
    region: 'eu-west-1',
    accountId: '123456789012',
    credential: (key) => KEYS[key as keyof typeof KEYS],
    // IAM allows everyone here but x.
    authorize: async (c) => c.userArn !== KEYS.AKIANOPERMISSION0001.userArn,
    invoke: async (event) => {
      events.push(event);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true }) };
    },
  };
  server.target = target;
});
afterAll(() => server.close());
beforeEach(() => {
  events.length = 0;
});

/** A raw POST: the headers given, nothing added. */
function raw(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: Record<string, string>; errorType?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), errorType: res.headers['x-amzn-errortype'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Headers of a request to `path` with `body`, signed as the SDK signs them, optionally for another service, region or time. */
async function signed(path: string, body: string, credentials: Record<string, string>, opts: { service?: string; region?: string; at?: Date } = {}) {
  const url = new URL(path, server.url);
  const signer = new SignatureV4({ service: opts.service ?? 'lambda', region: opts.region ?? 'eu-west-1', credentials: credentials as never, sha256: Sha256 });
  const req = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host, 'content-type': 'application/json' }, body },
    { signingDate: opts.at ?? new Date() },
  );
  return req.headers;
}

const FORBIDDEN = { Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html' };

describe('a function URL with AuthType AWS_IAM, on loopback', () => {
  it("passes a request the operator's CLI signed to the function, with the caller in the request context (payload format 2.0)", async () => {
    const answer = await callEndpoint({ url: server.url, path: '/approve', body: { executionArn: 'e' }, credentials: bob, region: 'eu-west-1' });

    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(events[0]).toMatchObject({
      version: '2.0',
      rawPath: '/approve',
      body: '{"executionArn":"e"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/approve' }, authorizer: { iam: { userArn: BOB, accessKey: bob.accessKeyId, accountId: '123456789012', userId: 'AIDABOB' } } },
    });
  });

  it('takes temporary credentials with their session token, and refuses them without it', async () => {
    const sam = { accessKeyId: 'ASIASAM0000000000001', secretAccessKey: 'sam-secret', sessionToken: 'sam-session' };

    await expect(callEndpoint({ url: server.url, path: '/approve', body: {}, credentials: sam, region: 'eu-west-1' })).resolves.toMatchObject({ status: 200 });
    const withoutToken = await callEndpoint({ url: server.url, path: '/approve', body: {}, credentials: { ...sam, sessionToken: undefined }, region: 'eu-west-1' });
    expect(withoutToken).toEqual({ status: 403, body: { message: 'The security token included in the request is invalid.' } });
  });

  it('refuses an unsigned request as Lambda does: 403 Forbidden, the function never runs', async () => {
    const answer = await raw('/approve', { 'content-type': 'application/json' }, '{}');

    expect(answer).toEqual({ status: 403, body: FORBIDDEN, errorType: 'AccessDeniedException' });
    expect(events).toEqual([]);
  });

  it.each([
    ['signed with another secret', async (body: string) => signed('/approve', body, { ...bob, secretAccessKey: 'guessed' }), 'The request signature we calculated does not match'],
    ['with its body changed after signing', async () => signed('/approve', '{"comment":"ok"}', bob), 'The request signature we calculated does not match'],
    ['signed for another service', async (body: string) => signed('/approve', body, bob, { service: 'execute-api' }), "Credential should be scoped to correct service: 'lambda'."],
    ['signed for another region', async (body: string) => signed('/approve', body, bob, { region: 'us-east-1' }), "Credential should be scoped to a valid region, not 'us-east-1'."],
    ['signed 20 minutes ago', async (body: string) => signed('/approve', body, bob, { at: new Date(Date.now() - 20 * 60_000) }), 'Signature expired'],
    ['signed for another path', async (body: string) => signed('/reject', body, bob), 'The request signature we calculated does not match'],
  ])('refuses a request %s: 403, InvalidSignatureException, the function never runs', async (_what, sign, message) => {
    const body = '{"comment":"ok, and drop the table"}';
    const headers = await sign(body);

    const answer = await raw('/approve', headers, body);

    expect({ status: answer.status, errorType: answer.errorType }).toEqual({ status: 403, errorType: 'InvalidSignatureException' });
    expect(answer.body.message).toContain(message);
    expect(events).toEqual([]);
  });

  it('refuses credentials it does not know, and a known caller IAM does not allow to invoke the URL', async () => {
    const unknown = await callEndpoint({ url: server.url, path: '/approve', body: {}, credentials: { accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: 's' }, region: 'eu-west-1' });
    const denied = await callEndpoint({ url: server.url, path: '/approve', body: {}, credentials: { accessKeyId: 'AKIANOPERMISSION0001', secretAccessKey: 'x-secret' }, region: 'eu-west-1' });

    expect(unknown).toEqual({ status: 403, body: { message: 'The security token included in the request is invalid.' } });
    expect(denied).toEqual({ status: 403, body: FORBIDDEN });
    expect(events).toEqual([]);
  });
});
