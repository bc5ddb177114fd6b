import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PollConfig } from '../../infra/config';
import type { RunbookContext } from '../context';
import type { ClusterArns } from '../database/arns';
import { ENTERED_TIME, sdkCall } from '../tasks';
import { type AvailableProps, describeByIdentifier, renameCall, tagKept, untilAvailable } from './rds-steps';

/** The cluster a restore replaces: its identifier, the names of its states, and what the runbook may do to it. */
export interface ClusterDatabase {
  readonly identifier: string;
  readonly arns: ClusterArns;
  readonly names: { readonly restore: string; readonly swap: string };
}

/**
 * The guide's "restore your RDS instance using the backup" for an Aurora cluster, on the same
 * pattern as an instance's (restore-database.ts): the cluster snapshot is restored beside the
 * original, under a temporary identifier, with every setting the original has (built by preflight
 * from the parity table, handlers/logic/cluster-parity.ts), while the original keeps serving. A
 * cluster restore "only restores the DB cluster, not the DB instances": each instance is created
 * again in it, "only after the RestoreDBClusterFromSnapshot operation has completed and the DB
 * cluster is available" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html),
 * one at a time and the writer first, since the first instance of a cluster becomes its writer.
 *
 * Then the swap. The service's MF_METADATA_DB_HOST is the cluster endpoint, and "when you change
 * the DB cluster identifier, the DB cluster endpoints change. The endpoints of the DB instances in
 * the DB cluster don't change", with no outage of its own
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Modifying.html): the original
 * cluster is renamed aside and the restored one takes the original identifier, so the original
 * endpoint answers again, with the restored cluster, after two cluster renames. Only then are the
 * instances renamed, the originals aside (they no longer serve) and the restored ones to the
 * original instance identifiers, which Terraform and the console know them by. An instance rename
 * restarts the instance ("Downtime occurs during this change", same page): renaming the restored
 * writer is the one other moment the endpoint does not answer, and it cannot be avoided, since its
 * new name is free only once the original is aside. Renaming instances before the cluster swap
 * would put all four renames inside the window with no cluster under the original name.
 *
 * If the swap cannot complete (the restored cluster or its instances cannot take the identifiers,
 * the originals cannot go aside), everything is renamed back as it was before it: the original
 * cluster and instances serve under their identifiers, the restored cluster is kept under its
 * temporary ones, and the rollback stops with every cluster and instance named. Nothing is deleted:
 * the original cluster and its instances stay, renamed aside and tagged, with the metadata written
 * after the snapshot.
 */
export class RestoreCluster extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext, db: ClusterDatabase) {
    super(scope, 'fragment: Restore cluster');
    const { arns } = db;
    const id = db.identifier;

    type WaitProps = Omit<AvailableProps, 'poll' | 'failed'> & { failedName?: string; poll?: PollConfig };
    const wait = (kind: 'cluster' | 'instance', cause: string) => (props: WaitProps) => {
      const { failedName, poll, ...rest } = props;
      const any = kind === 'cluster' ? arns.anyDbCluster : arns.anyDbInstance;
      return untilAvailable(scope, kind, any, { ...rest, ...(failedName ? { failed: { name: failedName, cause } } : {}), poll: poll ?? ctx.config.waits.instance });
    };
    /** Waits until the cluster (or instance) under `idExpression` is available; RDS refuses changes before that. */
    const clusterAvailable = wait('cluster', 'The restored cluster reached a failed state; the original is untouched.');
    const instanceAvailable = wait('instance', 'An instance of the restored cluster reached a failed state.');
    const renameCluster = (name: string, comment: string, from: string, to: string, resources: string[], resultKey: string) =>
      renameCall(scope, 'cluster', name, { comment, from, to, iamResources: resources, resultPath: `$.steps.${resultKey}` });
    const renameInstance = (name: string, comment: string, from: string, to: string, resources: string[]) =>
      renameCall(scope, 'instance', name, { comment, from, to, iamResources: resources, resultPath: '$.renamed' });
    /**
     * The same states for every instance of the cluster, one at a time, the writer first (preflight
     * orders them): each iteration sees its member, the plan (for the tags) and polls of its own.
     * What each waited is kept.
     */
    const eachMember = (name: string, comment: string, iteration: sfn.IChainable, resultKey: string) =>
      new sfn.Map(scope, name, {
        comment,
        itemsPath: '$.original.members',
        itemSelector: { 'member.$': '$$.Map.Item.Value', 'plan.$': '$.plan', polls: {} },
        maxConcurrency: 1,
        resultSelector: { 'waits.$': '$[*].polls' },
        resultPath: `$.steps.${resultKey}`,
      }).itemProcessor(iteration);
    const done = (name: string, comment: string) => new sfn.Pass(scope, name, { comment });

