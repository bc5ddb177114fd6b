import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import type { DatabaseKindName, DatabaseStateNames } from './names';

/**
 * The seam between the runbook and the database it protects. A deployment has an RDS DB instance
 * or an Aurora DB cluster, and the state machine is built for the one it has, at synth: every state
 * that calls RDS, and every IAM statement for RDS, comes from its kind. Nothing branches on the
 * engine at run time, and a cluster deployment is granted nothing on standalone instances (nor the
 * other way round).
 */
export interface DatabaseKind {
  readonly kind: DatabaseKindName;
  /** The configured identifier, as the configuration spells it (RDS matches it in any case). */
  readonly identifier: string;
  readonly names: DatabaseStateNames;
  /** What the input validation is told of the database, to derive the plan's names from. */
  readonly planInput: Readonly<Record<string, string>>;
  /** Preflight: the describe calls, writing their answers under `$.described`. */
  describe(scope: Construct, ctx: RunbookContext): { readonly first: sfn.State; readonly last: sfn.TaskStateBase };
  /** What the preflight assessment is given of the database, besides the service. */
  readonly assessInput: Readonly<Record<string, unknown>>;
  /** Guide step 2: take the snapshot the failure branch restores from, and wait until it is available. */
  snapshot(scope: Construct, ctx: RunbookContext): sfn.StateMachineFragment;
  /** The failure branch's restore: beside the original, then the swap onto the original identifiers. */
  restore(scope: Construct, ctx: RunbookContext): sfn.StateMachineFragment;
  /** After the service answers again on a restored database, what must come last and why (a Comment). */
  readonly lastOnceServing: string;
  /** Those last states, then `then`. */
  afterServiceBack(scope: Construct, ctx: RunbookContext, then: sfn.IChainable): sfn.IChainable;
  /**
   * After a failed rollback: describe every database the change left (original, renamed aside,
   * restored) without changing anything, each look tolerating its own failure; then `then`.
   */
  inspect(scope: Construct, ctx: RunbookContext, then: sfn.State): sfn.State;
  /** Where the failed-rollback report finds what `inspect` read. */
  readonly reportResources: Readonly<Record<string, string>>;
  /** IAM the state machine needs beyond its Tasks' own calls: tags on creation, KMS keys, passed roles. */
  grant(stateMachine: sfn.StateMachine): void;
}
