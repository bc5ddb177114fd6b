import {
  DatabaseConnectionMisconfigured,
  DatabaseUnavailable,
  MigrationEndpointsDisabled,
  MigrationServiceBusy,
  MigrationServiceError,
  MigrationServiceUnavailable,
  PlanChanged,
  SchemaVersionUnknown,
  UnexpectedResponse,
  UpgradeFailed,
  UpgradeOutcomeUnknown,
} from '../lib/errors';
import { type HttpResponse, TransportError } from '../lib/http';

export type Send = (method: 'GET' | 'PATCH', url: string, timeoutMs: number) => Promise<HttpResponse>;

export interface MigrationRequest {
  /** `http://<task private IP>:8082` or the configured migration URL. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
}

export interface StatusRequest extends MigrationRequest {
  /** The migrations the approved plan lists: any other list means the plan changed since. */
  readonly expectedUnapplied?: readonly string[];
}

/** `/db_schema_status` as the migration service documents it, with names the state machine reads. */
export interface SchemaStatus {
  readonly isUpToDate: boolean;
  readonly currentVersion: string;
  readonly unappliedMigrations: string[];
  readonly knownVersions: string[];
  /** Reported for the record only: it is not a lock nor a progress signal (see the facts). */
  readonly migrationInProgressFlag: boolean;
}

/** GET /ping until it says pong: the state machine retries MigrationServiceUnavailable/Busy. */
export async function pingMigrationService(req: MigrationRequest, send: Send): Promise<{ answering: true }> {
  const res = await call(send, 'GET', `${req.baseUrl}/ping`, req.timeoutMs);
  if (res.status !== 200 || res.body.trim() !== 'pong') {
    throw new UnexpectedResponse(`GET /ping answered ${res.status} ${snippet(res.body)}; expected 200 pong`);
  }
  return { answering: true };
}

export async function getSchemaStatus(req: StatusRequest, send: Send): Promise<SchemaStatus> {
  const res = await call(send, 'GET', `${req.baseUrl}/db_schema_status`, req.timeoutMs);
  if (res.status === 500) throw serverError(res.body);
  // MF_MIGRATION_ENDPOINTS_ENABLED=0 removes only /upgrade (observed on the real service): a 404
  // here means the URL does not lead to a migration service.
  if (res.status === 404) throw new UnexpectedResponse(`GET /db_schema_status answered 404 ${snippet(res.body)}: the URL does not lead to a Metaflow migration service`);
  if (res.status !== 200) throw new UnexpectedResponse(`GET /db_schema_status answered ${res.status} ${snippet(res.body)}`);
  const status = judgeSchemaStatus(parseSchemaStatus(res.body));
  if (req.expectedUnapplied && JSON.stringify(status.unappliedMigrations) !== JSON.stringify(req.expectedUnapplied)) {
    throw new PlanChanged(
      `the task the restart brought lists ${JSON.stringify(status.unappliedMigrations)} as pending, the approved plan ${JSON.stringify(req.expectedUnapplied)}: nothing is upgraded that was not approved`,
    );
  }
  return status;
}

/**
 * Exactly one PATCH /upgrade. Never retried: goose has no lock, so a second request could apply the
 * same migrations twice. A lost answer is reported as UpgradeOutcomeUnknown for the state machine to
 * settle by polling the status.
 */