    // -- Restore beside the original ------------------------------------------------------------
    const restore = sdkCall(scope, db.names.restore, {
      comment:
        'Under a temporary identifier, while the original keeps serving; with every setting the original has that a restore takes (engine and version, groups, zones, port, backups, protection, logs, IAM authentication, tags), built by preflight.',
      service: 'rds',
      action: 'restoreDBClusterFromSnapshot',
      requestPath: '$.original.restore.parameters',
      iamResources: [arns.restoredClusters, arns.clusterSnapshots, arns.subnetGroups, arns.clusterParameterGroups],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restore',
    });
    const restoredUp = clusterAvailable({
      title: 'Wait for the restored cluster available',
      why: 'A cluster restore takes longer the larger the database; the original serves meanwhile. Its instances can be created only once it is available.',
      counter: 'restore',
      check: 'Describe the restored cluster',
      question: 'Is the restored cluster available?',
      idExpression: '$.plan.restoreClusterId',
      resultPath: '$.restored',
      failedName: 'Cluster restore did not complete',
      timeoutError: 'RestoreNotAvailableInTime',
      poll: ctx.config.waits.restore,
    });
    const settings = sdkCall(scope, 'Apply the cluster settings the restore cannot set', {
      comment: 'The maintenance window, automatic minor upgrades, Database Insights and the Data API are not restore parameters: put back the original values, at once.',
      service: 'rds',
      action: 'modifyDBCluster',
      requestPath: '$.original.afterRestore.settings',
      iamResources: [arns.restoredClusters],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.steps.restoreSettings',
      retry: { errors: ['Rds.InvalidDbClusterStateException'], maxAttempts: 6 },
    });
    const settled = clusterAvailable({
      title: 'Wait for the restored cluster settings',
      why: 'The settings take a moment to apply; instances are created in an available cluster only.',
      counter: 'restoreSettings',
      check: 'Describe the restored cluster again',
      question: 'Is the restored cluster available again?',
      idExpression: '$.plan.restoreClusterId',
      resultPath: '$.restored',
      failedName: 'Restored cluster failed',
      timeoutError: 'RestoreNotAvailableInTime',
    });
    const create = sdkCall(scope, 'Create an instance of the restored cluster', {
      comment: "The counterpart of one of the original's instances, with its class, parameter group, zone, CA, access, promotion tier, windows, monitoring and tags, built by preflight.",
      service: 'rds',
      action: 'createDBInstance',
      requestPath: '$.member.create',
      iamResources: [arns.restoredInstances, arns.restoredClusters, arns.parameterGroups],
      resultSelector: { 'StartedAt.$': ENTERED_TIME },
      resultPath: '$.created',
      retry: { errors: ['Rds.InvalidDbClusterStateException'], maxAttempts: 6 },
    });
    const created = instanceAvailable({
      title: 'Wait for the instance of the restored cluster',
      why: 'An instance takes minutes to create; the next is created once it is available.',
      counter: 'createInstance',
      check: 'Describe the created instance',
      question: 'Is the created instance available?',
      idExpression: '$.member.restoredId',
      resultPath: '$.instance',
      failedName: 'Instance of the restored cluster failed',
      timeoutError: 'RestoreNotAvailableInTime',
    });
    create.next(created);
    created.next(done('Instance of the restored cluster available', 'Its counterpart is ready; the next instance follows.'));
    const createAll = eachMember(
      "Create the restored cluster's instances",
      'A cluster restore brings no instance back: each of the original\'s is created again, one at a time, the writer first.',
      create,
      'createInstances',
    );

