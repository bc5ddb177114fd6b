import {
  getSchemaStatus,
  judgeSchemaStatus,
  parseSchemaStatus,
  type Send,
  snippet,
  upgradeSchema,
} from '../../handlers/logic/migration-service';
import { DatabaseConnectionMisconfigured, PlanChanged, SchemaVersionUnknown, UnexpectedResponse, UpgradeFailed } from '../../handlers/lib/errors';

const answer = (status: number, body: string): Send => async () => ({ status, body });
const req = { baseUrl: 'http://task:8082', timeoutMs: 1000 };
const STATUS = { is_up_to_date: true, current_version: '2', migration_in_progress: false, db_schema_versions: ['1', '2'], unapplied_migrations: [] };

describe('the migration service contract, decided without a socket', () => {
  it.each([
    [500, 'upgrade success', UpgradeFailed],
    [201, 'upgrade success', UnexpectedResponse],
  ])('counts PATCH /upgrade as done only on 200 "upgrade success" (%d %j is not)', async (status, body, error) => {
    await expect(upgradeSchema(req, answer(status, body))).rejects.toThrow(error);
  });

  it.each(['[]', 'null', '"ok"', '7'])('refuses a status body %s that is not an object, saying so', (body) => {
    expect(() => parseSchemaStatus(body)).toThrow('GET /db_schema_status: body is not an object');
  });

  it('lists every problem of a status body at once', () => {
    expect(() => parseSchemaStatus('{}')).toThrow(
      'GET /db_schema_status: is_up_to_date is not a boolean; current_version is not a string; migration_in_progress is not a boolean; ' +
        'db_schema_versions is not a list of strings; unapplied_migrations is not a list of strings',
    );
  });

  it('names the newest version the image knows, or none', () => {
    const status = { isUpToDate: true, currentVersion: '5', unappliedMigrations: [], knownVersions: [], migrationInProgressFlag: false };

    expect(() => judgeSchemaStatus(status)).toThrow(SchemaVersionUnknown);
    expect(() => judgeSchemaStatus(status)).toThrow('(newest none)');
  });

  it.each([
    ['  boom \n', 'answered 500: boom'],
    ['{"detail": 5}', 'answered 500: {"detail": 5}'],
    ['{"detail": "relation missing"}', 'answered 500: relation missing'],
  ])('reports a 500 status answer %j by its detail', async (body, message) => {
    await expect(getSchemaStatus(req, answer(500, body))).rejects.toThrow(message);
  });

  it('reads a healthy status', async () => {
    await expect(getSchemaStatus(req, answer(200, JSON.stringify(STATUS)))).resolves.toMatchObject({ isUpToDate: true, currentVersion: '2' });
  });

  it.each([
    [' x ', '"x"'],
    ['a'.repeat(200), JSON.stringify('a'.repeat(200))],
    ['a'.repeat(201), JSON.stringify(`${'a'.repeat(200)}…`)],
  ])('quotes at most 200 characters of a body in a message', (body, quoted) => {
    expect(snippet(body)).toBe(quoted);
  });

  it('reads the status the approved plan expects, and refuses any other list of pending migrations', async () => {
    const pending = { ...STATUS, is_up_to_date: false, current_version: '1', unapplied_migrations: ['2'] };
    const send = answer(200, JSON.stringify(pending));

    await expect(getSchemaStatus({ ...req, expectedUnapplied: ['2'] }, send)).resolves.toMatchObject({ unappliedMigrations: ['2'] });
    await expect(getSchemaStatus({ ...req, expectedUnapplied: [] }, send)).rejects.toThrow(PlanChanged);
    await expect(getSchemaStatus({ ...req, expectedUnapplied: [] }, send)).rejects.toThrow('lists ["2"] as pending, the approved plan []');
  });

  it.each(['pq: role "metaflow" does not exist', 'pq: database "metaflow" does not exist'])('calls a 500 saying %j a misconfiguration', async (detail) => {
    await expect(getSchemaStatus(req, answer(500, JSON.stringify({ detail })))).rejects.toThrow(DatabaseConnectionMisconfigured);
  });
});
