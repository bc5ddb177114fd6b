import { createHash } from 'node:crypto';
import { InvalidExecutionInput } from '../lib/errors';
import { asRecord, optionalString, rejectUnknownKeys, requireString } from '../lib/validate';

/** A ticket-like reference: it ends up in snapshot and instance names and in tags. */
export const CHANGE_ID = /^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$/;
/** repository[:tag][@sha256:digest], as a container definition's `image` takes it. */
export const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const EXECUTION_INPUT_FIELDS = ['changeId', 'targetImage'] as const;

export interface ChangePlan {
  readonly changeId: string;
  readonly targetImage: string | null;
  /** Where the pre-upgrade snapshot goes; unique per execution so a re-run never collides. */
  readonly snapshotId: string;
  /** Where the current instance is renamed to if the database must be restored in place. */
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
  const targetImage =
    optionalString(o, 'targetImage', {
      pattern: IMAGE_REF,
      expected: 'an image reference such as netflixoss/metaflow_metadata_service:v2.5.1',
      error: InvalidExecutionInput,
    }) ?? null;

  const slug = rdsSlug(changeId);
  const suffix = createHash('sha256').update(executionName).digest('hex').slice(0, 8);
  return {
    changeId,
    targetImage,
    snapshotId: `metaflow-migration-${slug.slice(0, 200)}-${suffix}`,
    asideInstanceId: `${rdsSlug(dbInstanceIdentifier).slice(0, 63 - `-pre-${suffix}`.length)}-pre-${suffix}`.replace(/--+/g, '-'),
  };
}

/** Lowercase letters, digits and single hyphens: valid inside any RDS identifier. */
export function rdsSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
