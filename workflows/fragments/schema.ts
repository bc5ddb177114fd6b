import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { ENTERED_TIME, invoke, retryUntilReady } from '../tasks';
import { BoundedPoll } from './bounded-poll';

/**
 * GET /db_schema_status on the one task, written to `resultPath` with the time it was read. A
 * database that cannot be reached right now (a reboot, a failover) is waited for, bounded like the
 * service's own start; settings it refuses fail at once.
 */
export function readSchemaStatus(
  scope: Construct,
  name: string,
  ctx: RunbookContext,
  comment: string,
  resultPath: string,
  options: { endpointPath?: string; expectedUnappliedPath?: string } = {},
) {
  const read = invoke(scope, name, ctx.fns.getSchemaStatus, {
    comment,
    payload: {
      'baseUrl.$': `${options.endpointPath ?? '$.endpoint'}.migrationUrl`,
      timeoutMs: ctx.config.migration.requestTimeoutSeconds * 1000,
      ...(options.expectedUnappliedPath ? { 'expectedUnapplied.$': options.expectedUnappliedPath } : {}),
    },
    resultSelector: {
      'isUpToDate.$': '$.isUpToDate',
      'currentVersion.$': '$.currentVersion',
      'unappliedMigrations.$': '$.unappliedMigrations',
      'migrationInProgressFlag.$': '$.migrationInProgressFlag',
      'CheckedAt.$': ENTERED_TIME,
    },
    resultPath,
  });
  retryUntilReady(read, ['DatabaseUnavailable'], ctx.config.waits.migrationService);
  return read;
}

/**
 * Guide steps 12-15: one PATCH /upgrade, never retried (goose has no lock), then the status must say
 * up to date. A lost answer is not a failure yet: goose may still be running, so the outcome is
 * settled by polling the status until the service answers again.
 */
export class UpgradeSchema extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Upgrade');
    const timeoutMs = ctx.config.migration.upgradeTimeoutSeconds * 1000;
    const upgrade = invoke(scope, 'Upgrade the database schema', ctx.fns.upgradeSchema, {
      comment: 'PATCH /upgrade runs goose synchronously. Sent once: a retry could apply migrations twice.',
      payload: { 'baseUrl.$': '$.endpoint.migrationUrl', timeoutMs },
      resultSelector: { 'result.$': '$.result', 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.upgrade',
      retryLambdaServiceErrors: false,
      timeout: Duration.seconds(ctx.config.migration.upgradeTimeoutSeconds + 60),
    });

    const settleCheck = readSchemaStatus(
      scope,
      'Read the schema status after the lost answer',
      ctx,
      'Answers only once goose has finished: the upgrade blocks the service while it runs.',
      '$.schema.settled',
    );
    const settle = new BoundedPoll(scope, {
      title: 'Wait for the upgrade outcome',
      why: 'The upgrade answer was lost (timeout or dropped connection); goose may still be running, so it is never re-sent.',
      counter: 'upgradeSettle',
      check: settleCheck,
      question: 'Did the upgrade complete?',
      done: sfn.Condition.booleanEquals('$.schema.settled.isUpToDate', true),
      failed: {
        condition: sfn.Condition.booleanEquals('$.schema.settled.isUpToDate', false),
        name: 'Upgrade did not complete',
        error: 'UpgradeFailed',
        cause: 'After the lost answer the migration service answered again with migrations still unapplied.',
      },
      notYetErrors: ['MigrationServiceBusy', 'MigrationServiceUnavailable'],
      poll: ctx.config.waits.upgradeSettle,
      timeoutError: 'UpgradeOutcomeUnknown',
    });
    upgrade.addCatch(settle, { errors: ['UpgradeOutcomeUnknown'], resultPath: '$.upgrade' });

    const verify = readSchemaStatus(
      scope,
      'Verify the schema is up to date',
      ctx,
      'Guide step 15: is_up_to_date must now be true.',
      '$.schema.after',
    );
    const upgraded = new sfn.Pass(scope, 'Schema upgraded', { comment: 'The upgrade is verified; the service still runs the old version until restarted.' });
    const verified = new sfn.Choice(scope, 'Is the schema up to date now?', {
      comment: 'Guide steps 14-15: a migration still listed after the upgrade means it did not complete; the database is restored.',
    })
      .when(sfn.Condition.booleanEquals('$.schema.after.isUpToDate', true), upgraded)
      .otherwise(
        new sfn.Fail(scope, 'Schema is not up to date', {
          comment: 'The upgrade reported success but migrations remain; the database is restored from the snapshot.',
          error: 'SchemaNotUpToDate',
          cause: 'After the upgrade the migration service still lists unapplied migrations.',
        }),
      );
    upgrade.next(verify);
    settle.next(verify);
    verify.next(verified);
    this.startState = upgrade;
    this.endStates = upgraded.endStates;
  }
}
