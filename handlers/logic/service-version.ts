import { MetadataServiceUnavailable, UnexpectedResponse, VersionTooOld } from '../lib/errors';
import { type HttpResponse, TransportError } from '../lib/http';
import type { Send } from './migration-service';
import { snippet } from './migration-service';
import { compareVersions, parseVersion } from './versions';

export interface VersionRequest {
  /** `http://<task private IP>:8080` or the configured service URL. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** When set, an older version fails with VersionTooOld; when absent the version is only recorded. */
  readonly minimumVersion?: string;
}

export interface VersionResult {
  readonly version: string;
  readonly minimumVersion: string | null;
}

/** GET /version on the metadata service (8080), compared as a version, not as a string. */
export async function checkServiceVersion(req: VersionRequest, send: Send): Promise<VersionResult> {
  let res: HttpResponse;
  try {
    res = await send('GET', `${req.baseUrl}/version`, req.timeoutMs);
  } catch (err) {
    const why = err instanceof TransportError ? err.message : String(err);
    throw new MetadataServiceUnavailable(`the metadata service does not answer: ${why}`);
  }
  if (res.status !== 200) throw new MetadataServiceUnavailable(`GET /version answered ${res.status} ${snippet(res.body)}`);
  const version = res.body.trim().replace(/^"|"$/g, '');
  const parsed = parseVersion(version);
  if (!parsed) throw new UnexpectedResponse(`GET /version answered ${snippet(res.body)}, which is not a version`);
  if (req.minimumVersion !== undefined) {
    const minimum = parseVersion(req.minimumVersion);
    if (!minimum) throw new UnexpectedResponse(`minimum version ${JSON.stringify(req.minimumVersion)} is not a version`);
    if (compareVersions(parsed, minimum) < 0) {
      throw new VersionTooOld(`the metadata service runs ${version}, below the required ${req.minimumVersion}`);
    }
  }
  return { version, minimumVersion: req.minimumVersion ?? null };
}
