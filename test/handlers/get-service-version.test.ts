import { handler } from '../../handlers/get-service-version';
import { expectNamedError, invoke, type StubRoute, type Target } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

const ROUTE = 'GET /version';
const TIMEOUT_MS = 200;
const answer = (route: StubRoute): Target => ({ routes: { [ROUTE]: route } });
const version = (body: string): Target => answer({ status: 200, body });

describe('get-service-version handler (GET /version on 8080)', () => {
  it.each([
    { case: '2.5.1 meets the minimum 2.0.2', body: '2.5.1', minimumVersion: '2.0.2', expected: { version: '2.5.1', minimumVersion: '2.0.2' } },
    { case: '2.10.0 meets 2.9.1 (compared as numbers, not strings)', body: '2.10.0', minimumVersion: '2.9.1', expected: { version: '2.10.0', minimumVersion: '2.9.1' } },
    { case: 'exactly the minimum 2.0.2 is enough', body: '2.0.2', minimumVersion: '2.0.2', expected: { version: '2.0.2', minimumVersion: '2.0.2' } },
    { case: 'a quoted answer with a newline is unwrapped', body: '"2.5.1"\n', minimumVersion: '2', expected: { version: '2.5.1', minimumVersion: '2' } },
    { case: 'without a minimum the version is only recorded', body: '1.0.0', minimumVersion: undefined, expected: { version: '1.0.0', minimumVersion: null } },
  ])('returns the version when $case', async ({ body, minimumVersion, expected }) => {
    const outcome = await invoke(handler, version(body), TIMEOUT_MS, { minimumVersion });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual(expected);
    expect(outcome.requests).toEqual([ROUTE]);
  });

  it.each<{ name: string; when: string; target: Target; minimumVersion?: string; parts: (string | RegExp)[]; requests: string[] }>([
    { name: 'VersionTooOld', when: '2.0.1 is below the minimum 2.0.2', target: version('2.0.1'), minimumVersion: '2.0.2', parts: ['runs 2.0.1, below the required 2.0.2'], requests: [ROUTE] },
    { name: 'VersionTooOld', when: '2.9.1 is below 2.10.0 (a string compare says otherwise)', target: version('2.9.1'), minimumVersion: '2.10.0', parts: ['runs 2.9.1, below the required 2.10.0'], requests: [ROUTE] },
    { name: 'UnexpectedResponse', when: 'the answer is not a version', target: version('latest'), minimumVersion: '2.0.2', parts: ['"latest", which is not a version'], requests: [ROUTE] },
    { name: 'MetadataServiceUnavailable', when: 'nothing listens (connection refused)', target: { refused: true }, minimumVersion: '2.0.2', parts: [/GET http:\/\/127\.0\.0\.1:\d+\/version: ECONNREFUSED/], requests: [] },
    { name: 'MetadataServiceUnavailable', when: 'it answers 503', target: answer({ status: 503, body: 'Service Unavailable' }), minimumVersion: '2.0.2', parts: ['GET /version answered 503 "Service Unavailable"'], requests: [ROUTE] },
    { name: 'MetadataServiceUnavailable', when: 'it never answers', target: answer({ hang: true }), minimumVersion: '2.0.2', parts: [`no answer within ${TIMEOUT_MS} ms`], requests: [ROUTE] },
  ])('throws $name when $when', async ({ name, target, minimumVersion, parts, requests }) => {
    const outcome = await invoke(handler, target, TIMEOUT_MS, { minimumVersion });
    expectNamedError(outcome.error, name, parts);
    expect(outcome.requests).toEqual(requests);
  });
});
