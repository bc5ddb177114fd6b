import { pinnedImage } from '../handlers/logic/retarget-task-definition';
import { imageDigest } from './sim/ecs';
import { renameKeys, sfnMemberName } from '../handlers/lib/sdk-casing';
import { GUIDE_STEPS, stepStartedBy } from '../workflows/steps';
import { PLAN_STARTED_BY } from '../workflows/fragments/plan';
import { CLUSTER_MEMBER_PARITY, DB_CLUSTER_PARITY } from '../handlers/logic/cluster-parity';
import { DB_INSTANCE_PARITY, parityDifferences } from '../handlers/logic/restore-parity';
import { DATABASE_STATE_NAMES, everyKind } from '../workflows/database/names';
import { nestedStates } from '../workflows/asl';
import { allStates } from './assembly';
import type { RehearsalResult } from './run';
import type { Scenario } from './scenarios';

export const UPGRADE_STATE = 'Upgrade the database schema';
export const ROLLBACK_PARALLEL = 'Roll back';

/** Names of the states that belong to the failure branch (inside "Roll back", and the reports after it). */
export function rollbackStates(definition: Record<string, unknown>): Set<string> {
  const states = allStates(definition as never);
  type Nesting = Parameters<typeof nestedStates<Record<string, unknown>>>[0];
  const rollback = states.get(ROLLBACK_PARALLEL) as Nesting | undefined;
  const inside = new Set<string>();
  const walk = (s: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(s)) {
      inside.add(name);
      for (const nested of nestedStates(state as Nesting)) walk(nested);
    }
  };
  for (const nested of rollback ? nestedStates(rollback) : []) walk(nested);
  for (const name of states.keys()) if (/after the failed rollback/.test(name)) inside.add(name);
  return inside;
}

/**
 * What must hold after every rehearsal, whatever its outcome: the hazards the runbook exists to
 * avoid. Returns the broken ones, in words.
 */
export function safetyViolations(result: RehearsalResult): string[] {
  const v: string[] = [];
  const { ledger } = result.deployment;
  if (result.status === 'TIMED_OUT') v.push('the execution timed out: no Catch runs then, nothing was rolled back');
  if (result.error === 'States.Runtime') v.push(`the execution ended in States.Runtime, which no Catch handles: ${result.cause}`);
  if (ledger.patchRequests > 1) v.push(`PATCH /upgrade was sent ${ledger.patchRequests} times`);
  if (ledger.maxConcurrentUpgrades > 1) v.push('two upgrades ran at once');
  if (ledger.killedDuringUpgrade > 0) v.push('a task was stopped while goose was running');
  if (ledger.migrationVersionRequests > 0) v.push('GET /version was sent to the migration service (on an empty database it runs every migration)');
  const snapshotStates = Object.values(DATABASE_STATE_NAMES).map((n) => n.snapshot);
  const snapshotTaken = result.calls.some((c) => snapshotStates.includes(c.state) && !c.error);
  if (snapshotTaken && result.deployment.rds.snapshotIds().length === 0) v.push('the snapshot is gone');
  if (result.calls.some((c) => /delete/i.test(c.resource))) v.push('a delete call was made');
  // The account's other instances are none of the runbook's business: exactly as they were.
  for (const [id, before] of result.deployment.unrelatedInstances) {
    const now = result.deployment.rds.find(id);
    if (!now || JSON.stringify(now.d) !== JSON.stringify(before)) v.push(`instance ${id}, not the runbook's, was changed`);
  }
  for (const [id, before] of result.deployment.unrelatedClusters) {
    const now = result.deployment.rds.aurora.find(id);
    if (!now || JSON.stringify(now.d) !== JSON.stringify(before)) v.push(`DB cluster ${id}, not the runbook's, was changed`);
  }
  // The plan task only reads: it must be stopping by the end, or the failure must name it left running.
  for (const t of result.deployment.ecs.standalone) {
    const cause = result.cause ?? '';
    const named = result.error === 'PlanTaskNotStopped' && (cause.includes(t.arn) || (t.deploymentId !== '' && cause.includes(`--started-by ${t.deploymentId}`)));
    if (t.desiredStatus !== 'STOPPED' && !named) v.push(`the plan task ${t.arn} is left ${t.lastStatus} and no failure says so`);
  }
  return v;
}

