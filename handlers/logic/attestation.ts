import { createHash } from 'node:crypto';

/**
 * What the runbook's endpoint attests it verified, and how the state machine checks it.
 *
 * Anyone who may start an execution can type any `requestedBy`, and anyone with
 * states:SendTaskSuccess can send any approval payload (it names no resource: the Service
 * Authorization Reference lists no resource type for it,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
 * So the endpoint, which takes the caller's ARN from the signed request, MACs what it verified with
 * an HMAC KMS key only it may use for GenerateMac, and the state machine's verifier, the only one
 * allowed VerifyMac, checks the MAC. "HMAC tags do not include a timestamp": the message carries
 * one, and a MAC is accepted only near the moment it attests
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html).
 */
export const MAC_ALGORITHM = 'HMAC_SHA_256';

export interface Attestation {
  /** When the endpoint verified the caller (ISO 8601). */
  readonly issuedAt: string;
  /** The HMAC, base64. */
  readonly mac: string;
}

/** What the endpoint verified when it started an execution. */
export interface StartFacts {
  readonly executionName: string;
  readonly changeId: string;
  /** The caller's ARN, from the signed request's context. */
  readonly requestedBy: string;
  readonly issuedAt: string;
}

/** What the endpoint verified when it answered an approval. */
export interface AnswerFacts {
  readonly executionArn: string;
  readonly decision: 'approved' | 'rejected';
  /** The caller's ARN, from the signed request's context. */
  readonly by: string;
  /** The comment, or the reason for rejecting ('' when none). */
  readonly note: string;
  readonly issuedAt: string;
}

const PURPOSE = 'metaflow-migration-runbook/v1';

/**
 * The bytes MACed: SHA-256 of a JSON array naming the purpose and every fact, so no two kinds of
 * attestation and no two sets of facts share a message, and the message always fits KMS's 4096
 * bytes ("GenerateMac and VerifyMac do not provide special handling for message digests": the
 * verifier hashes the same way, https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html).
 */
function digest(parts: readonly string[]): Uint8Array {
  return createHash('sha256').update(JSON.stringify(parts)).digest();
}

export function startMessage(f: StartFacts): Uint8Array {
  return digest([`${PURPOSE}/start`, f.executionName, f.changeId, f.requestedBy, f.issuedAt]);
}

export function answerMessage(f: AnswerFacts): Uint8Array {
  return digest([`${PURPOSE}/answer`, f.executionArn, f.decision, f.by, f.note, f.issuedAt]);
}

/** An attestation's shape: an ISO timestamp and a base64 HMAC-SHA-256 (32 bytes). */
export function attestationProblem(value: unknown, field: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${field}: expected {"issuedAt", "mac"} as the runbook's endpoint writes it`;
  const { issuedAt, mac, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return `${field}.${unknown[0]}: unknown field; expected only issuedAt, mac`;
  if (typeof issuedAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(issuedAt) || Number.isNaN(Date.parse(issuedAt))) {
    return `${field}.issuedAt: expected a UTC timestamp such as 2026-11-24T15:03:01.250Z`;
  }
  if (typeof mac !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(mac)) return `${field}.mac: expected an HMAC-SHA-256 in base64 (44 characters)`;
  return undefined;
}

/** Whether `issuedAt` lies within `[at - before, at + after]` seconds. */
export function issuedWithin(issuedAt: string, at: string, beforeSeconds: number, afterSeconds: number): boolean {
  const delta = (Date.parse(issuedAt) - Date.parse(at)) / 1000;
  return delta >= -beforeSeconds && delta <= afterSeconds;
}
