/**
 * Proposed for rehearsal/scenarios.ts and rehearsal/invariants.ts: scenarios and invariants that kill
 * mutants the current tables let through. The mutation run uses them already; the lead folds them
 * into the rehearsal (test/proposed-scenarios.test.ts checks they hold for the real definition).
 */
import { allStates, type Json, type RunbookAssembly } from '../rehearsal/assembly';
import { parityViolations, ROLLBACK_PARALLEL } from '../rehearsal/invariants';
import type { RehearsalResult } from '../rehearsal/run';
import { findScenario, type Scenario } from '../rehearsal/scenarios';
import { GUIDE_STEPS, stepStartedBy } from '../workflows/steps';
import { jsonClone } from './definition/operators';

/** A configuration the runbook is synthesized with besides config/example.json. */
export type VariantName = 'default' | 'approval-off';
export const VARIANTS: Readonly<Record<VariantName, (example: Record<string, unknown>) => Record<string, unknown>>> = {
  default: (example) => example,
  // No scenario ran with the approval gate off, so "the upgrade was sent" and "the change was
  // approved" were never told apart (issue 12: the restore decision keyed on the approval survived).
  'approval-off': (example) => ({ ...example, approval: { ...(example.approval as object), required: false } }),
};

export interface ProposedScenario {
  readonly scenario: Scenario;
  readonly variant: VariantName;
  /**
   * The world acting at a named point of the run, written into the definition as a Task state that
   * calls the simulated AWS API (the rehearsal has no hook for outside actors yet; see the report).
   */
  readonly fixture?: (definition: Record<string, Json>, assembly: RunbookAssembly) => Record<string, Json>;
  /** The mutants it was written to kill, and why none of the current scenarios does. */
  readonly kills: string;
}

const base = (name: string): Scenario => {
  const found = findScenario(name);
  if (!found) throw new Error(`no scenario ${name} to build on`);
  return found;
};

/** The state a fixture inserts: an autoscaler (or a person) sets the service's desired count while the runbook works. */
export const outsideScaleState = (count: number) => `(world) an autoscaler sets the desired count to ${count}`;

/** Inserts a state that every transition into `target` passes through first. */
export function insertBefore(definition: Record<string, Json>, target: string, name: string, state: Record<string, Json>): Record<string, Json> {
  const copy = jsonClone(definition);
  const visit = (owner: Record<string, Json>): boolean => {
    const states = owner.States as Record<string, Record<string, Json>>;
    if (states[target]) {
      if (owner.StartAt === target) owner.StartAt = name;
      for (const s of Object.values(states)) {
        if (s.Next === target) s.Next = name;
        if (s.Default === target) s.Default = name;
        for (const rule of [...((s.Choices ?? []) as Record<string, Json>[]), ...((s.Catch ?? []) as Record<string, Json>[])]) {
          if (rule.Next === target) rule.Next = name;
        }
      }
      states[name] = { ...state, Next: target };
      return true;
    }
    return Object.values(states).some((s) => ((s.Branches ?? []) as Record<string, Json>[]).some(visit));
  };
  if (!visit(copy)) throw new Error(`no state ${target} to insert before`);
  return copy;
}

const scaleBefore = (target: string, count: number) => (definition: Record<string, Json>, assembly: RunbookAssembly) =>
  insertBefore(definition, target, outsideScaleState(count), {
    Type: 'Task',
    Comment: 'Not part of the runbook: the rehearsal world acting through the simulated ECS API.',
    Resource: 'arn:aws:states:::aws-sdk:ecs:updateService',
    Parameters: { Cluster: assembly.config.deployment.clusterName, Service: assembly.config.deployment.serviceName, DesiredCount: count },
    ResultPath: null,
  });

const upgrade500 = base('upgrade-returns-500');
/** Settings an RDS restore would not give the instance unless told (see RESTORE_DEFAULTS in the simulation). */
const NON_DEFAULT_SETTINGS = {
  Endpoint: { Port: 5433, Address: 'metaflow-db.simulated.eu-west-1.rds.amazonaws.com' },
  OptionGroupMemberships: [{ OptionGroupName: 'metaflow-postgres15-options' }],
  PubliclyAccessible: true,
};
const happy = base('happy-path');
const dryRun = base('dry-run');

