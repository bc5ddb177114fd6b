import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { GUIDE_STEPS } from '../steps';
import { sdkCall } from '../tasks';
import { locateTask } from './locate-task';
import { readSchemaStatus } from './schema';

const MAIN_STEPS = GUIDE_STEPS.filter((s) => !s.onFailureOnly && s.id !== 'summary');
/** Nothing pending: no approval is asked, and guide steps 6-8 are skipped. */
const SKIPPED_WHEN_UP_TO_DATE = new Set(['approval', 'upgrade', 'verify', 'restartOnNewSchema']);

/**
 * `"dryRun": true`: preflight has run; read the schema status from a running task (read-only) and
 * end with the plan. Nothing is created, scaled, restarted or upgraded. The running task may run an
 * older image than the restart would bring, so the migrations it lists are a lower bound.
 */
export class DryRun extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Dry run');
    const locate = locateTask(scope, ctx, { label: 'dry run', requireSingleTask: false });
    const container = ctx.config.deployment.containerName;
    const taskDefinition = sdkCall(scope, 'Describe the task definition (dry run)', {
      comment: 'The image a restart would deploy, when no target image is given.',
      service: 'ecs',
      action: 'describeTaskDefinition',
      parameters: { 'TaskDefinition.$': '$.original.taskDefinition' },
      // DescribeTaskDefinition has no resource-level permission.
      iamResources: ['*'],
      resultSelector: { 'Images.$': `$.TaskDefinition.ContainerDefinitions[?(@.Name == '${container}')].Image` },
      resultPath: '$.release',
      retry: { errors: ['Ecs.ServerException'] },
    });
    const status = readSchemaStatus(
      scope,
      'Read the schema status (dry run)',
      ctx,
      'Read-only: GET /db_schema_status on a task that is already running.',
      '$.schema.before',
    );
    const plan = (name: string, steps: string[], fields: Record<string, unknown>) =>
      new sfn.Pass(scope, name, {
        comment: 'The plan: what a real run would do, from what was read.',
        parameters: {
          outcome: 'DRY_RUN',
          'changeId.$': '$.plan.changeId',
          'requestedBy.$': '$.plan.requestedBy',
          'reason.$': '$.plan.reason',
          'targetImage.$': '$.plan.targetImage',
          'snapshotIdToUse.$': '$.plan.snapshotId',
          'originalDesiredCount.$': '$.original.desiredCount',
          'originalTaskDefinition.$': '$.original.taskDefinition',
          'restartsRoll.$': '$.original.restartsRoll',
          approvalRequired: ctx.config.approval.required,
          stepsThatWouldRun: steps,
          'statusReadFrom.$': '$.endpoint.TaskArn',
          'imageRunningNow.$': '$.endpoint.Image',
          'taskDefinitionImage.$': '$.release.Images[0]',
          note:
            'The status was read from a task already running; the restart deploys the target image or the task definition image again, ' +
            'which may know newer migrations. A real run reads the status again after the restart.',
          ...fields,
        },
      });
    const steps = MAIN_STEPS.filter((s) => s.id !== 'approval' || ctx.config.approval.required);
    const all = steps.map((s) => s.title);
    const upgradePlan = plan('Plan: upgrade the schema', all, {
      'currentSchemaVersion.$': '$.schema.before.currentVersion',
      'migrationsToApply.$': '$.schema.before.unappliedMigrations',
    });
    const noUpgradePlan = plan(
      'Plan: nothing to upgrade',
      steps.filter((s) => !SKIPPED_WHEN_UP_TO_DATE.has(s.id)).map((s) => s.title),
      { 'currentSchemaVersion.$': '$.schema.before.currentVersion', migrationsToApply: [] },
    );
    const unknownPlan = plan('Plan: schema status unavailable', all, { 'statusError.$': '$.schema.dryRunError' });
    status.addCatch(unknownPlan, { resultPath: '$.schema.dryRunError' });
    const done = new sfn.Succeed(scope, 'Dry run complete', { comment: 'Nothing was changed.' });
    locate.next(taskDefinition).next(status);
    status.next(
      new sfn.Choice(scope, 'Would the schema be upgraded?')
        .when(sfn.Condition.booleanEquals('$.schema.before.isUpToDate', true), noUpgradePlan)
        .otherwise(upgradePlan),
    );
    upgradePlan.next(done);
    noUpgradePlan.next(done);
    unknownPlan.next(done);
    this.startState = locate;
    this.endStates = [];
  }
}
