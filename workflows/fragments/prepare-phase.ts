import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { RestartService } from './restart-service';
import { ScaleService } from './scale-service';
import { readSchemaStatus } from './schema';

/**
 * The approved change begins, in one Parallel so that any failure in it is caught in one place:
 * one task, a restart onto the image the plan was read from, a check that the plan still holds
 * (the same digest, the same pending migrations), and last the snapshot, so that the writes a
 * restore would lose are only those made during the snapshot and the upgrade. The schema is not
 * touched here: a failure rolls the service back and keeps the database.
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
  const restart = new RestartService(scope, ctx, {
    label: 'for the migration',
    key: 'restartForMigration',
    why: 'Guide step 4: fresh tasks pull the image the plan was read from, with the built-in migration service on 8082.',
    taskDefinitionPath: '$.release.taskDefinition',
    requireSingleTask: true,
    waitForMigrationService: true,
    expectedDigestPath: '$.planEndpoint.ImageDigest',
  });
  const status = readSchemaStatus(
    scope,
    'Check the schema status',
    ctx,
    'Guide steps 10-11, and the plan holds: the pending migrations must be the approved ones. A schema unknown to the image is refused.',
    '$.schema.before',
    { expectedUnappliedPath: '$.schema.plan.unappliedMigrations' },
  );
  const ready = new sfn.Pass(scope, 'Ready to upgrade', { comment: 'The plan holds and, when there is anything to upgrade, the snapshot is available.' });
  const anything = new sfn.Choice(scope, 'Is there anything to upgrade?', { comment: 'The snapshot is the restore point of an upgrade; with nothing to upgrade none is needed.' })
    .when(sfn.Condition.booleanEquals('$.schema.before.isUpToDate', false), snapshot)
    .otherwise(ready);
  snapshot.next(ready);
  return new sfn.Parallel(scope, 'Prepare: one task, the new image, the snapshot', {
    comment: 'The change begins. The schema is not touched here: a failure rolls back the service only.',
    outputPath: '$[0]',
  }).branch(sfn.Chain.start(scaleDown).next(restart).next(status).next(anything));
}
