import { request } from 'node:http';
import { VirtualClock } from '../../rehearsal/clock';
import { SCHEMA_VERSIONS } from '../../rehearsal/images';
import { loopbackRange, taskAddress } from '../../rehearsal/sim/loopback';
import { type ContainerBehaviour, type ContainerLedger, MetaflowContainer } from '../../rehearsal/sim/metaflow-container';
import type { SimDatabase } from '../../rehearsal/sim/rds';

/**
 * The simulated container answers what the real v2.5.1 service answered in every state
 * (shared/facts/metaflow-migration-service.md, "Observed on the real service"): where the two
 * differ, the simulation is wrong.
 */
const IMAGE = 'netflixoss/metaflow_metadata_service:v2.5.1';
const NEWEST = SCHEMA_VERSIONS.at(-1) as string;
const TWO_BEHIND = '20211202100726';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function call(host: string, port: number, method: string, path: string, timeoutMs = 300): Promise<Answer | 'no answer'> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('no answer');
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? resolve('no answer') : reject(err)));
    req.end();
  });
}

let n = 60_000;
async function container(db: { schemaVersion: string } | null, behaviour: ContainerBehaviour = {}) {
  const host = taskAddress(await loopbackRange(), n++);
  const ledger: ContainerLedger = { patchRequests: 0, concurrentUpgrades: 0, maxConcurrentUpgrades: 0, killedDuringUpgrade: 0, migrationVersionRequests: 0 };
  const database: SimDatabase | null = db ? { schemaVersion: db.schemaVersion, rows: 10 } : null;
  let reachable = true;
  const c = await MetaflowContainer.start({
    host,
    migrationPort: 8082,
    servicePort: 8080,
    image: IMAGE,
    connect: () => (reachable ? database : null),
    clock: new VirtualClock(),
    behaviour,
    ledger,
    gooseBusyRequests: 1000,
    record: () => undefined,
    exited: () => undefined,
  });
  return {
    c,
    ledger,
    database,
    stopDatabase: () => {
      reachable = false;
    },
    migration: (method: string, path: string, timeoutMs?: number) => call(host, 8082, method, path, timeoutMs),
    metadata: (method: string, path: string) => call(host, 8080, method, path),
  };
}

const running: MetaflowContainer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
async function started(...args: Parameters<typeof container>) {
  const made = await container(...args);
  running.push(made.c);
  return made;
}

