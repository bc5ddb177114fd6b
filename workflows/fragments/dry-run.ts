import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { GUIDE_STEPS } from '../steps';

const MAIN_STEPS = GUIDE_STEPS.filter((s) => !s.onFailureOnly && s.id !== 'summary');
/** Nothing pending: no approval is asked, no snapshot taken, and the upgrade, verification and second restart are skipped. */
const SKIPPED_WHEN_UP_TO_DATE = new Set(['approval', 'snapshot', 'upgrade', 'verify', 'restartOnNewSchema']);

/**
 * `"dryRun": true`: preflight has run and the plan was read from the image that will run (a
 * standalone task, stopped since). End with the plan; nothing is approved, scaled, restarted,
 * snapshotted or upgraded.
 */
export class DryRun extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Dry run');
    const plan = (name: string, steps: string[]) =>
      new sfn.Pass(scope, name, {
        comment: 'The plan: what a real run would do, from what was read.',
        parameters: {
          outcome: 'DRY_RUN',
          'changeId.$': '$.plan.changeId',
          'requestedBy.$': '$.plan.requestedBy',
          'requester.$': '$.requester',
          'reason.$': '$.plan.reason',
          'targetImage.$': '$.plan.targetImage',
          'snapshotIdToUse.$': '$.plan.snapshotId',
          'originalDesiredCount.$': '$.original.desiredCount',
          'originalTaskDefinition.$': '$.original.taskDefinition',
          'releaseTaskDefinition.$': '$.release.taskDefinition',
          'restartsRoll.$': '$.original.restartsRoll',
          approvalRequired: ctx.config.approval.required,
          stepsThatWouldRun: steps,
          'currentSchemaVersion.$': '$.schema.plan.currentVersion',
          'migrationsToApply.$': '$.schema.plan.unappliedMigrations',
          'image.$': '$.planEndpoint.Image',
          'imageDigest.$': '$.planEndpoint.ImageDigest',
          'readFrom.$': '$.planEndpoint.TaskArn',
          'notRestoredByARestore.$': '$.original.notRestored',
        },
      });
    const steps = MAIN_STEPS.filter((s) => s.id !== 'approval' || ctx.config.approval.required);
    const upgradePlan = plan('Plan: upgrade the schema', steps.map((s) => s.title));
    const noUpgradePlan = plan('Plan: nothing to upgrade', steps.filter((s) => !SKIPPED_WHEN_UP_TO_DATE.has(s.id)).map((s) => s.title));
    const done = new sfn.Succeed(scope, 'Dry run complete', { comment: 'Nothing was changed.' });
    upgradePlan.next(done);
    noUpgradePlan.next(done);
    this.startState = new sfn.Choice(scope, 'Would the schema be upgraded?', { comment: 'The plan lists the steps a real run would take.' })
      .when(sfn.Condition.booleanEquals('$.schema.plan.isUpToDate', true), noUpgradePlan)
      .otherwise(upgradePlan);
    this.endStates = [];
  }
}
