import { parseArgs } from 'node:util';
import { APPROVAL_STATE } from '../handlers/logic/pending-approval';
import { type RunbookAssembly, type SynthesisOptions, synthesizeRunbook } from './assembly';
import { DEFAULT_FIXTURE, FIXTURE_NAMES, FIXTURES, findFixture } from './fixtures';
import { type RunEvent, RehearsalReader } from '../cli/events';
import { reduceProgress } from '../cli/progress';
import { buildReport } from '../cli/report';
import { conclusion, progressView } from '../cli/view';
import { outcomeOf } from './outcome';
import { rehearse, type StateEvent } from './run';
import { findScenario, SCENARIOS } from './scenarios';

const HELP = `Usage: npm run rehearse -- [--scenario <name>] [--deployment <name>] [--reject] [--config <file>] [--trace] [--quiet]

Runs the synthesized runbook state machine end to end against a simulated Metaflow deployment
(RDS, ECS and real Metaflow containers on 127.0.0.1). It prints one line per guide step as
\`runbook watch\` shows an execution in AWS, how the execution ended and why, then the figures:
time the metadata service did not answer, time on fewer tasks, writes at risk, runbook time over
AWS time, state transitions. The approval gate is answered by the scenario's people through the
rehearsal's endpoint (a function URL on loopback that checks their SigV4 signatures): approved by
default, or rejected with --reject. Times are virtual: a rehearsal of hours takes seconds.

--trace   also prints every state as it is entered and left (polling included) and the output
--quiet   prints only the ending and the figures

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

function printEvent(out: Writer, e: StateEvent): void {
  const r = e.record;
  if (r.name === APPROVAL_STATE && e.kind === 'entered') {
    out.write(`${clockText(e.elapsedSeconds)}  ⏸ ${r.name}: paused for an approver (the scenario's people answer through the endpoint; --reject to refuse)\n`);
    return;
  }
  if (r.type === 'Pass' || r.type === 'Choice') {
    if (e.kind === 'entered') out.write(`${clockText(e.elapsedSeconds)}  · ${r.name}\n`);
    return;
  }
  if (e.kind === 'entered') return;
  const took = ((r.exitedAt ?? r.enteredAt) - r.enteredAt) / 1000;
  const mark = { exited: '✓', caught: '✗ caught', failed: '✗', retried: '↻ retry', entered: '' }[e.kind];
  const detail = r.error && e.kind !== 'exited' ? ` (${r.error})` : '';
  out.write(`${clockText(e.elapsedSeconds)}  ${mark} ${r.name}${detail}${e.kind === 'retried' ? '' : `  [${took.toFixed(1)} s]`}\n`);
}

function readFlags(args: readonly string[], err: Writer) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        scenario: { type: 'string', default: 'happy-path' },
        config: { type: 'string' },
        deployment: { type: 'string', default: DEFAULT_FIXTURE },
        quiet: { type: 'boolean', default: false },
        trace: { type: 'boolean', default: false },
        reject: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    // A mistyped flag gets a sentence and the usage, not a stack trace.
    err.write(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return undefined;
  }
}

/** Where the command writes: the process's streams, or a test's. */
export interface Writer {
  write(text: string): unknown;
}

/**
 * `npm run rehearse`: one scenario on one simulated deployment, shown as `runbook watch` shows an
 * execution, then the figures. Returns the exit code: 0 when the scenario ended as it expects.
 */
