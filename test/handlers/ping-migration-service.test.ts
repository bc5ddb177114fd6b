import { handler } from '../../handlers/ping-migration-service';
import { expectNamedError, invoke, type Target } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

const ROUTE = 'GET /ping';
const TIMEOUT_MS = 200;
const SENT = /GET http:\/\/127\.0\.0\.1:\d+\/ping: /;

describe('ping-migration-service handler (GET /ping on 8082)', () => {
  it.each(['pong', 'pong\n'])('returns {answering: true} when GET /ping answers 200 %j', async (body) => {
    const outcome = await invoke(handler, { routes: { [ROUTE]: { status: 200, body } } }, TIMEOUT_MS);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({ answering: true });
    expect(outcome.requests).toEqual([ROUTE]);
  });

  it.each<{ name: string; when: string; target: Target; parts: (string | RegExp)[]; requests: string[] }>([
    { name: 'MigrationServiceUnavailable', when: 'nothing listens (connection refused)', target: { refused: true }, parts: [SENT, 'ECONNREFUSED'], requests: [] },
    { name: 'MigrationServiceUnavailable', when: 'the connection resets', target: { routes: { [ROUTE]: { destroy: true } } }, parts: [SENT, 'ECONNRESET'], requests: [ROUTE] },
    { name: 'MigrationServiceBusy', when: 'it accepts but never answers', target: { routes: { [ROUTE]: { hang: true } } }, parts: [SENT, `no answer within ${TIMEOUT_MS} ms`], requests: [ROUTE] },
    {
      name: 'UnexpectedResponse',
      when: 'it answers 200 with other text',
      target: { routes: { [ROUTE]: { status: 200, body: 'metadata service' } } },
      parts: ['GET /ping answered 200 "metadata service"; expected 200 pong'],
      requests: [ROUTE],
    },
    {
      name: 'UnexpectedResponse',
      when: 'it answers pong with a non-200 status',
      target: { routes: { [ROUTE]: { status: 503, body: 'pong' } } },
      parts: ['GET /ping answered 503 "pong"'],
      requests: [ROUTE],
    },
  ])('throws $name when $when', async ({ name, target, parts, requests }) => {
    const outcome = await invoke(handler, target, TIMEOUT_MS);
    expectNamedError(outcome.error, name, parts);
    expect(outcome.requests).toEqual(requests);
  });
});