export async function upgradeSchema(req: MigrationRequest, send: Send): Promise<{ result: string }> {
  let res: HttpResponse;
  try {
    res = await send('PATCH', `${req.baseUrl}/upgrade`, req.timeoutMs);
  } catch (err) {
    if (err instanceof TransportError && err.failure === 'refused') {
      throw new MigrationServiceUnavailable(`PATCH /upgrade was not delivered: ${err.message}`);
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new UpgradeOutcomeUnknown(`PATCH /upgrade got no answer (${why}); goose may still be running, settle by polling /db_schema_status`);
  }
  if (res.status === 200 && res.body.trim() === 'upgrade success') return { result: 'upgrade success' };
  if (res.status === 500) throw new UpgradeFailed(`PATCH /upgrade answered 500 ${snippet(res.body)}`);
  if (res.status === 404) throw new MigrationEndpointsDisabled(endpointsDisabled('PATCH /upgrade'));
  throw new UnexpectedResponse(`PATCH /upgrade answered ${res.status} ${snippet(res.body)}; expected 200 upgrade success`);
}

/** Validates the documented shape; all five keys are always present in a real answer. */
export function parseSchemaStatus(body: string): SchemaStatus {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new UnexpectedResponse(`GET /db_schema_status answered non-JSON ${snippet(body)}`);
  }
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) problems.push('body is not an object');
  else {
    if (typeof o.is_up_to_date !== 'boolean') problems.push('is_up_to_date is not a boolean');
    if (typeof o.current_version !== 'string') problems.push('current_version is not a string');
    if (typeof o.migration_in_progress !== 'boolean') problems.push('migration_in_progress is not a boolean');
    if (!isStringArray(o.db_schema_versions)) problems.push('db_schema_versions is not a list of strings');
    if (!isStringArray(o.unapplied_migrations)) problems.push('unapplied_migrations is not a list of strings');
  }
  if (problems.length > 0) throw new UnexpectedResponse(`GET /db_schema_status: ${problems.join('; ')}`);
  return {
    isUpToDate: o.is_up_to_date as boolean,
    currentVersion: o.current_version as string,
    migrationInProgressFlag: o.migration_in_progress as boolean,
    knownVersions: o.db_schema_versions as string[],
    unappliedMigrations: o.unapplied_migrations as string[],
  };
}

/**
 * Refuses a status the upgrade must not act on: a database newer than the image lists every
 * migration as unapplied, and "upgrading" it would run them all again.
 */
export function judgeSchemaStatus(status: SchemaStatus): SchemaStatus {
  const oldest = status.currentVersion === '0' || status.currentVersion === '1';
  if (!oldest && !status.knownVersions.includes(status.currentVersion)) {
    throw new SchemaVersionUnknown(
      `database schema ${status.currentVersion} is not among the ${status.knownVersions.length} versions this image knows ` +
        `(newest ${status.knownVersions.at(-1) ?? 'none'}); run an image at least as new as the schema`,
    );
  }
  if (status.isUpToDate !== (status.unappliedMigrations.length === 0)) {
    throw new UnexpectedResponse(
      `is_up_to_date is ${status.isUpToDate} but ${status.unappliedMigrations.length} migrations are listed as unapplied`,
    );
  }
  return status;
}

async function call(send: Send, method: 'GET' | 'PATCH', url: string, timeoutMs: number): Promise<HttpResponse> {
  try {
    return await send(method, url, timeoutMs);
  } catch (err) {
    if (err instanceof TransportError && err.failure === 'timeout') throw new MigrationServiceBusy(err.message);
    throw new MigrationServiceUnavailable(err instanceof Error ? err.message : String(err));
  }
}

/**
 * What a 500's detail says about the database connection. Settings the database refuses are a
 * configuration problem that waiting cannot fix; a database that does not answer right now (a
 * reboot, a failover, a restore finishing) comes back: the state machine waits for it, bounded.
 * Both lists are libpq's and goose's own messages.
 */
const MISCONFIGURED = /ssl|pg_hba\.conf|password authentication|authentication failed|role "[^"]*" does not exist|database "[^"]*" does not exist|certificate/i;
const UNREACHABLE = /connection refused|could not connect|timeout expired|i\/o timeout|starting up|shutting down|server closed the connection|no route to host|could not translate host name|no such host|connection reset/i;

function serverError(body: string): Error {
  let detail = body.trim();
  try {
    const parsed = JSON.parse(body) as { detail?: unknown };
    if (typeof parsed.detail === 'string') detail = parsed.detail;
  } catch {
    // Not JSON: the raw text is the best detail there is.
  }
  if (MISCONFIGURED.test(detail)) {
    return new DatabaseConnectionMisconfigured(
      `the database refuses the migration service's connection settings (${detail}); check MF_METADATA_DB_* settings such as MF_METADATA_DB_SSL_MODE`,
    );
  }
  if (UNREACHABLE.test(detail)) return new DatabaseUnavailable(`the migration service cannot reach the database right now (${detail})`);
  return new MigrationServiceError(`GET /db_schema_status answered 500: ${detail}`);
}

function endpointsDisabled(route: string): string {
  return `${route} answered 404: the container runs with MF_MIGRATION_ENDPOINTS_ENABLED=0; enable the migration endpoints to upgrade`;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

export function snippet(body: string): string {
  const t = body.trim();
  return JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}…` : t);
}
