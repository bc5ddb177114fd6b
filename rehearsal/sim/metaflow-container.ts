import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { VirtualClock } from '../clock';
import { imageProfile, type ImageProfile } from '../images';
import { DURATIONS } from './aws-error';
import type { SimDatabase } from './rds';

/** How the migration service behaves in a scenario; the default is the documented happy contract. */
export interface ContainerBehaviour {
  /**
   * `fail`: 500 `upgrade failed` after applying some migrations. `hang-*`: the answer never comes;
   * goose finishes (or not) later. `crash`: goose applies some migrations, then the container exits:
   * the answer is lost and the task's address refuses connections from then on.
   */
  upgrade?: 'succeed' | 'fail' | 'claim-success' | 'hang-succeed' | 'hang-fail' | 'crash';
  /** The database forces SSL and the service is not configured for it: every database call is refused. */
  sslMisconfigured?: boolean;
  /** MF_MIGRATION_ENDPOINTS_ENABLED=0: `PATCH /upgrade` answers 404 (the status route still answers). */
  endpointsDisabled?: boolean;
}

/** Observations the invariants are checked against. */
export interface ContainerLedger {
  patchRequests: number;
  concurrentUpgrades: number;
  maxConcurrentUpgrades: number;
  killedDuringUpgrade: number;
  /** `GET /version` on 8082: on an empty database it runs every migration; the runbook must never call it. */
  migrationVersionRequests: number;
}

export interface ContainerOptions {
  readonly host: string;
  readonly migrationPort: number;
  readonly servicePort: number;
  readonly image: string;
  /** The database, or why it cannot be reached right now (null: refused, as a stopped or renamed instance). */
  readonly connect: () => SimDatabase | null;
  readonly clock: VirtualClock;
  readonly behaviour: ContainerBehaviour;
  readonly ledger: ContainerLedger;
  /**
   * In the hang scenarios, how many requests goose keeps waiting (each times out at the caller)
   * before it finishes: counted, not timed, so every rehearsal of a scenario is the same.
   */
  readonly gooseBusyRequests: number;
  readonly record: (kind: string, start: number, end: number) => void;
  /** The container's process ended on its own (ECS sees the task stop and replaces it). */
  readonly exited: () => void;
  /** Called on every `GET /db_schema_status`, before it is answered (a scenario may act on it). */
  readonly onStatusRead?: () => void;
  /** The container never serves the migration service (a broken image): 8082 refuses connections. */
  readonly silent?: boolean;
}

/** The aiohttp answers the real service gives outside its routes (see the facts file, "Observed on the real service"). */
const NOT_FOUND = '404: Not Found';
const METHOD_NOT_ALLOWED = '405: Method Not Allowed';
const SERVER_TROUBLE = '500 Internal Server Error\n\nServer got itself in trouble';
const REFUSED_DETAIL =
  "Exception('unable to get db version via goose: goose run: failed to connect: dial tcp 10.0.1.23:5432: connect: connection refused')";
const SSL_DETAIL = "Exception('unable to get db version via goose: pq: no pg_hba.conf entry for host \"10.0.1.57\", user \"metaflow\", database \"metaflow\", no encryption')";

/** The migration service's routes and the one method each allows. */
const MIGRATION_ROUTES: Readonly<Record<string, string>> = {
  '/ping': 'GET',
  '/version': 'GET',
  '/db_schema_status': 'GET',
  '/upgrade': 'PATCH',
};
const METADATA_ROUTES: Readonly<Record<string, string>> = { '/version': 'GET', '/ping': 'GET', '/healthcheck': 'GET' };

/**
 * One `netflixoss/metaflow_metadata_service` container, answering what the real v2.5.1 service
 * answered in every state (shared/facts/metaflow-migration-service.md, "Observed on the real
 * service"), over real HTTP on a loopback address: the migration service on 8082 and, chosen once
 * at start from the database's schema, the metadata service on 8080. While goose runs, the
 * migration service's event loop is blocked: every request to 8082, `/ping` included, hangs.
 */
