import { DB_INSTANCE_PARITY, membersOf } from '../handlers/logic/restore-parity';
import { renameKeys, sfnMemberName } from '../handlers/lib/sdk-casing';
import { allStates } from './assembly';
import type { RehearsalResult } from './run';

export const UPGRADE_STATE = 'Upgrade the database schema';
export const ROLLBACK_PARALLEL = 'Roll back';

/** Names of the states that belong to the failure branch (inside "Roll back", and the reports after it). */
export function rollbackStates(definition: Record<string, unknown>): Set<string> {
  const states = allStates(definition as never);
  const rollback = states.get(ROLLBACK_PARALLEL) as { Branches?: { States: Record<string, unknown> }[] } | undefined;
  const inside = new Set<string>();
  const walk = (s: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(s)) {
      inside.add(name);
      for (const b of ((state as { Branches?: { States: Record<string, unknown> }[] }).Branches ?? [])) walk(b.States);
    }
  };
  for (const branch of rollback?.Branches ?? []) walk(branch.States);
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
  const snapshotTaken = result.calls.some((c) => c.state === 'Take RDS snapshot' && !c.error);
  if (snapshotTaken && result.deployment.rds.snapshots.length === 0) v.push('the snapshot is gone');
  if (result.calls.some((c) => /delete/i.test(c.resource))) v.push('a delete call was made');
  // The plan task only reads: it must be stopping by the end, or the failure must name it left running.
  for (const t of result.deployment.ecs.standalone) {
    const named = result.error === 'PlanTaskNotStopped' && (result.cause ?? '').includes(t.arn);
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
  const dbId = deployment.config.deployment.dbInstanceIdentifier;
  const db = deployment.rds.find(dbId);
  const service = deployment.ecs.describeService();

  if (result.status === 'SUCCEEDED') v.push('the execution did not end FAILED');
  if (result.status !== 'SUCCEEDED' && !result.cause) v.push('the execution failed without a cause');
  const rollbackFailed = result.error === 'RollbackFailed';
  if (rollbackFailed && !opts.rollbackMayFail) v.push(`the rollback failed: ${result.cause}`);
  if (!rollbackFailed) {
    if (service.DesiredCount !== countBefore(result)) v.push(`the service runs ${service.DesiredCount} tasks, not the original ${countBefore(result)}`);
    if (service.TaskDefinition !== deployment.originalTaskDefinition) v.push(`the service runs ${String(service.TaskDefinition)}, not the original task definition`);
    if ((service.Deployments as unknown[]).length !== 1 || service.RunningCount !== service.DesiredCount) v.push('the service is not steady');
    // A restored instance may still take its first backup (backing-up): it serves all the same.
    const serving = deployment.rds.connect(dbId) !== null;
    const restored = db?.createdFrom !== undefined && serving;
    if (upgradeSent && !restored) v.push('the upgrade request was sent but the database was not restored');
    if (!upgradeSent && db?.createdFrom !== undefined) v.push('the database was restored although no upgrade request was sent');
    if (!serving) v.push('no database answers under the original identifier');
  } else {
    if (!/"dbInstances"/.test(result.cause ?? '') || !/"service"/.test(result.cause ?? '')) {
      v.push('the failed rollback does not report the state of the database and the service');
    }
    // Every instance the change left behind (the original, the one restored beside it) is named.
    for (const inst of deployment.rds.instances) {
      const id = String(inst.d.DBInstanceIdentifier);
      if (!(result.cause ?? '').includes(`"${id}"`)) v.push(`the failed rollback does not name the instance ${id}`);
    }
  }
  return v;
}

function countBefore(result: RehearsalResult): number {
  return result.deployment.originalDesiredCount;
}

/**
 * A restored database equals the original on every attribute the parity table says a restore puts
 * back (inherited from the snapshot, passed to the restore, or applied after it), under the
 * original identifier and endpoint. Each difference is named with both values.
 */
export function parityViolations(result: RehearsalResult): string[] {
  const { deployment } = result;
  const dbId = deployment.config.deployment.dbInstanceIdentifier;
  const restored = deployment.rds.find(dbId);
  if (!restored?.createdFrom) return [];
  // Compared as Step Functions describes them, which is what the runbook reads and writes.
  const original = asDescribed(deployment.originalInstance);
  const now = asDescribed(restored.d);
  const v: string[] = [];
  for (const member of [...membersOf('snapshot'), ...membersOf('restore'), ...membersOf('modify')]) {
    const rule = DB_INSTANCE_PARITY[member];
    if (rule.comparedWhen && !rule.comparedWhen(original)) continue;
    const key = sfnMemberName(member);
    const normalize = rule.normalize ?? ((x: unknown) => x);
    const [a, b] = [JSON.stringify(normalize(original[key]) ?? null), JSON.stringify(normalize(now[key]) ?? null)];
    if (a !== b) v.push(`${member}: the original had ${a}, the restored instance has ${b}`);
  }
  return v;
}

function asDescribed(d: unknown): Record<string, unknown> {
  return renameKeys(JSON.parse(JSON.stringify(d)), sfnMemberName) as Record<string, unknown>;
}