export const PROPOSED_SCENARIOS: readonly ProposedScenario[] = [
  {
    scenario: {
      ...upgrade500,
      name: 'approval-off-upgrade-returns-500',
      description: 'As upgrade-returns-500 with approval.required false: the upgrade was sent without any approval, and the database is restored.',
    },
    variant: 'approval-off',
    kills: 'a restore decision keyed on the approval instead of the upgrade request (every restoring scenario had both)',
  },
  {
    scenario: {
      ...upgrade500,
      name: 'restore-keeps-non-default-settings',
      description: 'As upgrade-returns-500 on an instance whose settings all differ from what a restore defaults to: port 5433, its own option group, publicly accessible. The restored instance has them all.',
      world: { ...upgrade500.world, dbSettings: NON_DEFAULT_SETTINGS },
    },
    variant: 'default',
    kills: 'a restore that leaves out Port, OptionGroupName or PubliclyAccessible (every world had the default value, so leaving it out restored the same)',
  },
  {
    scenario: {
      ...upgrade500,
      name: 'restore-keeps-non-default-settings-without-iops',
      description: 'The same on magnetic storage without provisioned IOPS: the restore without Iops must still pass the storage type and every other setting.',
      world: { ...upgrade500.world, dbSettings: { ...NON_DEFAULT_SETTINGS, StorageType: 'standard', Iops: undefined } },
    },
    variant: 'default',
    kills: 'the restore without IOPS leaving out StorageType (its only world used gp2, the default)',
  },
  {
    scenario: {
      ...happy,
      name: 'scaled-out-before-the-migration',
      description: 'An autoscaler puts the service back to two tasks after the restart for the migration: the upgrade must not be sent; the service goes back, the database is kept.',
      expect: { status: 'FAILED', error: 'MoreThanOneTask', databaseRestored: false, finalSchema: upgrade500.expect.finalSchema, finalServiceVersion: upgrade500.expect.finalServiceVersion },
    },
    variant: 'default',
    fixture: scaleBefore('List the running tasks (for the migration)', 2),
    kills: 'the one-task guard before the upgrade looking at the wrong task (no scenario had two tasks running there)',
  },
  {
    scenario: {
      ...happy,
      name: 'scaled-out-before-the-version-check',
      description: 'An autoscaler puts the service back to two tasks after the restart on the new schema: the version is not read from one of two tasks; the database is restored.',
      expect: { status: 'FAILED', error: 'MoreThanOneTask', databaseRestored: true, finalSchema: upgrade500.expect.finalSchema, finalServiceVersion: upgrade500.expect.finalServiceVersion },
    },
    variant: 'default',
    fixture: scaleBefore('List the running tasks (on the new schema)', 2),
    kills: 'the one-task guard after the second restart looking at the wrong task',
  },
  {
    scenario: {
      ...happy,
      name: 'autoscaler-holds-two-tasks-during-scale-to-one',
      description: 'An autoscaler sets the count back to two right after the scale to one: the wait for one task gives up at its bound; nothing was upgraded, the database is kept.',
      expect: { status: 'FAILED', error: 'ServiceNotSteadyInTime', databaseRestored: false, finalSchema: upgrade500.expect.finalSchema, finalServiceVersion: upgrade500.expect.finalServiceVersion },
    },
    variant: 'default',
    fixture: scaleBefore('Wait for one running task', 2),
    kills: 'the wait for one task without its attempts bound (no scenario kept the service from settling at one task)',
  },
  {
    scenario: {
      ...happy,
      name: 'autoscaler-scales-out-during-scale-back',
      description: 'An autoscaler sets the count to three right after the scale back: the wait for the original count gives up at its bound, and the database is restored (the upgrade was sent).',
      expect: { status: 'FAILED', error: 'ServiceNotSteadyInTime', databaseRestored: true, finalSchema: upgrade500.expect.finalSchema, finalServiceVersion: upgrade500.expect.finalServiceVersion },
    },
    variant: 'default',
    fixture: scaleBefore('Wait for the original count running', 3),
    kills: 'the wait for the original count without its attempts bound',
  },
  {
    scenario: {
      ...dryRun,
      name: 'dry-run-with-migrations-pending',
      description: 'A dry run where the running task already knows the newer schema: the plan lists the migrations and the upgrade step.',
      world: { ...dryRun.world, runningImage: 'netflixoss/metaflow_metadata_service:v2.5.1' },
      expect: { ...dryRun.expect, finalServiceVersion: undefined },
    },
    variant: 'default',
    kills: 'the dry run\'s plan of an upgrade skipped or mislabelled (every dry run found nothing pending)',
  },
  {
    scenario: { ...dryRun, name: 'dry-run-on-one-task', description: 'A dry run on a service of one task: the plan reads the status from that task.', world: { ...dryRun.world, desiredCount: 1 } },
    variant: 'default',
    kills: 'the dry run\'s "is a task running?" looking at the second task (every dry run had two)',
  },
  {
    scenario: { ...upgrade500, name: 'rollback-on-one-task', description: 'As upgrade-returns-500 on a service of one task: the rollback finds and checks that task.', world: { ...upgrade500.world, desiredCount: 1 } },
    variant: 'default',
    kills: 'the rollback\'s "is a task running?" looking at the second task (every rollback ran two)',
  },
  {
    scenario: {
      ...upgrade500,
      name: 'original-image-no-longer-starts',
      description: 'The upgrade fails, and the original release no longer starts (its tag now names a crashing build): the rollback restart gives up at its bound and the failed rollback is reported.',
      input: { ...upgrade500.input, targetImage: 'netflixoss/metaflow_metadata_service:v2.5.1' },
      world: { ...upgrade500.world, crashingImages: [upgrade500.world.taskDefinitionImage] },
      expect: { status: 'FAILED', error: 'RollbackFailed', databaseRestored: true, finalSchema: upgrade500.expect.finalSchema },
    },
    variant: 'default',
    kills: 'the rollback restart\'s wait without its bound, or without its pause (no rollback restart ever failed)',
  },
];