export class MetaflowContainer {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly held: ServerResponse[] = [];
  private readonly profile: ImageProfile;
  /** The metadata service version picked at start; null when the database was unreachable then. */
  readonly serviceVersion: string | null;
  private gooseRunning = false;
  private waitedForGoose = 0;
  private finishGoose: (() => void) | undefined;
  private waiters: (() => void)[] = [];
  private stopped = false;

  private constructor(private readonly opts: ContainerOptions) {
    this.profile = imageProfile(opts.image);
    // The service already running is what the SSL scenario starts from: only goose's own
    // connections (status, upgrade) are refused there, so the choice at start ignores it.
    const db = opts.connect();
    this.serviceVersion = db ? this.profile.serviceVersionFor(db.schemaVersion) : null;
  }

  static async start(opts: ContainerOptions): Promise<MetaflowContainer> {
    const c = new MetaflowContainer(opts);
    if (!opts.silent) await c.serveMigration();
    if (c.serviceVersion !== null) await c.listen(opts.servicePort, (req, res) => c.metadata(req, res));
    return c;
  }

  /** Starts the migration service on 8082 (at start, or later for a container started `silent`); until then 8082 refuses connections. */
  async serveMigration(): Promise<void> {
    if (!this.stopped) await this.listen(this.opts.migrationPort, (req, res) => this.migration(req, res));
  }

  /** SIGTERM: both servers stop at once. Killing goose mid-migration is recorded as a hazard. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.gooseRunning) this.opts.ledger.killedDuringUpgrade++;
    for (const res of this.held) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.release();
  }

  /**
   * The database went away under goose (the instance is being renamed for a restore): goose dies
   * with its connection, which is harmless since the database is about to be replaced.
   */
  databaseLost(): void {
    if (!this.gooseRunning) return;
    this.gooseRunning = false;
    this.finishGoose = undefined;
    this.opts.ledger.concurrentUpgrades -= 1;
    this.release();
  }

  /** A database the service is configured to reach, or null (refused, or SSL refused). */
  private database(): SimDatabase | null {
    return this.opts.behaviour.sslMisconfigured ? null : this.opts.connect();
  }

