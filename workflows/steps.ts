import { everyKind } from './database/names';

/**
 * The guide's steps as an operator follows them, and the state that starts each one. The console
 * graph, the rehearsal's per-step times and the CLI's progress view all group states this way.
 * A state belongs to the step most recently started before it.
 */
export interface GuideStep {
  readonly id: string;
  readonly title: string;
  /** The states whose entry starts this step (several when paths differ). */
  readonly startsAt: readonly string[];
  /** Only on the failure branch: shown when it ran, not as "skipped" when it did not. */
  readonly onFailureOnly?: boolean;
}

export const GUIDE_STEPS: readonly GuideStep[] = [
  { id: 'preflight', title: '1. Preflight', startsAt: ['Validate the execution input'] },
  { id: 'snapshot', title: '2. Snapshot', startsAt: everyKind('snapshot') },
  { id: 'scaleToOne', title: '3. Scale to one task', startsAt: ['Scale to one task'] },
  { id: 'restartForMigration', title: '4. Restart onto the migration image', startsAt: ['Was a target image given?'] },
  { id: 'status', title: '5. Check schema status', startsAt: ['Check the schema status'] },
  { id: 'approval', title: '5a. Approval', startsAt: ['Are migrations pending?'] },
  { id: 'upgrade', title: '6. Upgrade', startsAt: ['Upgrade the database schema'] },
  { id: 'verify', title: '7. Verify', startsAt: ['Verify the schema is up to date'] },
  { id: 'restartOnNewSchema', title: '8. Restart on the new schema', startsAt: ['Restart the service on the new schema'] },
  { id: 'version', title: '9. Check version', startsAt: ['Check the metadata service version'] },
  { id: 'scaleBack', title: '10. Scale back', startsAt: ['Scale back to the original count'] },
  { id: 'summary', title: 'Summary', startsAt: ['Summarize the change'] },
  {
    id: 'rollbackDecision',
    title: 'Rollback: decide',
    startsAt: ['Schema untouched: keep the database', 'Schema may have changed: restore the database'],
    onFailureOnly: true,
  },
  { id: 'restoreDatabase', title: 'Rollback: restore the database', startsAt: everyKind('restore'), onFailureOnly: true },
  { id: 'swapDatabase', title: 'Rollback: swap the restored database in', startsAt: everyKind('swap'), onFailureOnly: true },
  { id: 'rollbackService', title: 'Rollback: the service', startsAt: ['Restart the service on the original release'], onFailureOnly: true },
  {
    id: 'report',
    title: 'Report',
    startsAt: ['Report the rolled-back change', ...everyKind('inspect')],
    onFailureOnly: true,
  },
];

/** The step a state starts, if it starts one. */
export function stepStartedBy(stateName: string): GuideStep | undefined {
  return GUIDE_STEPS.find((s) => s.startsAt.includes(stateName));
}
