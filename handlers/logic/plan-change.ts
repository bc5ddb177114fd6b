import { createHash } from 'node:crypto';
import { InvalidExecutionInput } from '../lib/errors';
import { asRecord, describe, optionalString, rejectUnknownKeys, requireString } from '../lib/validate';
import { type Attestation, attestationProblem } from './attestation';

/** A ticket-like reference: it ends up in snapshot and instance names and in tags. */
export const CHANGE_ID = /^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$/;
/** repository[:tag][@sha256:digest], as a container definition's `image` takes it. */
export const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Who asked for the change: an e-mail, a user name or an IAM ARN. */
export const REQUESTER = /^[\w.@+=,/:-]{1,200}$/;

/** One line of at most 500 characters: it is quoted in notifications and reports. */
export const REASON = /^[^\p{Cc}]{1,500}$/u;

export const EXECUTION_INPUT_FIELDS = ['changeId', 'requestedBy', 'reason', 'targetImage', 'dryRun', 'attestation'] as const;

export interface ChangePlan {
  readonly changeId: string;
  readonly requestedBy: string;
  /** Always a string, so notifications and reports can quote it. */
  readonly reason: string;
  readonly targetImage: string | null;
  /** Run the read-only checks and report the plan; change nothing. */
  readonly dryRun: boolean;
  /** The runbook endpoint's attestation of who started the execution; null when it was started otherwise. */
  readonly attestation: Attestation | null;
  /** Where the pre-upgrade snapshot goes; unique per execution so a re-run never collides. */
  readonly snapshotId: string;
  /** Where the snapshot is restored, beside the original, if the database must be restored. */
  readonly restoreInstanceId: string;
  /** Where the current instance is renamed to when the restored one takes its identifier. */
  readonly asideInstanceId: string;
}

/**
 * Validates the operator's input and derives every name the run will create, so the names are in
 * the history before any AWS call and a rollback never has to guess them.
 */
export function planChange(input: unknown, executionName: string, dbInstanceIdentifier: string): ChangePlan {
  const o = asRecord(input, 'execution input', InvalidExecutionInput);
  rejectUnknownKeys(o, EXECUTION_INPUT_FIELDS, '', InvalidExecutionInput);
  const changeId = requireString(o, 'changeId', {
    pattern: CHANGE_ID,
    expected: 'a ticket reference such as CHG-1234 (letters, digits, single - _ . separators, starting with a letter)',
    error: InvalidExecutionInput,
  });
  if (changeId.length > 64) throw new InvalidExecutionInput(`changeId: expected at most 64 characters, got ${changeId.length}`);
  const requestedBy = requireString(o, 'requestedBy', {
    pattern: REQUESTER,
    expected: 'who asked for the change: an e-mail, user name or IAM ARN (no spaces, at most 200 characters)',
    error: InvalidExecutionInput,
  });
  const reason = optionalString(o, 'reason', { pattern: REASON, expected: 'one line of at most 500 characters', error: InvalidExecutionInput }) ?? '(none given)';
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean') {
    throw new InvalidExecutionInput(`dryRun: expected true or false, got ${describe(o.dryRun)}`);
  }
  const targetImage =
    optionalString(o, 'targetImage', {
      pattern: IMAGE_REF,
      expected: 'an image reference such as netflixoss/metaflow_metadata_service:v2.5.1',
      error: InvalidExecutionInput,
    }) ?? null;

  const attestationShape = o.attestation === undefined ? undefined : attestationProblem(o.attestation, 'attestation');
  if (attestationShape) throw new InvalidExecutionInput(attestationShape);

  const slug = rdsSlug(changeId);
  const suffix = createHash('sha256').update(executionName).digest('hex').slice(0, 8);
  return {
    changeId,
    requestedBy,
    reason,
    targetImage,
    dryRun: o.dryRun === true,
    attestation: (o.attestation as Attestation | undefined) ?? null,
    snapshotId: `metaflow-migration-${slug.slice(0, 200)}-${suffix}`,
    restoreInstanceId: derivedInstanceId(dbInstanceIdentifier, `restored-${suffix}`),
    asideInstanceId: derivedInstanceId(dbInstanceIdentifier, `pre-${suffix}`),
  };
}

/** `<id>-<tail>` cut to RDS's 63 characters (the tail kept whole), valid as an instance identifier. */
function derivedInstanceId(dbInstanceIdentifier: string, tail: string): string {
  return `${rdsSlug(dbInstanceIdentifier).slice(0, 63 - tail.length - 1)}-${tail}`.replace(/--+/g, '-');
}

/** Lowercase letters, digits and single hyphens: valid inside any RDS identifier. */
export function rdsSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