describe('the simulated Metaflow container answers as the real v2.5.1 service did', () => {
  it('knows the eight schema versions of the v2.5.1 image, 20210202145952 among them', () => {
    expect(SCHEMA_VERSIONS).toHaveLength(8);
    expect(SCHEMA_VERSIONS).toContain('20210202145952');
  });

  it.each([
    ['two migrations pending', TWO_BEHIND, { status: 200, body: TWO_BEHIND }],
    ['up to date', NEWEST, { status: 200, body: 'latest' }],
    ['a schema version unknown to the image', '29990101000000', { status: 500, body: '500 Internal Server Error\n\nServer got itself in trouble' }],
  ])('8082 GET /version with %s answers as the real service did', async (_case, version, expected) => {
    const { migration } = await started({ schemaVersion: version });

    expect(await migration('GET', '/version')).toMatchObject(expected);
  });

  it('8082 GET /version on an empty database runs every migration before answering, and is counted (the runbook must never call it)', async () => {
    const { migration, database, ledger } = await started({ schemaVersion: '0' });

    await migration('GET', '/version');

    expect(database?.schemaVersion).toBe(NEWEST);
    expect(ledger.migrationVersionRequests).toBe(1);
  });

  it.each([['0'], ['29990101000000']])('GET /db_schema_status at version %s lists all eight migrations, "1" included', async (version) => {
    const { migration } = await started({ schemaVersion: version });

    const answer = await migration('GET', '/db_schema_status');

    expect(answer).toMatchObject({ status: 200, headers: { 'content-type': expect.stringContaining('application/json') } });
    const body = JSON.parse((answer as Answer).body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['current_version', 'db_schema_versions', 'is_up_to_date', 'migration_in_progress', 'unapplied_migrations']);
    expect(body.unapplied_migrations).toEqual([...SCHEMA_VERSIONS]);
    expect(body.is_up_to_date).toBe(false);
  });

  it('GET /db_schema_status with the database stopped answers 500 with goose\'s "Connection refused" detail', async () => {
    const { migration, stopDatabase } = await started({ schemaVersion: TWO_BEHIND });
    stopDatabase();

    const answer = (await migration('GET', '/db_schema_status')) as Answer;

    expect(answer.status).toBe(500);
    expect((JSON.parse(answer.body) as { detail: string }).detail).toMatch(/unable to get db version via goose: .*connection refused/i);
  });

  it('PATCH /upgrade answers 200 "upgrade success" also when nothing is pending', async () => {
    const { migration } = await started({ schemaVersion: NEWEST });

    expect(await migration('PATCH', '/upgrade')).toMatchObject({ status: 200, body: 'upgrade success' });
  });

  it('PATCH /upgrade with the database stopped answers 500 "upgrade failed"', async () => {
    const { migration, stopDatabase } = await started({ schemaVersion: TWO_BEHIND });
    stopDatabase();

    expect(await migration('PATCH', '/upgrade')).toMatchObject({ status: 500, body: 'upgrade failed' });
  });

  it('with MF_MIGRATION_ENDPOINTS_ENABLED=0 only /upgrade answers 404; the status route still answers 200', async () => {
    const { migration } = await started({ schemaVersion: TWO_BEHIND }, { endpointsDisabled: true });

    expect(await migration('PATCH', '/upgrade')).toMatchObject({ status: 404, body: '404: Not Found' });
    expect(await migration('GET', '/db_schema_status')).toMatchObject({ status: 200 });
  });

  it.each([
    ['a wrong method', 'POST', '/db_schema_status', { status: 405, body: '405: Method Not Allowed', headers: { allow: 'GET' } }],
    ['GET on the upgrade route', 'GET', '/upgrade', { status: 405, headers: { allow: 'PATCH' } }],
    ['an unknown path', 'GET', '/nope', { status: 404, body: '404: Not Found' }],
  ])('8082 answers %s as aiohttp does', async (_case, method, path, expected) => {
    const { migration } = await started({ schemaVersion: TWO_BEHIND });

    expect(await migration(method, path)).toMatchObject(expected);
  });

  it('does not answer at all while goose runs, not even /ping', async () => {
    const { migration } = await started({ schemaVersion: TWO_BEHIND }, { upgrade: 'hang-succeed' });
    const upgrade = migration('PATCH', '/upgrade', 200);

    expect(await migration('GET', '/ping', 200)).toBe('no answer');
    expect(await upgrade).toBe('no answer');
  });

  it('8080 answers /version and /ping with its version, also with the database stopped', async () => {
    const { metadata, stopDatabase } = await started({ schemaVersion: NEWEST });
    stopDatabase();

    expect(await metadata('GET', '/version')).toMatchObject({ status: 200, body: '2.5.1' });
    expect(await metadata('GET', '/ping')).toMatchObject({ status: 200, body: 'pong', headers: { metadata_service_version: '2.5.1' } });
  });

  it('8080 /healthcheck is a double-encoded JSON string when up, and plain 500 text with the database stopped', async () => {
    const { metadata, stopDatabase } = await started({ schemaVersion: NEWEST });

    const up = (await metadata('GET', '/healthcheck')) as Answer;
    stopDatabase();
    const down = (await metadata('GET', '/healthcheck')) as Answer;

    expect(up.status).toBe(200);
    expect(JSON.parse(JSON.parse(up.body) as string)).toEqual({ status: 'UP' });
    expect(down).toMatchObject({ status: 500, headers: { 'content-type': expect.stringContaining('text/plain') } });
  });
});