/**
 * The promises the runbook makes whatever goes wrong. Returns the broken ones, in words: an empty
 * list means every invariant held.
 */
export function invariantViolations(result: RehearsalResult, opts: { rollbackMayFail: boolean }): string[] {
  const v = safetyViolations(result);
  const { deployment } = result;
  const entered = new Set(result.states.map((s) => s.name));
  const upgradeSent = entered.has(UPGRADE_STATE);
  const db = deployment.database();
  const service = deployment.ecs.describeService();

  if (result.status === 'SUCCEEDED') v.push('the execution did not end FAILED');
  if (result.status !== 'SUCCEEDED' && !result.cause) v.push('the execution failed without a cause');
  const rollbackFailed = result.error === 'RollbackFailed';
  if (rollbackFailed && !opts.rollbackMayFail) v.push(`the rollback failed: ${result.cause}`);
  if (!rollbackFailed) {
    if (service.DesiredCount !== countBefore(result)) v.push(`the service runs ${service.DesiredCount} tasks, not the original ${countBefore(result)}`);
    v.push(...originalReleaseViolations(result));
    if ((service.Deployments as unknown[]).length !== 1 || service.RunningCount !== service.DesiredCount) v.push('the service is not steady');
    // A restored instance may still take its first backup (backing-up): it serves all the same.
    const restored = db.restored && db.serving;
    if (upgradeSent && !restored) v.push('the upgrade request was sent but the database was not restored');
    if (!upgradeSent && db.restored) v.push('the database was restored although no upgrade request was sent');
    if (!db.serving) v.push('no database answers under the original identifier');
  } else {
    const cause = result.cause ?? '';
    const clusters = deployment.rds.clusters;
    if (!/"dbInstances"/.test(cause) || !/"service"/.test(cause) || (clusters.length > 0 && !/"dbClusters"/.test(cause))) {
      v.push('the failed rollback does not report the state of the database and the service');
    }
    // Every cluster and instance the change left behind (the original, the one restored beside it) is named.
    for (const cluster of clusters) {
      const id = String(cluster.d.DBClusterIdentifier);
      if (deployment.unrelatedClusters.has(id)) continue;
      if (!cause.includes(`"${id}"`)) v.push(`the failed rollback does not name the cluster ${id}`);
    }
    for (const inst of deployment.rds.instances) {
      const id = String(inst.d.DBInstanceIdentifier);
      if (deployment.unrelatedInstances.has(id)) continue;
      if (!cause.includes(`"${id}"`)) v.push(`the failed rollback does not name the instance ${id}`);
    }
  }
  return v;
}

function countBefore(result: RehearsalResult): number {
  return result.deployment.originalDesiredCount;
}

/**
 * A restored database equals the original on every attribute the parity tables say a restore puts
 * back (inherited from the snapshot, passed to the restore or the creation, applied after it, or
 * managed by the cluster), under the original identifiers and endpoints: an instance, or an Aurora
 * cluster and each of its instances. Each difference is named with both values.
 */
export function parityViolations(result: RehearsalResult): string[] {
  const { deployment } = result;
  // Compared as Step Functions describes them, which is what the runbook reads and writes.
  if (deployment.originalInstance) {
    const restored = deployment.rds.find(deployment.dbIdentifier);
    if (!restored?.createdFrom) return [];
    return parityDifferences(DB_INSTANCE_PARITY, asDescribed(deployment.originalInstance), asDescribed(restored.d), 'the restored instance');
  }
  const original = deployment.originalCluster;
  const restored = deployment.rds.aurora.find(deployment.dbIdentifier);
  if (!original || !restored?.createdFrom) return [];
  const v = parityDifferences(DB_CLUSTER_PARITY, asDescribed(original.cluster), asDescribed(restored.d), 'the restored cluster');
  for (const before of original.instances) {
    const id = String(before.DBInstanceIdentifier);
    const now = deployment.rds.find(id);
    if (now?.createdFrom === undefined || now.d.DBClusterIdentifier !== deployment.dbIdentifier) {
      v.push(`${id}: no instance of the restored cluster has this identifier`);
      continue;
    }
    v.push(...parityDifferences(CLUSTER_MEMBER_PARITY, asDescribed(before), asDescribed(deployment.rds.aurora.described(now)), `the restored instance ${id}`).map((d) => `${id}.${d}`));
  }
  return v;
}

