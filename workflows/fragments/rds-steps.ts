import { Aws } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PollConfig } from '../../infra/config';
import { ENTERED_TIME, sdkCall } from '../tasks';
import { BoundedPoll } from './bounded-poll';
import { changeTags } from './snapshot';

/**
 * The RDS steps a restore and its swap are made of, for an instance and for an Aurora cluster
 * alike: wait until a resource is available under an identifier, rename one, tag the one kept.
 */

/** The kind of RDS resource a step names: its API, its identifier parameter, its ARN type, how it describes. */
interface RdsResource {
  readonly modify: string;
  readonly identifier: string;
  readonly newIdentifier: string;
  readonly busy: string;
  readonly arnType: string;
  readonly describe: string;
  readonly filter: string;
  readonly listed: string;
  readonly status: string;
  /** Statuses it never leaves for the better (RDS and Aurora user guides, "Viewing ... status"). */
  readonly failed: (path: string) => sfn.Condition;
}

const RESOURCES: Readonly<Record<'instance' | 'cluster', RdsResource>> = {
  instance: {
    modify: 'modifyDBInstance',
    identifier: 'DbInstanceIdentifier',
    // Java SDK v2 lowers only a leading run of capitals: the mid-word DB of NewDBInstanceIdentifier stays.
    newIdentifier: 'NewDBInstanceIdentifier',
    busy: 'Rds.InvalidDbInstanceStateException',
    arnType: 'db',
    describe: 'describeDBInstances',
    filter: 'db-instance-id',
    listed: 'DbInstances',
    status: 'Instances[0].DbInstanceStatus',
    failed: (path) =>
      sfn.Condition.or(
        sfn.Condition.stringEquals(`${path}.DbInstanceStatus`, 'failed'),
        sfn.Condition.stringMatches(`${path}.DbInstanceStatus`, 'incompatible-*'),
        sfn.Condition.stringEquals(`${path}.DbInstanceStatus`, 'storage-full'),
        sfn.Condition.stringEquals(`${path}.DbInstanceStatus`, 'inaccessible-encryption-credentials'),
      ),
  },
  cluster: {
    modify: 'modifyDBCluster',
    identifier: 'DbClusterIdentifier',
    newIdentifier: 'NewDBClusterIdentifier',
    busy: 'Rds.InvalidDbClusterStateException',
    arnType: 'cluster',
    describe: 'describeDBClusters',
    filter: 'db-cluster-id',
    listed: 'DbClusters',
    status: 'Clusters[0].Status',
    // The Aurora status table names no status for a cluster snapshot restore that failed;
    // `migration-failed` is the one for a restore into a cluster ("migrating: A DB cluster snapshot
    // is being restored to a DB cluster", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html).
    failed: (path) =>
      sfn.Condition.or(
        sfn.Condition.stringEquals(`${path}.Status`, 'migration-failed'),
        sfn.Condition.stringMatches(`${path}.Status`, 'inaccessible-encryption-credentials*'),
        sfn.Condition.stringMatches(`${path}.Status`, 'incompatible-*'),
      ),
  },
};

export type RdsKind = keyof typeof RESOURCES;

/** `{ key.$: path }` for a JSONPath, `{ key: value }` for a literal. */
export function pathOrLiteral(key: string, value: string): Record<string, string> {
  return value.startsWith('$') ? { [`${key}.$`]: value } : { [key]: value };
}

/** Describe by a filter on the identifier: a resource not there (yet) is an empty list, not an error. */
export function describeByIdentifier(scope: Construct, kind: RdsKind, name: string, idExpression: string, resultPath: string, anyResource: string): sfn.TaskStateBase {
  const r = RESOURCES[kind];
  const list = r.status.split('[')[0] as string;
  return sdkCall(scope, name, {
    comment: 'Filters by identifier, so "not there yet" is an empty list rather than an error.',
    service: 'rds',
    action: r.describe,
    parameters: { Filters: [{ Name: r.filter, 'Values.$': `States.Array(${idExpression})` }] },
    iamResources: [anyResource],
    iamAction: `rds:${r.describe.charAt(0).toUpperCase()}${r.describe.slice(1)}`,
    resultSelector: { [`${list}.$`]: `$.${r.listed}`, 'CheckedAt.$': ENTERED_TIME },
    resultPath,
    retry: { errors: ['Rds.RdsException'] },
  });
}

export interface AvailableProps {
  readonly title: string;
  readonly why: string;
  readonly counter: string;
  readonly check: string;
  readonly question: string;
  readonly idExpression: string;
  readonly resultPath: string;
  /** A failed status ends the wait with RestoreFailed: the state's name and the cause. */
  readonly failed?: { readonly name: string; readonly cause: string };
  readonly timeoutError: string;
  readonly poll: PollConfig;
}

/** Waits until the resource is available under `idExpression`; RDS refuses changes before that. */
export function untilAvailable(scope: Construct, kind: RdsKind, anyResource: string, p: AvailableProps): BoundedPoll {
  const r = RESOURCES[kind];
  return new BoundedPoll(scope, {
    title: p.title,
    why: p.why,
    counter: p.counter,
    check: describeByIdentifier(scope, kind, p.check, p.idExpression, p.resultPath, anyResource),
    question: p.question,
    done: sfn.Condition.stringEquals(`${p.resultPath}.${r.status}`, 'available'),
    ...(p.failed ? { failed: { condition: r.failed(`${p.resultPath}.${r.status.split('.')[0]}`), name: p.failed.name, error: 'RestoreFailed', cause: p.failed.cause } } : {}),
    poll: p.poll,
    timeoutError: p.timeoutError,
  });
}

/** A rename, applied at once (or RDS would wait for the maintenance window); retried while the resource is busy. */
export function renameCall(
  scope: Construct,
  kind: RdsKind,
  name: string,
  props: { comment: string; from: string; to: string; iamResources: string[]; resultPath: string },
): sfn.TaskStateBase {
  const r = RESOURCES[kind];
  return sdkCall(scope, name, {
    comment: props.comment,
    service: 'rds',
    action: r.modify,
    parameters: { ...pathOrLiteral(r.identifier, props.from), ...pathOrLiteral(r.newIdentifier, props.to), ApplyImmediately: true },
    iamResources: props.iamResources,
    resultSelector: { 'StartedAt.$': ENTERED_TIME },
    resultPath: props.resultPath,
    retry: { errors: [r.busy], maxAttempts: 6 },
  });
}

/** Tags a resource kept aside with the change and the execution; the caller decides what a failure to tag does. */
export function tagKept(scope: Construct, kind: RdsKind, name: string, props: { comment: string; idPath: string; iamResources: string[] }): sfn.TaskStateBase {
  return sdkCall(scope, name, {
    comment: props.comment,
    service: 'rds',
    action: 'addTagsToResource',
    parameters: {
      'ResourceName.$': `States.Format('arn:${Aws.PARTITION}:rds:${Aws.REGION}:${Aws.ACCOUNT_ID}:${RESOURCES[kind].arnType}:{}', ${props.idPath})`,
      Tags: changeTags(),
    },
    iamResources: props.iamResources,
    resultPath: sfn.JsonPath.DISCARD,
  });
}
