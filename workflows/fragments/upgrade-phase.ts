import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { RestartService } from './restart-service';
import { ScaleService } from './scale-service';
import { UpgradeSchema } from './schema';
import { checkServiceVersion } from './service-version';

/**
 * Guide steps 6-10, in one Parallel: the upgrade (skipped when the schema is already up to date),
 * verification, the restart onto the new schema, the version check, and the scale back. From the
 * upgrade request on, a failure restores the database.
 */
export function upgradePhase(scope: Construct, ctx: RunbookContext): sfn.Parallel {
  const upgrade = new UpgradeSchema(scope, ctx);
  const restart = new RestartService(scope, ctx, {
    label: 'on the new schema',
    key: 'restartOnNewSchema',
    why: 'Guide steps 16-17: the container picks the metadata service version at start, so it must restart to serve the new schema.',
    taskDefinitionPath: '$.release.taskDefinition',
    requireSingleTask: true,
    waitForMigrationService: false,
  });
  const checkVersion = checkServiceVersion(scope, ctx, {
    name: 'Check the metadata service version',
    comment: `Guide step 18: GET /version on ${ctx.config.deployment.servicePort} must be at least ${ctx.config.migration.minimumServiceVersion}.`,
    resultPath: '$.versionAfter',
    minimumVersion: ctx.config.migration.minimumServiceVersion,
  });
  const scaleBack = new ScaleService(scope, ctx, {
    title: 'Scale back to the original count',
    why: 'Guide steps 19-20: the service returns to the number of tasks it had before.',
    desiredCount: '$.original.desiredCount',
    key: 'scaleBack',
    waitTitle: 'Wait for the original count running',
    question: 'Is the service steady at the original count?',
  });
  const nothingToDo = new sfn.Pass(scope, 'Nothing to upgrade', {
    comment: 'The schema is already up to date: guide steps 6-8 are skipped.',
    parameters: { 'before.$': '$.schema.before', 'after.$': '$.schema.before' },
    resultPath: '$.schema',
  });
  const needed = new sfn.Choice(scope, 'Is the schema already up to date?', {
    comment: 'Nothing pending: no upgrade request, no verification, no second restart; the version is still checked.',
  })
    .when(sfn.Condition.booleanEquals('$.schema.before.isUpToDate', true), nothingToDo)
    .otherwise(upgrade);
  upgrade.next(restart).next(checkVersion);
  nothingToDo.next(checkVersion);
  checkVersion
    .next(scaleBack)
    .next(new sfn.Pass(scope, 'Service back at the original count', { comment: 'Guide step 20 is done: the change is complete.' }));
  return new sfn.Parallel(scope, 'Upgrade the schema and return to service', {
    comment: 'Steps 6-10. From the upgrade request on, a failure restores the database from the snapshot.',
    outputPath: '$[0]',
  }).branch(needed);
}
