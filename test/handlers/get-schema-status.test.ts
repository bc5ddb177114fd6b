import { handler } from '../../handlers/get-schema-status';
import { expectNamedError, invoke, startStub, type StubRoute, type Target } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

const ROUTE = 'GET /db_schema_status';
const TIMEOUT_MS = 250;
/** How the transport names the request in its messages. */
const SENT = /GET http:\/\/127\.0\.0\.1:\d+\/db_schema_status: /;
const KNOWN = ['20200603104139', '20201002000616', '20211202100726', '20220503175500'];
/** The documented example: one migration left to apply. */
const BEHIND = {
  is_up_to_date: false,
  current_version: '20211202100726',
  migration_in_progress: false,
  db_schema_versions: KNOWN,
  unapplied_migrations: ['20220503175500'],
};
const KEYS = Object.keys(BEHIND) as (keyof typeof BEHIND)[];

const answer = (route: StubRoute): Target => ({ routes: { [ROUTE]: route } });
const status = (overrides: Record<string, unknown>): Target => answer({ status: 200, body: { ...BEHIND, ...overrides } });
const without = (key: string): Target => answer({ status: 200, body: Object.fromEntries(Object.entries(BEHIND).filter(([k]) => k !== key)) });

describe('get-schema-status handler (GET /db_schema_status on 8082)', () => {
  it.each([
    {
      case: 'a database one migration behind',
      body: BEHIND,
      expected: { isUpToDate: false, currentVersion: '20211202100726', unappliedMigrations: ['20220503175500'], knownVersions: KNOWN, migrationInProgressFlag: false },
    },
    {
      case: 'an up-to-date database, reporting the in-progress flag as it came',
      body: { ...BEHIND, is_up_to_date: true, current_version: '20220503175500', migration_in_progress: true, unapplied_migrations: [] },
      expected: { isUpToDate: true, currentVersion: '20220503175500', unappliedMigrations: [], knownVersions: KNOWN, migrationInProgressFlag: true },
    },
    ...['0', '1'].map((oldest) => ({
      case: `the oldest schema, current_version "${oldest}", though it is not listed`,
      body: { ...BEHIND, current_version: oldest, unapplied_migrations: KNOWN },
      expected: { isUpToDate: false, currentVersion: oldest, unappliedMigrations: KNOWN, knownVersions: KNOWN, migrationInProgressFlag: false },
    })),
  ])('returns the parsed status for $case', async ({ body, expected }) => {
    const outcome = await invoke(handler, answer({ status: 200, body }), TIMEOUT_MS);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual(expected);
    expect(outcome.requests).toEqual([ROUTE]);
  });

  it('strips trailing slashes from baseUrl before adding the path', async () => {
    const stub = await startStub({ [ROUTE]: { status: 200, body: BEHIND } });
    try {
      await expect(handler({ baseUrl: `${stub.baseUrl}//`, timeoutMs: TIMEOUT_MS })).resolves.toMatchObject({ currentVersion: '20211202100726' });
      expect(stub.requests).toEqual([ROUTE]);
    } finally {
      await stub.close();
    }
  });

  type Row = [name: string, when: string, target: Target, parts: (string | RegExp)[]];
  const serverError = (detail: unknown): Target => answer({ status: 500, body: detail });
  it.each<Row>([
    ['DatabaseConnectionMisconfigured', 'a 500 detail is an SSL error', serverError({ detail: `OperationalError('SSL SYSCALL error: EOF detected')` }), ['SSL SYSCALL error: EOF detected', 'MF_METADATA_DB_SSL_MODE']],
    [
      'DatabaseConnectionMisconfigured',
      'a 500 detail is the RDS refusal of an unencrypted connection (PostgreSQL 15 forces SSL)',
      serverError({ detail: `OperationalError('FATAL:  no pg_hba.conf entry for host "10.0.1.23", user "metaflow", database "metaflow", no encryption')` }),
      ['no pg_hba.conf entry for host "10.0.1.23"', 'MF_METADATA_DB_SSL_MODE'],
    ],
    ['DatabaseConnectionMisconfigured', 'a 500 detail says the password was refused', serverError({ detail: `OperationalError('FATAL:  password authentication failed for user "metaflow"')` }), ['password authentication failed', 'MF_METADATA_DB_']],
    ['DatabaseConnectionMisconfigured', 'a 500 detail says the database does not exist', serverError({ detail: `OperationalError('FATAL:  database "metaflow" does not exist')` }), ['database "metaflow" does not exist']],
    // What the real service answered with its database stopped (facts: "Observed on the real service").
    [
      'DatabaseUnavailable',
      'a 500 detail says goose could not connect (the database is stopped or rebooting)',
      serverError({ detail: "Exception('unable to get db version via goose: ...Connection refused...')" }),
      ['Connection refused', 'cannot reach the database right now'],
    ],
    ['DatabaseUnavailable', 'a 500 detail says the database is starting up', serverError({ detail: `OperationalError('FATAL:  the database system is starting up')` }), ['starting up']],
    ['DatabaseUnavailable', 'a 500 detail says the connection timed out', serverError({ detail: `OperationalError('connection to server at "10.0.1.9", port 5432 failed: timeout expired')` }), ['timeout expired']],
    ['MigrationServiceError', 'a 500 detail is any other exception', serverError({ detail: `UndefinedTable('relation "goose_db_version" does not exist')` }), ['answered 500', 'relation "goose_db_version" does not exist']],
    ['MigrationServiceError', 'a 500 body is not JSON', serverError('500 Internal Server Error\n\nServer got itself in trouble'), ['answered 500', 'Server got itself in trouble']],
    // MF_MIGRATION_ENDPOINTS_ENABLED=0 removes only /upgrade: a 404 on the status route is a wrong URL.
    ['UnexpectedResponse', 'the route answers 404', answer({ status: 404, body: '404: Not Found' }), ['GET /db_schema_status answered 404', 'does not lead to a Metaflow migration service']],
    ['UnexpectedResponse', 'the status is neither 200, 404 nor 500', answer({ status: 502, body: 'Bad Gateway' }), ['answered 502', '"Bad Gateway"']],
    ['UnexpectedResponse', 'a 200 body is not JSON', answer({ status: 200, body: '<html>maintenance</html>' }), ['non-JSON', '<html>maintenance</html>']],
    ['UnexpectedResponse', 'a 200 body is a JSON list', answer({ status: 200, body: [BEHIND] }), ['body is not an object']],
    ...KEYS.map((key): Row => ['UnexpectedResponse', `${key} is missing`, without(key), [`${key} is not`]]),
    ...(
      [
        ['is_up_to_date', 'false', 'is_up_to_date is not a boolean'],
        ['current_version', 20211202100726, 'current_version is not a string'],
        ['migration_in_progress', 'False', 'migration_in_progress is not a boolean'],
        ['db_schema_versions', [20200603104139], 'db_schema_versions is not a list of strings'],
        ['unapplied_migrations', null, 'unapplied_migrations is not a list of strings'],
      ] as const
    ).map(([key, value, part]): Row => ['UnexpectedResponse', `${key} is ${JSON.stringify(value)}`, status({ [key]: value }), [part]]),
    [
      'SchemaVersionUnknown',
      'current_version is newer than every version the image knows',
      status({ current_version: '20230118020300', unapplied_migrations: KNOWN }),
      ['database schema 20230118020300 is not among the 4 versions', 'newest 20220503175500'],
    ],
    ['UnexpectedResponse', 'is_up_to_date is true while migrations are unapplied', status({ is_up_to_date: true }), ['is_up_to_date is true but 1 migrations are listed as unapplied']],
    ['UnexpectedResponse', 'is_up_to_date is false while nothing is unapplied', status({ unapplied_migrations: [] }), ['is_up_to_date is false but 0 migrations']],
    ['MigrationServiceBusy', 'the answer comes later than timeoutMs', answer({ status: 200, body: BEHIND, delayMs: 2_000 }), [SENT, `no answer within ${TIMEOUT_MS} ms`]],
    ['MigrationServiceUnavailable', 'the connection resets after the request', answer({ destroy: true }), [SENT, 'ECONNRESET']],
  ])('throws %s when %s', async (name, _when, target, parts) => {
    const outcome = await invoke(handler, target, TIMEOUT_MS);
    expectNamedError(outcome.error, name, parts);
    expect(outcome.requests).toEqual([ROUTE]);
  });

  it('throws MigrationServiceUnavailable when nothing listens (connection refused)', async () => {
    const outcome = await invoke(handler, { refused: true }, TIMEOUT_MS);
    expectNamedError(outcome.error, 'MigrationServiceUnavailable', [SENT, 'ECONNREFUSED']);
  });
});