/**
 * Promises the runbook makes that invariants.ts does not check yet. Empty when all hold.
 * - The guide's steps start in the guide's order (step 18, the version check, before 19-20, the scale back).
 * - A restored instance has every setting the original had (same port, groups, class, storage,
 *   windows, tags), unless the rollback failed.
 * - The service restarts on its original release only once the database stopped changing.
 * - A wait that gives up has looked as often and as long as its bound says.
 * - The record tells the truth: the success record, the dry run's plan and the failure report say
 *   what the world shows (versions, counts, the restore, the snapshot), and every snapshot and
 *   notification names the change.
 */
export function proposedInvariantViolations(result: RehearsalResult, scenario: Scenario, definition: Record<string, Json>): string[] {
  return [
    ...guideOrderViolations(result),
    ...patienceViolations(result, definition),
    ...parityViolations(result),
    ...restartAfterDatabaseViolations(result),
    ...recordViolations(result, scenario),
    ...notificationViolations(result, scenario),
  ];
}

const changeIdOf = (scenario: Scenario) => String(scenario.input.changeId);
/** The fault matrix's injected error (mutation/definition/checks.ts): a failure the runbook may report as such. */
export const INJECTED_FAULT = 'Injected.Fault';
const injectedFault = (e: unknown) => (e as { Error?: unknown } | undefined)?.Error === INJECTED_FAULT;
const CHANGE_TAG = 'metaflow-migration:change-id';

function restartAfterDatabaseViolations(result: RehearsalResult): string[] {
  const restart = result.calls.find((c) => c.state === 'Restart the service on the original release' && !c.error);
  if (!restart) return [];
  const busyUntil = Math.max(0, ...result.deployment.operations.filter((o) => ['rename', 'restore', 'modify'].includes(o.kind) && o.start <= restart.at).map((o) => o.end));
  return busyUntil > restart.at ? [`the service was restarted ${(busyUntil - restart.at) / 1000} s before the database stopped changing`] : [];
}

const GAVE_UP = ': gave up';

/**
 * A bounded wait (BoundedPoll: "<title>", "<title>: pause", "<title>: gave up") gives up only after
 * its attempts rule held: as many looks as the rule's bound, its pause between each two.
 */