    // -- The swap: the cluster identifier, then the instances' --------------------------------------
    const renameAside = renameCluster(
      db.names.swap,
      'The swap begins: the original identifier is freed, the upgraded cluster kept for investigation. From here until the restored cluster has the identifier, the cluster endpoint does not answer. Applied at once, or RDS would wait for the maintenance window.',
      id,
      '$.plan.asideClusterId',
      [arns.dbCluster],
      'renameAside',
    );
    const renamed = clusterAvailable({
      title: 'Wait for the cluster rename to take effect',
      why: 'The original identifier is free only once the rename is done.',
      counter: 'rename',
      check: 'Describe the renamed cluster',
      question: 'Is the renamed cluster available?',
      idExpression: '$.plan.asideClusterId',
      resultPath: '$.aside',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    const tag = tagKept(scope, 'cluster', 'Tag the renamed cluster', {
      comment: 'Ties the kept cluster to the change and the execution, for audit and for the cleanup later.',
      idPath: '$.plan.asideClusterId',
      iamResources: [arns.asideClusters],
    });
    const takeOver = renameCluster(
      'Give the restored cluster the original identifier',
      'The restored cluster becomes the one the service, CloudFormation and Terraform know: the cluster endpoint, named after the identifier, answers with it.',
      '$.plan.restoreClusterId',
      id,
      [arns.restoredClusters],
      'takeOver',
    );
    const tookOver = clusterAvailable({
      title: 'Wait for the restored cluster under the original identifier',
      why: 'The endpoint answers again once the rename is done.',
      counter: 'takeOver',
      check: 'Describe the cluster under the original identifier',
      question: 'Does the original identifier serve the restored cluster?',
      idExpression: `'${id}'`,
      resultPath: '$.restored',
      failedName: 'Restored cluster failed after the rename',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    // The one window with no cluster under the original name: if the restored cluster cannot take
    // it, the original goes back, and the rollback stops with every cluster and instance named.
    const renameBack = renameCluster(
      'Rename the original cluster back',
      'The restored cluster could not take the identifier: the original goes back under it, so the service has its database again.',
      '$.plan.asideClusterId',
      id,
      [arns.asideClusters],
      'renameBack',
    );
    const back = clusterAvailable({
      title: 'Wait for the original cluster under its identifier again',
      why: 'The rename back takes as long as any cluster rename.',
      counter: 'renameBack',
      check: 'Describe the original cluster again',
      question: 'Is the original cluster back under its identifier?',
      idExpression: `'${id}'`,
      resultPath: '$.renamedBack',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    // The local interpreter takes no intrinsic function in CausePath (AWS does): the cause is written first.
    const explain = new sfn.Pass(scope, 'Say the swap was undone', {
      comment: 'Names the restored cluster and why the swap could not complete, for the report.',
      parameters: {
        'text.$':
          "States.Format('The swap could not complete ({}: {}); the original cluster and its instances were renamed back and serve again. The restored cluster {} is kept.', $.swapError.Error, $.swapError.Cause, $.plan.restoreClusterId)",
      },
      resultPath: '$.swapUndone',
    });
    const swapUndone = new sfn.Fail(scope, 'Swap undone: the original cluster serves again', {
      comment: 'The rollback stops here: the original cluster (with the upgraded schema) is back under its identifiers; the restored cluster is kept, for an operator to take over.',
      error: 'SwapFailed',
      causePath: '$.swapUndone.text',
    });
    takeOver.addCatch(renameBack, { resultPath: '$.swapError' });
    renameBack.next(back);
    back.next(explain).next(swapUndone);

    const memberAside = renameInstance(
      'Rename an original instance aside',
      'The original cluster no longer serves: its instance frees its identifier for its counterpart, without an outage of the service.',
      '$.member.id',
      '$.member.asideId',
      [arns.memberInstances],
    );
    const memberRenamed = instanceAvailable({
      title: 'Wait for the original instance renamed aside',
      why: 'An instance rename takes minutes; the original identifier is free only once it is done.',
      counter: 'memberRename',
      check: 'Describe the renamed-aside instance',
      question: 'Is the renamed-aside instance available?',
      idExpression: '$.member.asideId',
      resultPath: '$.aside',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    const tagMember = tagKept(scope, 'instance', 'Tag the renamed-aside instance', {
      comment: 'Ties the kept instance to the change and the execution, for audit and for the cleanup later.',
      idPath: '$.member.asideId',
      iamResources: [arns.asideInstances],
    });
    const memberAsideDone = done('Original instance renamed aside', 'Its identifier is free for its counterpart.');
    memberAside.next(memberRenamed);
    memberRenamed.next(tagMember);
    tagMember.addCatch(memberAsideDone, { resultPath: '$.taggingError' });
    tagMember.next(memberAsideDone);
    const asideAll = eachMember('Rename the original instances aside', "The renamed-aside cluster's instances go aside too, kept, never deleted.", memberAside, 'renameInstancesAside');

    const memberTakeOver = renameInstance(
      'Give a restored instance its original identifier',
      'The restored instance becomes the one CloudFormation, Terraform and the console know. The rename restarts it: for the writer, the endpoint does not answer meanwhile.',
      '$.member.restoredId',
      '$.member.id',
      [arns.restoredInstances],
    );
    const memberTookOver = instanceAvailable({
      title: 'Wait for the restored instance under its original identifier',
      why: 'An instance rename takes minutes, restart included.',
      counter: 'memberTakeOver',
      check: 'Describe the instance under its original identifier',
      question: 'Does the original identifier name the restored instance?',
      idExpression: '$.member.id',
      resultPath: '$.restored',
      failedName: 'Restored instance failed after the rename',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    memberTakeOver.next(memberTookOver);
    memberTookOver.next(done('Restored instance renamed', 'It has its original counterpart\'s identifier.'));
    const takeOverAll = eachMember(
      'Give the restored instances the original identifiers',
      'The restored cluster serves under the original identifier; its instances take the original instance identifiers, the writer first.',
      memberTakeOver,
      'instancesTakeOver',
    );

    // The instances could not all change names: everything goes back as it was before the swap, the
    // original instances under their identifiers (where still free), then the clusters.
    const lookFree = describeByIdentifier(scope, 'instance', 'Look for an instance under the original identifier', '$.member.id', '$.occupied', arns.anyDbInstance);
    const memberBack = renameInstance(
      'Rename an original instance back',
      'The swap is undone: the original instance gets its identifier back.',
      '$.member.asideId',
      '$.member.id',
      [arns.asideInstances],
    );
    const memberIsBack = instanceAvailable({
      title: 'Wait for the original instance under its identifier again',
      why: 'The rename back takes as long as any instance rename.',
      counter: 'memberRenameBack',
      check: 'Describe the original instance again',
      question: 'Is the original instance back under its identifier?',
      idExpression: '$.member.id',
      resultPath: '$.renamedBack',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    const memberBackDone = done('Original instance back under its identifier', 'Its identifier names it again.');
    memberBack.next(memberIsBack);
    memberIsBack.next(memberBackDone);
    lookFree.next(
      new sfn.Choice(scope, 'Is the original identifier free?', { comment: 'An instance that kept its identifier (or a counterpart that took it) is left as it is.' })
        .when(sfn.Condition.isPresent('$.occupied.Instances[0]'), done('Identifier in use', 'The instance under the identifier keeps it.'))
        .otherwise(memberBack),
    );
    const backAll = eachMember(
      'Rename the original instances back',
      'The restored instances could not all take the original identifiers: the swap is undone, the original instances first.',
      lookFree,
      'renameInstancesBack',
    );
    const restoredAside = renameCluster(
      'Give the restored cluster its temporary identifier back',
      'The swap is undone: the original identifier is freed for the original cluster again. The endpoint does not answer until the original has it.',
      id,
      '$.plan.restoreClusterId',
      [arns.dbCluster],
      'restoredAsideAgain',
    );
    const restoredIsAside = clusterAvailable({
      title: 'Wait for the restored cluster under its temporary identifier',
      why: 'The original identifier is free only once the rename is done.',
      counter: 'restoredAsideAgain',
      check: 'Describe the restored cluster under its temporary identifier',
      question: 'Is the restored cluster back under its temporary identifier?',
      idExpression: '$.plan.restoreClusterId',
      resultPath: '$.restored',
      timeoutError: 'RenameNotEffectiveInTime',
    });
    backAll.next(restoredAside);
    restoredAside.next(restoredIsAside);
    restoredIsAside.next(renameBack);
    asideAll.addCatch(backAll, { resultPath: '$.swapError' });
    takeOverAll.addCatch(backAll, { resultPath: '$.swapError' });

    const restored = new sfn.Pass(scope, 'Cluster restored', {
      comment: 'The original cluster and instance identifiers serve the snapshot again, with the original settings.',
    });
    restore.next(restoredUp);
    restoredUp.next(settings);
    settings.next(settled);
    settled.next(createAll);
    createAll.next(renameAside);
    renameAside.next(renamed);
    renamed.next(tag);
    tag.addCatch(takeOver, { resultPath: '$.taggingError' });
    tag.next(takeOver);
    takeOver.next(tookOver);
    tookOver.next(asideAll);
    asideAll.next(takeOverAll);
    takeOverAll.next(restored);
    this.startState = restore;
    this.endStates = restored.endStates;
  }
}
