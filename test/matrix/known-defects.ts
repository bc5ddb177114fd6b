import type { KnownDefect } from '../support/matrix-suite';

/**
 * Variants of the fault matrix the runbook fails today: each a defect of the workflow, left for its
 * owner to fix (the matrix does not change the workflow). A listed variant's test passes only while
 * the variant still breaks an invariant, so a fix makes it fail until its entry is removed here.
 */
export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  ...['$.Service.Deployments', '$.Service.Deployments[0]'].map((detail) => ({
    kind: 'answer without' as const,
    state: 'Restart the service on the original release',
    detail,
    reason:
      'an UpdateService answer without the PRIMARY deployment stops the rollback at once with RestartNotConfirmed (the cause says to look at the service), although ECS is rolling the original release out: reading the service again for its PRIMARY deployment would let the rollback finish',
  })),
];

/**
 * Waits whose check never answered "not yet" with a status in any baseline on any fixture, with
 * why; their errors, where they have any, are driven all the same. The coverage test holds this
 * list to exactly the waits it finds so, so it cannot go stale.
 */
export const NEVER_ANSWERED_NOT_YET: Readonly<Record<string, string>> = {
  'Wait for one running task':
    'the simulated ECS stops the extra tasks the moment the count drops to one (a stopping task no longer counts as running), so the first check already finds one task running',
  'Wait for the upgrade outcome':
    'its check answers only once goose has finished, with a settled status (up to date or not); until then it fails with MigrationServiceBusy, a "not yet" error, which is driven',
};