function asDescribed(d: unknown): Record<string, unknown> {
  return renameKeys(JSON.parse(JSON.stringify(d)), sfnMemberName) as Record<string, unknown>;
}

/**
 * The service is back on the release it ran before the change: its original task definition, or a
 * revision of it that differs only in naming the digest the original tasks ran (a tag such as
 * `latest` may pull another image since), and every task it runs is that digest.
 */
export function originalReleaseViolations(result: RehearsalResult): string[] {
  const { deployment } = result;
  const { ecs } = deployment;
  const service = ecs.describeService();
  const current = String(service.TaskDefinition);
  const digest = imageDigest(deployment.world.runningImage);
  const v: string[] = [];
  if (current !== deployment.originalTaskDefinition) {
    const original = ecs.findTaskDefinition(deployment.originalTaskDefinition).taskDefinition;
    const revision = ecs.findTaskDefinition(current).taskDefinition;
    const container = deployment.config.deployment.containerName;
    const pinned = (td: typeof original) => ({
      ...td,
      taskDefinitionArn: undefined,
      revision: undefined,
      registeredAt: undefined,
      containerDefinitions: td.containerDefinitions?.map((c) => (c.name === container ? { ...c, image: undefined } : c)),
    });
    const image = revision.containerDefinitions?.find((c) => c.name === container)?.image;
    const originalImage = original.containerDefinitions?.find((c) => c.name === container)?.image ?? '';
    if (image !== pinnedImage(originalImage, digest) || canonical(pinned(revision)) !== canonical(pinned(original))) {
      v.push(`the service runs ${current} (${String(image)}), neither the original task definition nor it pinned to the original digest ${digest}`);
    }
  }
  for (const task of ecs.tasks.filter((t) => t.desiredStatus === 'RUNNING')) {
    if (imageDigest(task.resolvedImage) !== digest) v.push(`the task ${task.arn} runs ${task.resolvedImage}, not the release the service ran before (${deployment.world.runningImage})`);
  }
  return v;
}

/** JSON with every object's keys sorted: equal values, equal text, whatever order they were built in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

// ---------------------------------------------------------------------------------------------
// The record tells the truth, the guide's order holds, a wait is as patient as its bound: promises
// the scenario table and the mutation run check of every rehearsal (rehearsal/judges.ts).
// ---------------------------------------------------------------------------------------------

/** The tag that ties what the runbook creates (the snapshot, the instances it keeps) to the change. */
const CHANGE_TAG = 'metaflow-migration:change-id';
/** The error the fault matrix and the mutation run inject: a failure the runbook may report as such. */
export const INJECTED_FAULT = 'Injected.Fault';
const injected = (e: unknown) => (e as { Error?: unknown } | undefined)?.Error === INJECTED_FAULT;
const changeIdOf = (scenario: Scenario) => String(scenario.input.changeId);

/**
 * Every promise below, on one rehearsal of `definition` (the real one: a wait's bound is read from
 * it, never from a mutant). Empty when all hold.
 */
export function recordInvariantViolations(result: RehearsalResult, scenario: Scenario, definition: Record<string, unknown>): string[] {
  return [
    ...guideOrderViolations(result),
    ...patienceViolations(result, definition),
    ...restartAfterDatabaseViolations(result),
    ...recordViolations(result, scenario),
    ...notificationViolations(result, scenario),
  ];
}

/** The guide's steps start in the guide's order: the version check (step 11) before the scale back (12), and so on. */
export function guideOrderViolations(result: RehearsalResult): string[] {
  const v: string[] = [];
  let latest: { index: number; title: string } | undefined;
  for (const record of result.states) {
    const step = stepStartedBy(record.name);
    if (!step || step.onFailureOnly) continue;
    const index = GUIDE_STEPS.indexOf(step);
    if (latest && index < latest.index) v.push(`guide step "${step.title}" started after "${latest.title}"`);
    if (!latest || index > latest.index) latest = { index, title: step.title };
  }
  return v;
}

const GAVE_UP = ': gave up';

/**
 * A bounded wait ("<title>", "<title>: pause", "<title>: gave up") gives up only once its attempts
 * rule held: as many looks as the rule's bound, its pause between each two.
 */