export async function rehearseCommand(
  args: readonly string[],
  io: { readonly out: Writer; readonly err: Writer },
  synthesize: (options: SynthesisOptions) => RunbookAssembly = synthesizeRunbook,
): Promise<number> {
  const { out, err } = io;
  const values = readFlags(args, err);
  if (!values) return 2;
  if (values.help) {
    out.write(HELP);
    return 0;
  }
  const found = findScenario(values.scenario);
  const scenario =
    found && values.reject
      ? { ...found, world: { ...found.world, approvals: undefined, approval: 'reject' as const }, expect: { ...found.expect, status: 'FAILED' as const, error: 'ChangeRejected' } }
      : found;
  if (!scenario) {
    err.write(`--scenario: unknown scenario "${values.scenario}"; expected one of: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const fixture = findFixture(values.deployment);
  if (!fixture) {
    err.write(`--deployment: unknown deployment "${values.deployment}"; expected one of: ${FIXTURE_NAMES.join(', ')}\n`);
    return 2;
  }
  const synthStarted = Date.now();
  const assembly = synthesize({ fixture: fixture.name, settingsPath: values.config });
  const synthSeconds = (Date.now() - synthStarted) / 1000;
  out.write(`Rehearsal of ${scenario.name} on the ${fixture.name} deployment: ${scenario.description}\n`);

  // The same view as `runbook watch`: the rehearsal's events read as an execution history.
  const reader = new RehearsalReader();
  const onStart = ({ name, input }: { name: string; input: unknown }) => {
    reader.started(input);
    out.write(`Execution ${name}, ${scenario.world.startedBy ? "started through the runbook's endpoint" : 'started as typed in the console'}. Input: ${JSON.stringify(input)}\n\n`);
  };
  const events: RunEvent[] = [];
  // One line per step change, as in a log: the virtual clock runs too fast for a redraw in place.
  const view = progressView({ stdout: out, now: () => new Date() }, { json: values.quiet });
  const onEvent = (e: StateEvent) => {
    if (values.trace) printEvent(out, e);
    events.push(...reader.read(e));
    if (!values.trace) view.update(reduceProgress(events));
  };
  const result = await rehearse({ assembly, scenario, onEvent, onStart });
  events.push(...reader.finish(result));
  if (!values.trace) view.update(reduceProgress(events));
  const record = buildReport(events);
  const outcome = outcomeOf(result);
  const m = result.metrics;
  const lines = [
    '',
    conclusion(record),
    ...(values.trace ? [result.status === 'SUCCEEDED' ? `Output: ${JSON.stringify(result.output, null, 2)}` : `Cause: ${result.cause}`] : []),
    '',
    'Figures (virtual time):',
    `  Metadata service not answering: ${m.downtimeSeconds.toFixed(0)} s (no task running, or the database not answering; longest outage ${m.longestOutageSeconds.toFixed(0)} s; clients give up after ~31 s)`,
    `  Database not answering:         ${m.databaseUnreachableSeconds.toFixed(0)} s`,
    `  On fewer tasks:                 ${m.reducedCapacitySeconds.toFixed(0)} s`,
    `  Writes at risk:                 ${m.writesAtRiskSeconds === null ? 'none (no snapshot taken)' : `${m.writesAtRiskSeconds.toFixed(0)} s (from the snapshot's start to ${outcome.databaseRestored ? 'the restore: lost' : 'the upgrade request'})`}`,
    ...(m.recoverySeconds === null ? [] : [`  Failure to service back:        ${m.recoverySeconds.toFixed(0)} s`]),
    `  Runbook time:                   ${m.totalSeconds.toFixed(0)} s, ${m.approvalWaitSeconds.toFixed(0)} s of it waiting for the approver; AWS operations ${m.awsOperationSeconds.toFixed(0)} s ` +
      `(runbook without the approval / AWS: ${((m.totalSeconds - m.approvalWaitSeconds) / Math.max(1, m.awsOperationSeconds)).toFixed(2)})`,
    ...(result.approvalAttempts.length === 0
      ? []
      : [
          `  Approval answers:               ${result.approvalAttempts
            .map((a) => `${a.by} ${a.decision} via ${a.via}: ${a.status}${typeof a.answer.error === 'string' ? ` ${a.answer.error}` : typeof a.answer.Message === 'string' || typeof a.answer.message === 'string' ? ' refused before the function ran' : ''}`)
            .join('; ')}`,
        ]),
    `  State transitions:              ${m.stateTransitions}`,
    `  Database at the end:            ${outcome.databaseRestored ? 'restored from the snapshot' : 'not restored'}, schema ${outcome.finalSchema}; snapshots kept: ${outcome.snapshotsKept.join(', ') || 'none'}`,
    `  Service at the end:             ${outcome.desiredCount} tasks, ${outcome.taskDefinition.split('/').pop()}, versions ${outcome.finalServiceVersions.join(', ') || 'none running'}`,
    `  Real time:                      synth ${synthSeconds.toFixed(1)} s, rehearsal ${(m.realMilliseconds / 1000).toFixed(2)} s`,
  ];
  out.write(`${lines.join('\n')}\n`);
  const expected = scenario.expect;
  const asExpected = result.status === expected.status && (expected.error ?? null) === result.error;
  out.write(`\nScenario expectation (${expected.status}${expected.error ? ` ${expected.error}` : ''}): ${asExpected ? 'met' : 'NOT met'}\n`);
  return asExpected ? 0 : 1;
}
