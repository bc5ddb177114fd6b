import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { ENTERED_TIME, invoke, retryUntilReady } from '../tasks';

/**
 * GET /version on the metadata service (8080, or the configured service URL), retried a bounded
 * number of times while the service is still starting. With `minimumVersion`, an older version
 * fails the step with VersionTooOld.
 */
export function checkServiceVersion(
  scope: Construct,
  ctx: RunbookContext,
  props: { name: string; comment: string; resultPath: string; minimumVersion?: string; /** Where the task to ask was located; `$.endpoint` by default. */ endpointPath?: string },
): sfn.TaskStateBase {
  const task = invoke(scope, props.name, ctx.fns.getServiceVersion, {
    comment: props.comment,
    payload: {
      'baseUrl.$': `${props.endpointPath ?? '$.endpoint'}.serviceUrl`,
      timeoutMs: ctx.config.migration.requestTimeoutSeconds * 1000,
      ...(props.minimumVersion ? { minimumVersion: props.minimumVersion } : {}),
    },
    resultSelector: {
      'version.$': '$.version',
      ...(props.minimumVersion ? { 'minimumVersion.$': '$.minimumVersion' } : {}),
      'CheckedAt.$': ENTERED_TIME,
    },
    resultPath: props.resultPath,
  });
  retryUntilReady(task, ['MetadataServiceUnavailable'], ctx.config.waits.migrationService);
  return task;
}