  private listen(port: number, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
    const server = createServer(handler);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.host, () => resolve());
    });
  }

  /** 8080: the version is the one chosen at start; it answers even when the database is down. */
  private metadata(req: IncomingMessage, res: ServerResponse): ServerResponse {
    const refused = refuseOutsideRoutes(req, res, METADATA_ROUTES);
    if (refused) return refused;
    const version = this.serviceVersion ?? '';
    if (req.url === '/version') return text(res, 200, version);
    if (req.url === '/ping') {
      res.setHeader('METADATA_SERVICE_VERSION', version);
      return text(res, 200, 'pong');
    }
    // The real service double-encodes its health: a JSON string that holds JSON.
    if (this.database()) return json(res, 200, JSON.stringify({ status: 'UP' }));
    return text(res, 500, SERVER_TROUBLE);
  }

  private async migration(req: IncomingMessage, res: ServerResponse): Promise<ServerResponse | undefined> {
    // The upgrade handler blocks the event loop: every request waits for goose, /ping included.
    if (this.gooseRunning && ++this.waitedForGoose > this.opts.gooseBusyRequests) this.finishGoose?.();
    if (this.gooseRunning) {
      this.held.push(res);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (this.stopped) return undefined;
    }
    const refused = refuseOutsideRoutes(req, res, MIGRATION_ROUTES);
    if (refused) return refused;
    if (req.url === '/ping') return text(res, 200, 'pong');
    if (req.url === '/version') return this.migrationVersion(res);
    if (req.url === '/db_schema_status') {
      this.opts.onStatusRead?.();
      const db = this.database();
      if (!db) return json(res, 500, { detail: this.opts.behaviour.sslMisconfigured ? SSL_DETAIL : REFUSED_DETAIL });
      return json(res, 200, this.status(db));
    }
    if (this.opts.behaviour.endpointsDisabled) return text(res, 404, NOT_FOUND);
    return this.upgrade(res);
  }

  /** Recomputed on every request: the pending goose version, or `latest`; on an empty database it migrates everything first. */
  private migrationVersion(res: ServerResponse): ServerResponse {
    this.opts.ledger.migrationVersionRequests++;
    const db = this.database();
    if (!db) return text(res, 500, SERVER_TROUBLE);
    if (db.schemaVersion === '0') db.schemaVersion = this.profile.knownVersions.at(-1) as string;
    const status = this.status(db);
    if (!this.known(db.schemaVersion)) return text(res, 500, SERVER_TROUBLE);
    return text(res, 200, status.is_up_to_date ? 'latest' : status.current_version);
  }

  private known(version: string): boolean {
    return this.profile.knownVersions.includes(version);
  }

  /** At version 0, or a version the image does not know, every migration is listed, "1" included. */
  private status(db: SimDatabase) {
    const known = this.profile.knownVersions;
    const unapplied = this.known(db.schemaVersion) ? known.slice(known.indexOf(db.schemaVersion) + 1) : [...known];
    return {
      is_up_to_date: unapplied.length === 0,
      current_version: db.schemaVersion,
      migration_in_progress: false,
      db_schema_versions: known,
      unapplied_migrations: unapplied,
    };
  }

  private upgrade(res: ServerResponse): ServerResponse | undefined {
    const ledger = this.opts.ledger;
    ledger.patchRequests++;
    ledger.concurrentUpgrades++;
    ledger.maxConcurrentUpgrades = Math.max(ledger.maxConcurrentUpgrades, ledger.concurrentUpgrades);
    const db = this.database();
    const done = () => (ledger.concurrentUpgrades -= 1);
    if (!db) {
      done();
      return text(res, 500, 'upgrade failed');
    }
    const pending = this.status(db).unapplied_migrations;
    const apply = (count: number) => {
      if (count > 0) db.schemaVersion = pending[count - 1] as string;
      const start = this.opts.clock.now;
      this.opts.clock.advance(DURATIONS.migrationEach * count);
      this.opts.record('upgrade', start, this.opts.clock.now);
    };
    const mode = this.opts.behaviour.upgrade ?? 'succeed';
    if (mode === 'succeed' || mode === 'fail' || mode === 'claim-success') {
      // claim-success: goose reports success yet one migration is left (the case verification exists for).
      // Nothing pending is a success too: goose has nothing to do.
      apply(mode === 'succeed' ? pending.length : mode === 'claim-success' ? Math.max(0, pending.length - 1) : Math.floor(pending.length / 2));
      done();
      return mode === 'fail' ? text(res, 500, 'upgrade failed') : text(res, 200, 'upgrade success');
    }
    if (mode === 'crash') {
      apply(Math.floor(pending.length / 2));
      done();
      res.destroy();
      this.opts.exited();
      return undefined;
    }
    // The caller gives up before goose finishes; goose goes on regardless, and the answer never comes.
    this.gooseRunning = true;
    this.waitedForGoose = 0;
    this.held.push(res);
    this.finishGoose = () => {
      this.finishGoose = undefined;
      apply(mode === 'hang-succeed' ? pending.length : Math.floor(pending.length / 2));
      this.gooseRunning = false;
      done();
      res.destroy();
      this.release();
    };
    return undefined;
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** aiohttp's answers outside the routes: 404 for an unknown path, 405 with `Allow` for a wrong method. */
function refuseOutsideRoutes(req: IncomingMessage, res: ServerResponse, routes: Readonly<Record<string, string>>): ServerResponse | undefined {
  const path = (req.url ?? '/').split('?')[0] as string;
  const allowed = routes[path];
  if (allowed === undefined) return text(res, 404, NOT_FOUND);
  if (req.method !== allowed) {
    res.setHeader('Allow', allowed);
    return text(res, 405, METHOD_NOT_ALLOWED);
  }
  return undefined;
}

function text(res: ServerResponse, status: number, body: string): ServerResponse {
  return res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

function json(res: ServerResponse, status: number, body: unknown): ServerResponse {
  return res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
