import type { KnownDefect } from '../support/matrix-suite';

/**
 * Variants of the fault matrix the runbook fails today: each a defect of the workflow, left for its
 * owner to fix (the matrix does not change the workflow). A listed variant's test passes only while
 * the variant still breaks an invariant, so a fix makes it fail until its entry is removed here.
 */
export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    kind: 'answer without',
    state: 'Check no other migration is running',
    reason:
      'its ResultSelector reads $.Executions[*].Name: an empty list (ListExecutions is eventually consistent and may not list this execution yet) or an item without Name ends the execution in States.Runtime before anything is changed',
  },
  {
    kind: 'answer without',
    state: 'Take RDS snapshot',
    reason: 'its ResultSelector reads $.DbSnapshot.DbSnapshotArn: an answer without it ends the execution in States.Runtime with a snapshot being created and nothing rolled back',
  },
  {
    kind: 'answer without',
    state: 'Restart the service on the original release',
    reason:
      'the wait compares $.service.Services[0].Deployments[0].Id with the Deployments[0].Id of this UpdateService answer, which is stored once: without it every check is "not yet", the wait gives up after its 80 checks and the rollback ends RollbackFailed although the service rolled back',
  },
  {
    kind: 'answer without',
    state: 'Describe the task definition (dry run)',
    reason:
      "its ResultSelector filters $.TaskDefinition.ContainerDefinitions[?(@.Name == '<container>')].Image: no such container (or no Name, no Image, no ContainerDefinitions) ends the dry run in States.Runtime",
  },
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
