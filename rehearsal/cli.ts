import { parseArgs } from 'node:util';
import { ConfigError } from '../infra/config';
import { APPROVAL_STATE } from '../workflows/fragments/approval';
import { synthesizeRunbook } from './assembly';
import { DEFAULT_FIXTURE, FIXTURE_NAMES, FIXTURES, findFixture } from './fixtures';
import { outcomeOf } from './outcome';
import { rehearse, type StateEvent } from './run';
import { findScenario, SCENARIOS } from './scenarios';

const HELP = `Usage: npm run rehearse -- [--scenario <name>] [--deployment <name>] [--reject] [--config <file>] [--quiet]

Runs the synthesized runbook state machine end to end against a simulated Metaflow deployment
(RDS, ECS and real Metaflow containers on 127.0.0.1), printing each state as it is entered and
left, then a summary: per-step times, downtime, state transitions. The approval gate is answered
automatically: approved, or rejected with --reject.

--config takes the settings of your configuration file (waits, approval, migration) and rehearses
them on the chosen deployment.

Deployments (--deployment, default ${DEFAULT_FIXTURE}):
${FIXTURE_NAMES.map((f) => `  ${f.padEnd(32)} ${FIXTURES[f].description}`).join('\n')}

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(32)} ${s.description}`).join('\n')}
`;

function clockText(seconds: number): string {
  const s = Math.round(seconds);
  return `+${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function printEvent(e: StateEvent): void {
  const r = e.record;
  if (r.name === APPROVAL_STATE && e.kind === 'entered') {
    process.stdout.write(`${clockText(e.elapsedSeconds)}  ⏸ ${r.name}: paused for an approver (the rehearsal answers for them; --reject to refuse)\n`);
    return;
  }
  if (r.type === 'Pass' || r.type === 'Choice') {
    if (e.kind === 'entered') process.stdout.write(`${clockText(e.elapsedSeconds)}  · ${r.name}\n`);
    return;
  }
  if (e.kind === 'entered') return;
  const took = ((r.exitedAt ?? r.enteredAt) - r.enteredAt) / 1000;
  const mark = { exited: '✓', caught: '✗ caught', failed: '✗', retried: '↻ retry', entered: '' }[e.kind];
  const detail = r.error && e.kind !== 'exited' ? ` (${r.error})` : '';
  process.stdout.write(`${clockText(e.elapsedSeconds)}  ${mark} ${r.name}${detail}${e.kind === 'retried' ? '' : `  [${took.toFixed(1)} s]`}\n`);
}

function readFlags() {
  try {
    return parseArgs({
      options: {
        scenario: { type: 'string', default: 'happy-path' },
        config: { type: 'string' },
        deployment: { type: 'string', default: DEFAULT_FIXTURE },
        quiet: { type: 'boolean', default: false },
        reject: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    // A mistyped flag gets a sentence and the usage, not a stack trace.
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const values = readFlags();
  if (!values) return 2;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const found = findScenario(values.scenario);
  const scenario = found && values.reject ? { ...found, world: { ...found.world, approval: 'reject' as const }, expect: { ...found.expect, status: 'FAILED' as const, error: 'ChangeRejected' } } : found;
  if (!scenario) {
    process.stderr.write(`--scenario: unknown scenario "${values.scenario}"; expected one of: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const fixture = findFixture(values.deployment);
  if (!fixture) {
    process.stderr.write(`--deployment: unknown deployment "${values.deployment}"; expected one of: ${FIXTURE_NAMES.join(', ')}\n`);
    return 2;
  }
  const synthStarted = Date.now();
  const assembly = synthesizeRunbook({ fixture: fixture.name, settingsPath: values.config });
  process.stdout.write(`Synthesized ${assembly.config.stackName} in ${((Date.now() - synthStarted) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`Scenario ${scenario.name}: ${scenario.description}\nInput: ${JSON.stringify(scenario.input)}\n\n`);
  const result = await rehearse({ assembly, scenario, onEvent: values.quiet ? undefined : printEvent });
  const outcome = outcomeOf(result);
  const m = result.metrics;
  const lines = [
    '',
    `Execution ${result.status}${result.error ? ` with ${result.error}` : ''}`,
    ...(result.status === 'SUCCEEDED' ? [`Output: ${JSON.stringify(result.output, null, 2)}`] : [`Cause: ${result.cause}`]),
    '',
    'Per step (virtual time):',
    ...m.steps.map((s) => `  ${s.step.padEnd(36)} start ${clockText(s.startSeconds)}  took ${s.durationSeconds.toFixed(0).padStart(5)} s`),
    '',
    `Runbook time:              ${m.totalSeconds.toFixed(0)} s, of which ${m.approvalWaitSeconds.toFixed(0)} s waiting for the approver; AWS operations in progress ${m.awsOperationSeconds.toFixed(0)} s ` +
      `(runbook time without the approval wait / AWS time: ${((m.totalSeconds - m.approvalWaitSeconds) / Math.max(1, m.awsOperationSeconds)).toFixed(2)})`,
    `Metadata service downtime: ${m.downtimeSeconds.toFixed(0)} s (no task running, or the database not answering; longest outage ${m.longestOutageSeconds.toFixed(0)} s; clients give up after ~31 s)`,
    `Database not answering:    ${m.databaseUnreachableSeconds.toFixed(0)} s`,
    `On fewer tasks:            ${m.reducedCapacitySeconds.toFixed(0)} s (reduced capacity)`,
    `Writes at risk:            ${m.writesAtRiskSeconds === null ? 'none (no snapshot taken)' : `${m.writesAtRiskSeconds.toFixed(0)} s (from the snapshot's start to ${outcome.databaseRestored ? 'the restore: lost' : 'the upgrade request'})`}`,
    ...(m.recoverySeconds === null ? [] : [`Failure to service back:   ${m.recoverySeconds.toFixed(0)} s`]),
    `State transitions:         ${m.stateTransitions}`,
    `Database:                  ${outcome.databaseRestored ? 'restored from the snapshot' : 'not restored'}, schema ${outcome.finalSchema}; snapshots kept: ${outcome.snapshotsKept.join(', ') || 'none'}`,
    `Service:                   ${outcome.desiredCount} tasks, ${outcome.taskDefinition.split('/').pop()}, versions ${outcome.finalServiceVersions.join(', ') || 'none running'}`,
    `Real time:                 ${(m.realMilliseconds / 1000).toFixed(2)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const expected = scenario.expect;
  const asExpected = result.status === expected.status && (expected.error ?? null) === result.error;
  process.stdout.write(`\nScenario expectation (${expected.status}${expected.error ? ` ${expected.error}` : ''}): ${asExpected ? 'met' : 'NOT met'}\n`);
  return asExpected ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`rehearsal failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
