import type { Json } from '../../rehearsal/assembly';
import { FIXTURE_NAMES, type FixtureName } from '../../rehearsal/fixtures';
import { invariantViolations, parityViolations } from '../../rehearsal/invariants';
import { rehearse } from '../../rehearsal/run';
import { findScenario, type Scenario } from '../../rehearsal/scenarios';
import { requestsBuiltWhole } from '../support/definition-reads';
import type { Baseline } from '../support/fault-matrix';
import { recordedMatrix } from '../support/matrix-suite';

/**
 * Every key of the requests preflight builds for the restore (the restore itself, the settings it
 * cannot take, the backups turned back on), as preflight built them in each fixture's baseline,
 * dropped one at a time from the call as it reaches AWS: some fixture must notice, through the
 * parity invariant, the rollback invariants, or the call itself failing. A key no fixture notices
 * is either not needed or not checked, and fails here by name.
 */
/**
 * Keys no fixture notices today, each with why. Their tests pass while that stays so, and fail (to
 * be taken off this list) once a rehearsal notices them: a new unnoticed key is a failure by name.
 */
const inherited = (api: string) => `a restore takes it from the snapshot when it is not given (${api}), as the simulated RDS does: no rehearsal can notice it, and AWS would not either`;
const INHERITED = inherited('RestoreDBInstanceFromDBSnapshot');
const DEFAULT_EVERYWHERE = "every fixture has AWS's default value, which the restore gives when it is not passed: only a deployment with another value would notice it";
const UNNOTICED_KEYS: Readonly<Record<string, string>> = {
  'Restore the snapshot beside the original / DbInstanceClass': INHERITED,
  'Restore the snapshot beside the original / Port': INHERITED,
  'Restore the snapshot beside the original / Iops': INHERITED,
  'Restore the snapshot beside the original / StorageThroughput': INHERITED,
  'Restore the snapshot beside the original / OptionGroupName': `${DEFAULT_EVERYWHERE} (the engine's default option group)`,
  'Restore the snapshot beside the original / PubliclyAccessible': `${DEFAULT_EVERYWHERE} (false)`,
  'Restore the snapshot beside the original / NetworkType': `${DEFAULT_EVERYWHERE} (IPV4)`,
  'Restore the snapshot beside the original / BackupTarget': `${DEFAULT_EVERYWHERE} (region)`,
  'Restore the snapshot beside the original / EngineLifecycleSupport': `${DEFAULT_EVERYWHERE} (open-source-rds-extended-support)`,
  'Apply the settings the restore cannot set / DatabaseInsightsMode': `${DEFAULT_EVERYWHERE} (standard)`,
  'Apply the settings the restore cannot set / PerformanceInsightsKMSKeyId': `${DEFAULT_EVERYWHERE} (the aws/rds key)`,
  'Apply the settings the restore cannot set / PerformanceInsightsRetentionPeriod': `${DEFAULT_EVERYWHERE} (7 days)`,
  // The one Aurora fixture is the Terraform module's cluster, which sets none of these.
  'Restore the cluster beside the original / Port': inherited('RestoreDBClusterFromSnapshot'),
  'Restore the cluster beside the original / EngineMode': `${DEFAULT_EVERYWHERE} (provisioned)`,
  'Restore the cluster beside the original / EngineLifecycleSupport': `${DEFAULT_EVERYWHERE} (open-source-rds-extended-support)`,
  'Restore the cluster beside the original / DbClusterParameterGroupName': `${DEFAULT_EVERYWHERE} (the engine's default cluster parameter group)`,
  'Restore the cluster beside the original / NetworkType': `${DEFAULT_EVERYWHERE} (IPV4)`,
  'Restore the cluster beside the original / StorageType': `${DEFAULT_EVERYWHERE} (aurora)`,
  'Restore the cluster beside the original / BackupRetentionPeriod': `${DEFAULT_EVERYWHERE} (1 day)`,
  'Restore the cluster beside the original / CopyTagsToSnapshot': `${DEFAULT_EVERYWHERE} (false)`,
  'Restore the cluster beside the original / DeletionProtection': `${DEFAULT_EVERYWHERE} (false)`,
  'Restore the cluster beside the original / EnableIAMDatabaseAuthentication': `${DEFAULT_EVERYWHERE} (false)`,
  'Apply the cluster settings the restore cannot set / AutoMinorVersionUpgrade': `${DEFAULT_EVERYWHERE} (true)`,
  'Apply the cluster settings the restore cannot set / DatabaseInsightsMode': `${DEFAULT_EVERYWHERE} (standard)`,
  'Apply the cluster settings the restore cannot set / ApplyImmediately':
    'with every setting this call puts back at its default on the one Aurora fixture, the call changes nothing, so when it is applied cannot show',
};