function patienceViolations(result: RehearsalResult, definition: Record<string, Json>): string[] {
  const states = allStates(definition);
  const v: string[] = [];
  for (const [i, record] of result.states.entries()) {
    if (!record.name.endsWith(GAVE_UP)) continue;
    const title = record.name.slice(0, -GAVE_UP.length);
    const pause = Number(states.get(`${title}: pause`)?.Seconds ?? 0);
    const deciders = new Map<string, number>();
    for (const [name, state] of states) {
      for (const rule of (state.Choices ?? []) as Record<string, Json>[]) {
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

export function recordViolations(result: RehearsalResult, scenario: Scenario): string[] {
  const { deployment } = result;
  const v: string[] = [];
  const db = deployment.rds.find(deployment.config.deployment.dbInstanceIdentifier);
  const versions = new Set(deployment.serviceVersions());
  for (const snap of deployment.rds.snapshots) {
    const tags = snap.tags as { Key?: string; Value?: string }[];
    if (!tags.some((t) => t.Key === CHANGE_TAG && t.Value === changeIdOf(scenario))) v.push(`snapshot ${snap.id} is not tagged with the change id`);
  }
  const out = (result.output ?? {}) as Record<string, unknown>;
  const outcome = scenario.input.dryRun === true ? 'DRY_RUN' : 'SUCCEEDED';
  if (result.status === 'SUCCEEDED' && out.outcome !== outcome) v.push(`the execution succeeded with outcome ${String(out.outcome)}, not ${outcome}`);
  if (out.outcome === 'SUCCEEDED') {
    const expected: Record<string, unknown> = {
      changeId: changeIdOf(scenario),
      schemaVersionBefore: deployment.world.schemaVersion,
      schemaVersionAfter: db?.db.schemaVersion,
      desiredCount: deployment.world.desiredCount,
    };
    for (const [key, value] of Object.entries(expected)) if (out[key] !== value) v.push(`the success record says ${key} ${JSON.stringify(out[key])}, the world ${JSON.stringify(value)}`);
    if (!versions.has(String(out.serviceVersionAfter))) v.push(`the success record says the service runs ${String(out.serviceVersionAfter)}`);
    if (!deployment.rds.snapshots.some((snap) => snap.id === out.snapshotId)) v.push('the success record names no snapshot that exists');
    const asked = deployment.sns.messages.some((m) => /approval/i.test(m.subject));
    const decision = !deployment.config.approval.required ? 'not required by configuration' : asked ? 'approved' : 'not needed';
    const recorded = (out.approval as { decision?: unknown } | undefined)?.decision;
    if (recorded !== decision) v.push(`the success record says the approval was ${String(recorded)}, not ${decision}`);
    v.push(...unendedWaits(out.waits, 'the success record', ''));
  }
  if (out.outcome === 'DRY_RUN') {
    const pending = out.migrationsToApply as unknown[] | undefined;
    // Every simulated service answers its status: a plan without it is right only under an injected fault.
    if (out.statusError !== undefined && !injectedFault(out.statusError)) v.push(`the plan could not read the schema status: ${JSON.stringify(out.statusError).slice(0, 200)}`);
    if (out.statusError === undefined && out.currentSchemaVersion !== deployment.world.schemaVersion) v.push(`the plan says the schema is ${String(out.currentSchemaVersion)}`);
    if (out.statusError === undefined && !Array.isArray(pending)) v.push('the plan does not list the migrations to apply');
    if (out.originalDesiredCount !== deployment.world.desiredCount) v.push(`the plan says the service runs ${String(out.originalDesiredCount)} tasks`);
    if (out.originalTaskDefinition !== deployment.originalTaskDefinition) v.push('the plan names another task definition');
    if (!deployment.ecs.tasks.some((t) => t.arn === out.statusReadFrom)) v.push('the plan does not name the task the status was read from');
    const upgrades = ((out.stepsThatWouldRun ?? []) as string[]).some((step) => /Upgrade/.test(step));
    if (Array.isArray(pending) && upgrades !== pending.length > 0) v.push(`the plan ${upgrades ? 'upgrades' : 'does not upgrade'} with ${pending.length} migrations pending`);
  }
  const report = reportOf(result);
  if (report?.outcome === 'ROLLED_BACK') {
    const restored = db?.createdFrom !== undefined && db.d.DBInstanceStatus === 'available';
    if (report.databaseRestored !== restored) v.push(`the report says databaseRestored ${String(report.databaseRestored)}, the world ${restored}`);
    if ((report.error as { Error?: string } | undefined)?.Error !== result.error) v.push('the report names another error than the execution');
    if (report.changeId !== changeIdOf(scenario)) v.push('the report names another change');
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
      service?: Described & { Services?: { ServiceName?: string }[] };
    };
    // A description that failed by a fault the rehearsal injected (the fault matrix) is reported as that error.
    const injected = injectedFault;
    const named = new Set((resources.dbInstances?.Instances ?? []).map((i) => i.DbInstanceIdentifier));
    for (const instance of deployment.rds.instances) {
      const id = String(instance.d.DBInstanceIdentifier);
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

/** The failure report a FAILED execution carries as its cause, if the cause is one. */
export function reportOf(result: RehearsalResult): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(result.cause ?? '') as unknown;
    return parsed && typeof parsed === 'object' && 'outcome' in parsed ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function notificationViolations(result: RehearsalResult, scenario: Scenario): string[] {
  const v: string[] = [];
  const messages = result.deployment.sns.messages;
  for (const m of messages) {
    const named = m.message.includes(changeIdOf(scenario)) || m.message.includes(result.deployment.executionName);
    if (!m.subject.includes(changeIdOf(scenario)) || !named) {
      v.push(`a notification does not name the change: ${JSON.stringify(m.subject)}`);
    }
    const token = (m.attributes.taskToken as { StringValue?: string } | undefined)?.StringValue;
    if (/approval/i.test(m.subject) && (!token || !m.message.includes(token))) v.push('the approval request does not carry the task token');
  }
  const report = reportOf(result);
  if (report?.outcome === 'ROLLED_BACK' && !messages.some((m) => /rolled back/i.test(m.subject))) v.push('the subscribers were not told of the rollback');
  if (report?.databaseRestored === true && !messages.some((m) => /restored/i.test(m.subject))) v.push('the subscribers were not told the database was restored');
  return v;
}

function guideOrderViolations(result: RehearsalResult): string[] {
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
