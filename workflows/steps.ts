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
  { id: 'plan', title: '2. Read the plan from the new image', startsAt: ['Was a target image given?'] },
  { id: 'approval', title: '3. Approval', startsAt: ['Are migrations pending?'] },
  { id: 'scaleToOne', title: '4. Scale to one task', startsAt: ['Scale to one task'] },
  { id: 'restartForMigration', title: '5. Restart onto the new image', startsAt: ['Restart the service for the migration'] },
  { id: 'status', title: '6. Check the plan still holds', startsAt: ['Check the schema status'] },
  { id: 'snapshot', title: '7. Snapshot', startsAt: everyKind('snapshot') },
  { id: 'upgrade', title: '8. Upgrade', startsAt: ['Upgrade the database schema'] },
  { id: 'verify', title: '9. Verify', startsAt: ['Verify the schema is up to date'] },
  { id: 'restartOnNewSchema', title: '10. Restart on the new schema', startsAt: ['Restart the service on the new schema'] },
  { id: 'version', title: '11. Check version', startsAt: ['Check the metadata service version'] },
  { id: 'scaleBack', title: '12. Scale back', startsAt: ['Scale back to the original count'] },
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
    startsAt: ['Report the rolled-back change', 'Report the refused change', ...everyKind('inspect')],
    onFailureOnly: true,
  },
];

/** The step a state starts, if it starts one. */
export function stepStartedBy(stateName: string): GuideStep | undefined {
  return GUIDE_STEPS.find((s) => s.startsAt.includes(stateName));
}
