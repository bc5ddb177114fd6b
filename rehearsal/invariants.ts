import { pinnedImage } from '../handlers/logic/retarget-task-definition';
import { imageDigest } from './sim/ecs';
import { renameKeys, sfnMemberName } from '../handlers/lib/sdk-casing';
import { CLUSTER_MEMBER_PARITY, DB_CLUSTER_PARITY } from '../handlers/logic/cluster-parity';
import { DB_INSTANCE_PARITY, parityDifferences } from '../handlers/logic/restore-parity';
import { DATABASE_STATE_NAMES } from '../workflows/database/names';
import { nestedStates } from '../workflows/asl';
import { allStates } from './assembly';
import type { RehearsalResult } from './run';

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
      if (!cause.includes(`"${id}"`)) v.push(`the failed rollback does not name the cluster ${id}`);
    }
    for (const inst of deployment.rds.instances) {
      const id = String(inst.d.DBInstanceIdentifier);
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
