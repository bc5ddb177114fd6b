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
  /** The database forces SSL and the service is not configured for it: every status call is a 500. */
  sslMisconfigured?: boolean;
  /** MF_MIGRATION_ENDPOINTS_ENABLED=0: the routes answer 404. */
  endpointsDisabled?: boolean;
}

/** Observations the invariants are checked against. */
export interface ContainerLedger {
  patchRequests: number;
  concurrentUpgrades: number;
  maxConcurrentUpgrades: number;
  killedDuringUpgrade: number;
}

export interface ContainerOptions {
  readonly host: string;
  readonly migrationPort: number;
  readonly servicePort: number;
  readonly image: string;
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
}

/**
 * One `netflixoss/metaflow_metadata_service` container, speaking the documented contract over real
 * HTTP on a loopback address: the migration service on 8082 and, chosen once at start from the
 * database's schema, the metadata service on 8080.
 */
export class MetaflowContainer {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly held: ServerResponse[] = [];
  private readonly profile: ImageProfile;
  /** The metadata service version picked at start; null when the database was unreachable then. */
  readonly serviceVersion: string | null;
  private gooseRunning = false;
  private waiters: (() => void)[] = [];
  private stopped = false;

  private constructor(private readonly opts: ContainerOptions) {
    this.profile = imageProfile(opts.image);
    const db = opts.connect();
    this.serviceVersion = db ? this.profile.serviceVersionFor(db.schemaVersion) : null;
  }

  static async start(opts: ContainerOptions): Promise<MetaflowContainer> {
    const c = new MetaflowContainer(opts);
    await c.listen(opts.migrationPort, (req, res) => c.migration(req, res));
    if (c.serviceVersion !== null) await c.listen(opts.servicePort, (req, res) => c.metadata(req, res));
    return c;
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

  private metadata(req: IncomingMessage, res: ServerResponse): ServerResponse {
    if (req.method === 'GET' && req.url === '/version') return text(res, 200, this.serviceVersion ?? '');
    if (req.method === 'GET' && req.url === '/ping') {
      res.setHeader('METADATA_SERVICE_VERSION', this.serviceVersion ?? '');
      return text(res, 200, 'pong');
    }
    if (req.method === 'GET' && req.url === '/healthcheck') {
      return json(res, this.opts.connect() ? 200 : 500, { status: this.opts.connect() ? 'UP' : 'DOWN' });
    }
    return text(res, 404, 'not found');
  }

  private async migration(req: IncomingMessage, res: ServerResponse): Promise<ServerResponse | undefined> {
    const route = `${req.method} ${req.url}`;
    if (route === 'GET /ping') return text(res, 200, 'pong');
    // The upgrade handler blocks the service's event loop: everything else waits for goose.
    if (this.gooseRunning && ++this.waitedForGoose > this.opts.gooseBusyRequests) this.finishGoose?.();
    if (this.gooseRunning) {
      this.held.push(res);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (this.stopped) return undefined;
    }
    const b = this.opts.behaviour;
    if (b.endpointsDisabled && (route === 'GET /db_schema_status' || route === 'PATCH /upgrade')) return text(res, 404, '404: Not Found');
    if (route === 'GET /version') return text(res, 200, this.serviceVersion === this.profile.version ? 'latest' : `v_${(this.serviceVersion ?? '0').replace(/\./g, '_')}`);
    if (route === 'GET /db_schema_status') {
      const db = this.opts.connect();
      if (b.sslMisconfigured) return json(res, 500, { detail: "OperationalError('connection failed: FATAL: no pg_hba.conf entry for host, SSL off')" });
      if (!db) return json(res, 500, { detail: "OperationalError('could not connect to server: Connection refused')" });
      return json(res, 200, this.status(db));
    }
    if (route === 'PATCH /upgrade') return this.upgrade(res);
    return text(res, 404, '404: Not Found');
  }

  private status(db: SimDatabase) {
    const known = this.profile.knownVersions;
    const at = known.indexOf(db.schemaVersion);
    const unapplied = at === -1 ? known.slice(1) : known.slice(at + 1);
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
    const db = this.opts.connect();
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

  private waitedForGoose = 0;
  private finishGoose: (() => void) | undefined;

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

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function text(res: ServerResponse, status: number, body: string): ServerResponse {
  return res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
}

function json(res: ServerResponse, status: number, body: unknown): ServerResponse {
  return res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
