import { handler } from '../../handlers/upgrade-schema';
import { expectNamedError, invoke, type StubRoute, type Target } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

const ROUTE = 'PATCH /upgrade';
const TIMEOUT_MS = 250;
const SENT = /PATCH http:\/\/127\.0\.0\.1:\d+\/upgrade: /;
const answer = (route: StubRoute): Target => ({ routes: { [ROUTE]: route } });

describe('upgrade-schema handler (the one PATCH /upgrade on 8082)', () => {
  it.each([
    { case: 'upgrade success', body: 'upgrade success' },
    { case: 'upgrade success with a trailing newline', body: 'upgrade success\n' },
  ])('returns {result} when PATCH /upgrade answers 200 $case', async ({ body }) => {
    const outcome = await invoke(handler, answer({ status: 200, body }), TIMEOUT_MS);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({ result: 'upgrade success' });
    expect(outcome.requests).toEqual([ROUTE]);
  });

  // Every failure below must leave exactly one PATCH on the wire: goose has no lock, a retry could
  // apply migrations twice, and no GET may be slipped in by the handler either.
  it.each<{ name: string; when: string; route: StubRoute; parts: (string | RegExp)[] }>([
    { name: 'UpgradeFailed', when: 'PATCH /upgrade answers 500 upgrade failed', route: { status: 500, body: 'upgrade failed' }, parts: ['PATCH /upgrade answered 500 "upgrade failed"'] },
    {
      name: 'UpgradeOutcomeUnknown',
      when: 'PATCH /upgrade does not answer within the timeout',
      route: { hang: true },
      parts: [SENT, `no answer within ${TIMEOUT_MS} ms`, 'goose may still be running', 'polling /db_schema_status'],
    },
    {
      name: 'UpgradeOutcomeUnknown',
      when: 'PATCH /upgrade answers only after the timeout',
      route: { status: 200, body: 'upgrade success', delayMs: 2_000 },
      parts: [`no answer within ${TIMEOUT_MS} ms`],
    },
    {
      name: 'UpgradeOutcomeUnknown',
      when: 'the connection resets after the request was received',
      route: { destroy: true },
      parts: [SENT, 'ECONNRESET', 'goose may still be running'],
    },
    {
      name: 'MigrationEndpointsDisabled',
      when: 'PATCH /upgrade answers 404',
      route: { status: 404, body: '404: Not Found' },
      parts: ['PATCH /upgrade answered 404', 'MF_MIGRATION_ENDPOINTS_ENABLED=0'],
    },
    {
      name: 'UnexpectedResponse',
      when: 'PATCH /upgrade answers 200 with another body',
      route: { status: 200, body: 'upgrade failed' },
      parts: ['PATCH /upgrade answered 200 "upgrade failed"', 'expected 200 upgrade success'],
    },
    { name: 'UnexpectedResponse', when: 'PATCH /upgrade answers 502', route: { status: 502, body: 'Bad Gateway' }, parts: ['answered 502 "Bad Gateway"'] },
  ])('throws $name when $when', async ({ name, route, parts }) => {
    const outcome = await invoke(handler, answer(route), TIMEOUT_MS);
    expectNamedError(outcome.error, name, parts);
    expect(outcome.requests).toEqual([ROUTE]);
  });

  it('throws MigrationServiceUnavailable when nothing listens (the request was never delivered)', async () => {
    const outcome = await invoke(handler, { refused: true }, TIMEOUT_MS);
    expectNamedError(outcome.error, 'MigrationServiceUnavailable', ['PATCH /upgrade was not delivered', SENT, 'ECONNREFUSED']);
  });
});