const matrices = FIXTURE_NAMES.map((fixture) => recordedMatrix(fixture));
// Each database kind builds its own requests (an instance's restore, a cluster's and its instances'):
// the union over the fixtures' definitions, each state once.
const requests = [...new Map(matrices.flatMap((m) => requestsBuiltWhole(m.definition)).map((r) => [r.state, r])).values()];

/** The first baseline that sent the request and whose rollback did not fail: the request as a restore sends it. */
const sentIn = (baselines: readonly Baseline[], state: string) =>
  baselines.filter((b) => b.error !== 'RollbackFailed').flatMap((b) => b.calls.filter((c) => c.state === state && !c.error).map((c) => ({ base: b, input: c.input as Record<string, Json> })))[0];

const cases = requests.flatMap(({ state }) => {
  const keys = new Set(matrices.flatMap((m) => Object.keys(sentIn(m.baselines, state)?.input ?? {})));
  return [...keys].map((key) => ({ state, key }));
});
const noticed: string[] = [];

/**
 * A key that only makes the restore faster (automated backups off until the end: with them on, the
 * restored instance spends hours on its first backup and refuses the swap meanwhile) is noticed by
 * how long the service took to come back, on the simulation's clock, not by what was restored.
 */
const SLOWER_BY_SECONDS = 600;
function slowerRecovery(baseline: number | null, dropped: number | null): string[] {
  if (baseline === null || dropped === null || dropped - baseline < SLOWER_BY_SECONDS) return [];
  return [`the service came back ${(dropped - baseline).toFixed(0)} s later than without the fault (${baseline.toFixed(0)} s)`];
}

afterAll(() => {
  console.log(`What notices each key of the requests preflight builds, dropped:\n${noticed.join('\n')}`);
});

describe('every key of the requests preflight builds for a restore is needed', () => {
  it('finds the requests preflight builds whole, and their keys', () => {
    expect(requests.map((r) => r.state).length).toBeGreaterThanOrEqual(3);
    expect(cases.length).toBeGreaterThanOrEqual(requests.length * 2);
  });

  const title = (key: string, state: string) => {
    const unnoticed = UNNOTICED_KEYS[`${state} / ${key}`];
    return unnoticed
      ? `dropping ${key} from "${state}" is noticed by no fixture [listed: ${unnoticed}]`
      : `dropping ${key} from "${state}" makes a rehearsal fail an invariant on some fixture`;
  };
  it.each(cases.map((c) => [title(c.key, c.state), c.key, c.state] as const))('%s', async (_title, key, state) => {
    const listed = UNNOTICED_KEYS[`${state} / ${key}`] !== undefined;
    const tried: string[] = [];
    for (const matrix of matrices) {
      const sent = sentIn(matrix.baselines, state);
      if (!sent || !(key in sent.input)) continue;
      const result = await rehearse({
        assembly: matrix.assembly,
        scenario: findScenario(sent.base.scenario) as Scenario,
        fault: { kind: 'drop-request-key', state, key },
      });
      const call = result.calls.find((c) => c.state === state && c.injected);
      const why = [
        ...(call?.error ? [`the call failed: ${call.error}`] : []),
        ...parityViolations(result).map((p) => `parity: ${p}`),
        ...invariantViolations(result, { rollbackMayFail: false }),
        ...slowerRecovery(sent.base.recoverySeconds, result.metrics.recoverySeconds),
      ];
      tried.push(`${matrix.fixture}${call ? '' : ' (the call was never made)'}`);
      if (call && why.length > 0) {
        noticed.push(`  ${state} / ${key}: ${noticedBy(matrix.fixture, sent.base.scenario, why)}`);
        expect({ key, state, noticedOn: matrix.fixture, listedAsUnnoticed: listed }).toEqual({ key, state, noticedOn: matrix.fixture, listedAsUnnoticed: false });
        return;
      }
    }
    noticed.push(`  ${state} / ${key}: no fixture (tried ${tried.join(', ')})${listed ? ', as listed' : ''}`);
    expect({ key, state, noticedOn: `no fixture (tried ${tried.join(', ') || 'none'})` }).toEqual({ key, state, noticedOn: listed ? expect.stringMatching(/^no fixture \(tried \w/) : 'some fixture' });
  });

  it('lists as unnoticed only keys preflight builds', () => {
    const built = new Set(cases.map((c) => `${c.state} / ${c.key}`));
    expect(Object.keys(UNNOTICED_KEYS).filter((k) => !built.has(k))).toEqual([]);
  });
});

function noticedBy(fixture: FixtureName, scenario: string, why: string[]): string {
  return `${fixture}, ${scenario}: ${why[0]}${why.length > 1 ? ` (+${why.length - 1} more)` : ''}`;
}
