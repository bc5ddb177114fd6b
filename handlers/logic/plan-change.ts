import { InvalidExecutionInput } from '../lib/errors';
import { asRecord, describe, optionalString, rejectUnknownKeys, requireString } from '../lib/validate';
import { type DatabaseIdentifier, type DerivedNames, derivedNames, executionSuffix, rdsSlug } from './derived-names';

/** A ticket-like reference: it ends up in snapshot and instance names and in tags. */
export const CHANGE_ID = /^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$/;
/** repository[:tag][@sha256:digest], as a container definition's `image` takes it. */
export const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Who asked for the change: an e-mail, a user name or an IAM ARN. */
export const REQUESTER = /^[\w.@+=,/:-]{1,200}$/;

/** One line of at most 500 characters: it is quoted in notifications and reports. */
export const REASON = /^[^\p{Cc}]{1,500}$/u;

export const EXECUTION_INPUT_FIELDS = ['changeId', 'requestedBy', 'reason', 'targetImage', 'dryRun'] as const;

interface PlanFields {
  readonly changeId: string;
  readonly requestedBy: string;
  /** Always a string, so notifications and reports can quote it. */
  readonly reason: string;
  readonly targetImage: string | null;
  /** Run the read-only checks and report the plan; change nothing. */
  readonly dryRun: boolean;
  /** Where the pre-upgrade snapshot goes; unique per execution so a re-run never collides. */
  readonly snapshotId: string;
}

/**
 * The plan, and where a restore would put the snapshot (beside the original) and the original
 * database (renamed aside): an instance's or a cluster's names (derived-names.ts).
 */
export type ChangePlan = PlanFields & DerivedNames;

/**
 * Validates the operator's input and derives every name the run will create, so the names are in
 * the history before any AWS call and a rollback never has to guess them.
 */
export function planChange(input: unknown, executionName: string, database: DatabaseIdentifier): ChangePlan {
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

  const slug = rdsSlug(changeId);
  const suffix = executionSuffix(executionName);
  return {
    changeId,
    requestedBy,
    reason,
    targetImage,
    dryRun: o.dryRun === true,
    snapshotId: `metaflow-migration-${slug.slice(0, 200)}-${suffix}`,
    ...derivedNames(database, executionName),
  };
}