export function patienceViolations(result: RehearsalResult, definition: Record<string, unknown>): string[] {
  const states = allStates(definition as never);
  const v: string[] = [];
  for (const [i, record] of result.states.entries()) {
    if (!record.name.endsWith(GAVE_UP)) continue;
    const title = record.name.slice(0, -GAVE_UP.length);
    const pause = Number(states.get(`${title}: pause`)?.Seconds ?? 0);
    const deciders = new Map<string, number>();
    for (const [name, state] of states) {
      for (const rule of (state.Choices ?? []) as Record<string, unknown>[]) {
        if (rule.Next === record.name && typeof rule.NumericGreaterThanEquals === 'number') deciders.set(name, rule.NumericGreaterThanEquals);
      }
    }
    const bound = Math.max(0, ...deciders.values());
    const start = result.states.slice(0, i).findLastIndex((r) => r.name === title);
    if (start < 0 || bound === 0) continue;
    const looks = result.states.slice(start, i).filter((r) => deciders.has(r.name)).length;
    const waited = (record.enteredAt - (result.states[start]?.enteredAt ?? record.enteredAt)) / 1000;
    if (looks < bound) v.push(`"${title}" gave up after ${looks} looks, its bound is ${bound}`);
    if (waited < (bound - 1) * pause) v.push(`"${title}" gave up after ${waited} s, its bound is ${(bound - 1) * pause} s`);
  }
  return v;
}

/** The service restarts on its original release only once the database stopped changing (restore, renames, settings). */
export function restartAfterDatabaseViolations(result: RehearsalResult): string[] {
  const restart = result.calls.find((c) => c.state === 'Restart the service on the original release' && !c.error);
  if (!restart) return [];
  const busyUntil = Math.max(0, ...result.deployment.operations.filter((o) => ['rename', 'restore', 'modify'].includes(o.kind) && o.start <= restart.at).map((o) => o.end));
  return busyUntil > restart.at ? [`the service was restarted ${(busyUntil - restart.at) / 1000} s before the database stopped changing`] : [];
}

/** The failure report a FAILED execution carries as its cause, if the cause is one. */
export function reportOf(result: RehearsalResult): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(result.cause ?? '') as unknown;
    return parsed && typeof parsed === 'object' && 'outcome' in parsed ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record says what the world shows: the success record (versions, count, snapshot, approval),
 * the dry run's plan, the rollback report, the failed-rollback report and the refusal; every
 * snapshot, and every instance kept beside the database, is tagged with the change.
 */
