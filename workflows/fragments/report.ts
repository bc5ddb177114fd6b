import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { invoke } from '../tasks';

/** The fields every audit record carries, success or failure. */
function commonRecord(): Record<string, unknown> {
  return {
    'changeId.$': '$.plan.changeId',
    'requestedBy.$': '$.plan.requestedBy',
    'requester.$': '$.requester',
    'reason.$': '$.plan.reason',
    'targetImage.$': '$.plan.targetImage',
    'execution.$': '$$.Execution.Id',
    'startedAt.$': '$.StartedAt',
    'snapshotId.$': '$.plan.snapshotId',
    'original.$': '$.original',
    // The release the service ran before the change: what a rollback brings back, by digest.
    'releaseBefore': { 'image.$': '$.runningRelease.Image', 'imageDigest.$': '$.runningRelease.ImageDigest' },
    'steps.$': '$.steps',
    'waits.$': '$.polls',
  };
}

/** The success output: versions before and after, migrations applied, snapshot, per-step times. */
export function summarizeSuccess(scope: Construct): sfn.Pass {
  return new sfn.Pass(scope, 'Summarize the change', {
    comment: 'The execution output is the audit record of the change.',
    parameters: {
      outcome: 'SUCCEEDED',
      ...commonRecord(),
      'finishedAt.$': '$$.State.EnteredTime',
      'schemaVersionBefore.$': '$.schema.before.currentVersion',
      'schemaVersionAfter.$': '$.schema.after.currentVersion',
      'migrationsApplied.$': '$.schema.before.unappliedMigrations',
      'serviceVersionBefore.$': '$.versionBefore.version',
      'serviceVersionAfter.$': '$.versionAfter.version',
      // What the last waits proved the service runs: the release deployed and the original count.
      'taskDefinition.$': '$.release.taskDefinition',
      'desiredCount.$': '$.original.desiredCount',
      'approval.$': '$.approval',
    },
    // No ResultPath: the record replaces the state (ASL's default "$").
  });
}

/**
 * A failure ends the execution FAILED with the original error's name, and a cause that holds the
 * original cause and what the rollback did: the console shows red and the history explains it.
 * Should writing the report fail, the execution still fails, with the error it had.
 */
export function failWithReport(
  scope: Construct,
  composeReport: lambda.IFunction,
  names: { compose: string; encode: string; fail: string; fallback: string },
  fields: Record<string, unknown>,
  error: { errorPath: string; causePath: string } | { error: string; causePath: string },
): sfn.Chain {
  const compose = new sfn.Pass(scope, names.compose, {
    comment: 'Collects the error, the decision about the database and what the rollback did.',
    parameters: { ...commonRecord(), 'finishedAt.$': '$$.State.EnteredTime', ...fields },
    resultPath: '$.report',
  });
  const encode = invoke(scope, names.encode, composeReport, {
    comment: 'A Fail state takes its cause as text: one summary line, then the record as JSON.',
    payload: { 'report.$': '$.report' },
    resultPath: '$.reportText',
  });
  const failFields = 'errorPath' in error ? { errorPath: error.errorPath } : { error: error.error };
  const fail = new sfn.Fail(scope, names.fail, {
    comment: 'Ends the execution FAILED so the console shows red; the cause is the report.',
    ...failFields,
    causePath: '$.reportText.text',
  });
  const fallback = new sfn.Fail(scope, names.fallback, {
    comment: 'The report could not be written; the execution still fails with the error it had. The history holds the record.',
    ...failFields,
    causePath: error.causePath,
  });
  encode.addCatch(fallback, { resultPath: '$.reportError' });
  return sfn.Chain.start(compose).next(encode).next(fail);
}

/**
 * The approval was refused or timed out before anything changed: the run ends FAILED with that
 * error and a record that says nothing was changed, with the plan that was not approved.
 */
export function failNothingChanged(scope: Construct, ctx: RunbookContext): sfn.Chain {
  return failWithReport(
    scope,
    ctx.fns.composeReport,
    {
      compose: 'Report the refused change',
      encode: 'Write the refusal report',
      fail: 'Change not approved: nothing was changed',
      fallback: 'Change not approved: nothing was changed (no report)',
    },
    {
      outcome: 'NOTHING_CHANGED',
      'error.$': '$.error',
      'approval.$': '$.approval',
      'plannedMigrations.$': '$.schema.plan.unappliedMigrations',
      'image.$': '$.planEndpoint.Image',
      'imageDigest.$': '$.planEndpoint.ImageDigest',
    },
    { errorPath: '$.error.Error', causePath: '$.error.Cause' },
  );
}
