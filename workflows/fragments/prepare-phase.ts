import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { invoke } from '../tasks';
import { ApprovalGate } from './approval';
import { RestartService } from './restart-service';
import { ScaleService } from './scale-service';
import { readSchemaStatus } from './schema';
import { checkServiceVersion } from './service-version';

/**
 * Guide steps 1-5, in one Parallel so that any failure in them is caught in one place: snapshot,
 * one task, a restart onto the image with the migration service, the schema status, and (when
 * migrations are pending) the approval. The schema is not touched here.
 */
export function preparePhase(scope: Construct, ctx: RunbookContext): sfn.Parallel {
  const snapshot = ctx.database.snapshot(scope, ctx);
  const scaleDown = new ScaleService(scope, ctx, {
    title: 'Scale to one task',
    why: 'Guide steps 2-3: the upgrade must reach exactly one task, because goose has no lock.',
    desiredCount: 1,
    key: 'scaleToOne',
    waitTitle: 'Wait for one running task',
    question: 'Is the service steady at one task?',
  });
  const retarget = invoke(scope, 'Move the task definition to the target image', ctx.fns.retargetTaskDefinition, {
    comment: 'Guide step 4.2: a pinned image must move to the new tag in a new revision, or the restart brings the old image back.',
    payload: {
      'taskDefinition.$': '$.original.taskDefinition',
      containerName: ctx.config.deployment.containerName,
      'targetImage.$': '$.plan.targetImage',
      'changeId.$': '$.plan.changeId',
    },
    resultPath: '$.release',
  });
  const keep = new sfn.Pass(scope, 'Keep the current task definition', {
    comment: 'No target image: the restart re-resolves the current tag (a new deployment pulls the image again).',
    parameters: { 'taskDefinition.$': '$.original.taskDefinition' },
    resultPath: '$.release',
  });
  const image = new sfn.Choice(scope, 'Was a target image given?')
    .when(sfn.Condition.isString('$.plan.targetImage'), retarget)
    .otherwise(keep);
  const restart = new RestartService(scope, ctx, {
    label: 'for the migration',
    key: 'restartForMigration',
    why: 'Guide step 4: fresh tasks pull the image with the built-in migration service on 8082.',
    taskDefinitionPath: '$.release.taskDefinition',
    requireSingleTask: true,
    waitForMigrationService: true,
  });
  retarget.next(restart);
  keep.next(restart);
  const status = readSchemaStatus(
    scope,
    'Check the schema status',
    ctx,
    'Guide steps 10-11: is_up_to_date false means an upgrade is needed. A schema unknown to the image is refused.',
    '$.schema.before',
  );
  const versionBefore = checkServiceVersion(scope, ctx, {
    name: 'Record the service version before',
    comment: 'The version the metadata service runs on the current schema, for the record.',
    resultPath: '$.versionBefore',
  });
  const afterStatus = restart.next(status).next(versionBefore);
  if (ctx.config.approval.required) afterStatus.next(new ApprovalGate(scope, ctx));
  return new sfn.Parallel(scope, 'Prepare: snapshot, one task, migration service', {
    comment: 'Steps 1-5. The schema is not touched here: a failure rolls back the service only.',
    outputPath: '$[0]',
  }).branch(sfn.Chain.start(snapshot).next(scaleDown).next(image));
}