export function recordViolations(result: RehearsalResult, scenario: Scenario): string[] {
  const { deployment } = result;
  const v: string[] = [];
  const db = deployment.database();
  const versions = new Set(deployment.serviceVersions());
  for (const snap of [...deployment.rds.snapshots, ...deployment.rds.clusterSnapshots]) {
    if (!snap.tags.some((t) => t.Key === CHANGE_TAG && t.Value === changeIdOf(scenario))) v.push(`snapshot ${snap.id} is not tagged with the change id`);
  }
  // What a restore leaves beside the database (the original renamed aside, a restored instance that
  // could not take over) is kept for the operator to remove: the change's tag is how they find it.
  // Tagging is best effort: a tag call the rehearsal made fail (the fault matrix) excuses it, nothing else does.
  const tagFailed = result.calls.some((c) => c.resource.endsWith(':addTagsToResource') && c.error === INJECTED_FAULT);
  for (const instance of tagFailed ? [] : deployment.rds.instances) {
    const id = String(instance.d.DBInstanceIdentifier);
    if (id === deployment.dbIdentifier || instance.d.DBClusterIdentifier !== undefined || deployment.unrelatedInstances.has(id)) continue;
    if (!(instance.d.TagList ?? []).some((t) => t.Key === CHANGE_TAG && t.Value === changeIdOf(scenario))) v.push(`instance ${id}, kept beside the database, is not tagged with the change id`);
  }
  // On Aurora the cluster is what is kept (its instances go with it): the cluster carries the tag.
  for (const cluster of tagFailed ? [] : deployment.rds.clusters) {
    const id = String(cluster.d.DBClusterIdentifier);
    if (id === deployment.dbIdentifier || deployment.unrelatedClusters.has(id)) continue;
    if (!(cluster.d.TagList ?? []).some((t) => t.Key === CHANGE_TAG && t.Value === changeIdOf(scenario))) v.push(`DB cluster ${id}, kept beside the database, is not tagged with the change id`);
  }
  // A task the runbook started outside the service (the plan's) can be left running when it
  // cannot be stopped: `aws ecs list-tasks --started-by` and the change's tag are how it is found.
  for (const task of deployment.ecs.standalone) {
    if (task.deploymentId !== PLAN_STARTED_BY) v.push(`task ${task.arn}, started outside the service, is not started by ${PLAN_STARTED_BY}`);
    if (!(task.tags ?? []).some((t) => t.Key === CHANGE_TAG && t.Value === changeIdOf(scenario))) v.push(`task ${task.arn}, started outside the service, is not tagged with the change id`);
  }
  const out = (result.output ?? {}) as Record<string, unknown>;
  const outcome = scenario.input.dryRun === true ? 'DRY_RUN' : 'SUCCEEDED';
  if (result.status === 'SUCCEEDED' && out.outcome !== outcome) v.push(`the execution succeeded with outcome ${String(out.outcome)}, not ${outcome}`);
  if (out.outcome === 'SUCCEEDED') {
    const service = deployment.ecs.describeService();
    const expected: Record<string, unknown> = {
      changeId: changeIdOf(scenario),
      schemaVersionBefore: deployment.world.schemaVersion,
      schemaVersionAfter: db.schemaVersion,
      desiredCount: deployment.originalDesiredCount,
      taskDefinition: service.TaskDefinition,
    };
    for (const [key, value] of Object.entries(expected)) if (out[key] !== value) v.push(`the success record says ${key} ${JSON.stringify(out[key])}, the world ${JSON.stringify(value)}`);
    if (!versions.has(String(out.serviceVersionAfter))) v.push(`the success record says the service runs ${String(out.serviceVersionAfter)}`);
    // The record names the change's snapshot id; when the upgrade was to be sent, that snapshot was taken and is kept.
    const snapshotTaken = result.calls.some((c) => everyKind('snapshot').includes(c.state) && !c.error);
    if (snapshotTaken && !deployment.rds.snapshotIds().includes(String(out.snapshotId))) v.push('the success record names no snapshot that exists');
    const asked = deployment.sns.messages.some((m) => /approval/i.test(m.subject));
    const decision = !deployment.config.approval.required ? 'not required by configuration' : asked ? 'approved' : 'not needed';
    const recorded = (out.approval as { decision?: unknown } | undefined)?.decision;
    if (recorded !== decision) v.push(`the success record says the approval was ${String(recorded)}, not ${decision}`);
    v.push(...unendedWaits(out.waits, 'the success record', ''));
  }
  if (out.outcome === 'DRY_RUN') {
    const pending = out.migrationsToApply;
    const planTask = deployment.ecs.standalone.find((t) => t.arn === out.readFrom);
    if (out.currentSchemaVersion !== deployment.world.schemaVersion) v.push(`the plan says the schema is ${String(out.currentSchemaVersion)}`);
    if (!Array.isArray(pending)) v.push('the plan does not list the migrations to apply');
    if (out.originalDesiredCount !== deployment.originalDesiredCount) v.push(`the plan says the service runs ${String(out.originalDesiredCount)} tasks`);
    if (out.originalTaskDefinition !== deployment.originalTaskDefinition) v.push('the plan names another task definition');
    if (!planTask) v.push('the plan does not name the task it was read from');
    else if (out.image !== planTask.image) v.push(`the plan says it was read from ${String(out.image)}, the task ran ${planTask.image}`);
    const upgrades = ((out.stepsThatWouldRun ?? []) as string[]).some((step) => /Upgrade/.test(step));
    if (Array.isArray(pending) && upgrades !== pending.length > 0) v.push(`the plan ${upgrades ? 'upgrades' : 'does not upgrade'} with ${pending.length} migrations pending`);
  }
  const report = reportOf(result);
  if (report && report.changeId !== changeIdOf(scenario)) v.push('the report names another change');
  if (report && (report.error as { Error?: string } | undefined)?.Error !== result.error && report.outcome !== 'ROLLBACK_FAILED') {
    v.push('the report names another error than the execution');
  }
  if (report?.outcome === 'ROLLED_BACK') {
    const restored = db.restored && db.serving;
    if (report.databaseRestored !== restored) v.push(`the report says databaseRestored ${String(report.databaseRestored)}, the world ${restored}`);
    if (versions.size > 0 && !versions.has(String(report.serviceVersionAfterRollback))) v.push(`the report says the service answers ${String(report.serviceVersionAfterRollback)}`);
    // The rollback finished, so every wait it started has ended (a wait of the failed phase may not have).
    const rollback = result.states.find((r) => r.name === ROLLBACK_PARALLEL);
    if (rollback) v.push(...unendedWaits(report.waits, 'the report', new Date(rollback.enteredAt).toISOString()));
  }
  if (report?.outcome === 'ROLLBACK_FAILED') {
    // The report names every resource as it is: the original and the renamed instance, the service.
    type Described = { Error?: string };
    const resources = (report.resources ?? {}) as {
      dbInstances?: Described & { Instances?: { DbInstanceIdentifier?: string }[] };
      dbClusters?: Described & { Clusters?: { DbClusterIdentifier?: string }[] };
      service?: Described & { Services?: { ServiceName?: string }[] };
    };
    const clustersNamed = new Set((resources.dbClusters?.Clusters ?? []).map((c) => c.DbClusterIdentifier));
    for (const id of deployment.unrelatedClusters.keys()) {
      if (clustersNamed.has(id)) v.push(`the failed-rollback report describes DB cluster ${id}, which is not the runbook's`);
    }
    const named = new Set((resources.dbInstances?.Instances ?? []).map((i) => i.DbInstanceIdentifier));
    for (const instance of deployment.rds.instances) {
      const id = String(instance.d.DBInstanceIdentifier);
      // The account's other instances are not the change's: describing them only buries the ones that are.
      if (deployment.unrelatedInstances.has(id)) {
        if (named.has(id)) v.push(`the failed-rollback report describes instance ${id}, which is not the runbook's`);
        continue;
      }
      // A description that failed by a fault the rehearsal injected is reported as that error.
      if (!injected(resources.dbInstances) && !named.has(id)) v.push(`the failed-rollback report does not describe instance ${id}`);
    }
    if (!injected(resources.service) && resources.service?.Services?.[0]?.ServiceName !== deployment.config.deployment.serviceName) {
      v.push('the failed-rollback report does not describe the service');
    }
  }
  return v;
}

/** Waits of a record that started at or after `since` (ISO) but do not say when they ended. */
function unendedWaits(waits: unknown, where: string, since: string): string[] {
  return Object.entries((waits ?? {}) as Record<string, { StartedAt?: string; EndedAt?: string }>)
    .filter(([, w]) => (w.StartedAt ?? '') >= since && (!w.StartedAt || !w.EndedAt || w.StartedAt > w.EndedAt))
    .map(([name]) => `${where} does not say when the wait ${name} started and ended`);
}

/**
 * Every notification names the change (subject and text), the approval request carries the task
 * token, and a rollback and a restore are announced.
 */
export function notificationViolations(result: RehearsalResult, scenario: Scenario): string[] {
  const v: string[] = [];
  const messages = result.deployment.sns.messages;
  const change = changeIdOf(scenario);
  for (const m of messages) {
    const named = m.message.includes(change) || m.message.includes(result.deployment.executionName);
    if (!m.subject.includes(change) || !named) v.push(`a notification does not name the change: ${JSON.stringify(m.subject)}`);
    const token = (m.attributes.taskToken as { StringValue?: string } | undefined)?.StringValue;
    if (/approval/i.test(m.subject) && (!token || !m.message.includes(token))) v.push('the approval request does not carry the task token');
  }
  const report = reportOf(result);
  // Notifying is best effort: a publish the rehearsal made fail (the fault matrix) excuses the silence, nothing else does.
  const told = (subject: RegExp) => messages.some((m) => subject.test(m.subject)) || result.calls.some((c) => c.resource.includes(':sns:') && c.error === INJECTED_FAULT);
  if (report?.outcome === 'ROLLED_BACK' && !told(/rolled back/i)) v.push('the subscribers were not told of the rollback');
  if (report?.databaseRestored === true && !told(/restored/i)) v.push('the subscribers were not told the database was restored');
  return v;
}
