/**
 * Benchmark: `npm run bench [-- --with-tests] [--synth-runs N] [--runs N] [--scenario NAME ...] [--fixture NAME ...] [--shape-scenario NAME ...] [--no-write]`.
 * The defaults (3 synth runs, 3 runs of every scenario, no tests) write bench/results.json.
 *
 * Measures and reports (Markdown on stdout, the same figures in bench/results.json):
 *  1. `cdk synth` wall time (child process, N runs, min/median) and the in-process synth once;
 *  2. the size of every bundled Lambda handler (bytes and gzip bytes);
 *  3. every rehearsal scenario, N runs each: virtual runbook time, AWS time, downtime, state
 *     transitions and their cost, PATCH requests, real time; and whether the virtual figures were
 *     identical across the runs (they should be: the clock is virtual);
 *  4. per deployment shape (every fixture, or --fixture): the headline scenarios (--shape-scenario;
 *     the happy path and a restoring rollback by default), once each: the cost of a migration there;
 *  5. with --with-tests, the wall time of `npx jest --silent`.
 * Figures only: no thresholds. Exits 0 unless the bench itself crashes.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { synthesizeRunbook } from '../rehearsal/assembly';
import { FIXTURE_NAMES, type FixtureName } from '../rehearsal/fixtures';
import { type RehearsalMetrics, type RehearsalResult, rehearse } from '../rehearsal/run';
import { findScenario, SCENARIOS } from '../rehearsal/scenarios';

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(__dirname, 'results.json');
/** Step Functions standard workflows: $0.025 per 1,000 state transitions. */
const DOLLARS_PER_TRANSITION = 0.025 / 1000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);

interface ChildRun {
  readonly wallMilliseconds: number;
  readonly exitCode: number | null;
  readonly stderrTail?: string;
}

/** Runs a command from the project root with node_modules/.bin first on the PATH (node 22), timing it. */
function timeChild(command: string, args: string[]): Promise<ChildRun> {
  const env = { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMilliseconds = performance.now() - started;
      resolve(code === 0 ? { wallMilliseconds, exitCode: code } : { wallMilliseconds, exitCode: code, stderrTail: stderr.split('\n').filter((l) => !l.startsWith('npm warn')).slice(-15).join('\n') });
    });
  });
}

/** The figures of a rehearsal that do not depend on the machine: they must not change between runs. */
type VirtualFigures = Pick<RehearsalResult, 'status' | 'error'> &
  Omit<RehearsalMetrics, 'realMilliseconds'> & { readonly patchRequests: number };

interface ScenarioResult {
  readonly scenario: string;
  readonly expected: string;
  /** Runs that ended with the scenario's expected status and error. */
  readonly runsAsExpected: number;
  readonly runs: number;
  /** The first run's figures (see `deterministic` and `differences` for the others). */
  readonly virtual: VirtualFigures | null;
  readonly costDollars: number | null;
  readonly realMilliseconds: number[];
  readonly realMillisecondsMedian: number | null;
  readonly deterministic: boolean;
  /** Fields whose value differed between runs, one value per run (steps: only the steps that differed). */
  readonly differences: Record<string, unknown[]>;
  /** Status, error and cause of every run that did not end as the scenario expects. */
  readonly unexpected: { run: number; status: string; error: string | null; cause: string | null }[];
  readonly crashes: string[];
}

/** Per step, the durations seen in each run, where they differ (or the step lists themselves differ). */
function stepDifferences(figures: VirtualFigures[]): unknown[] {
  const names = figures.map((f) => f.steps.map((s) => s.step).join(' > '));
  if (new Set(names).size > 1) return names.map((n) => `sequence: ${n}`);
  return (figures[0]?.steps ?? [])
    .map((step, i) => ({ step: step.step, durations: figures.map((f) => f.steps[i]?.durationSeconds ?? NaN) }))
    .filter((d) => new Set(d.durations).size > 1)
    .map((d) => `${d.step}: ${d.durations.join(' / ')} s`);
}

async function benchScenarios(assembly: ReturnType<typeof synthesizeRunbook>, runs: number, only: string[]): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name))) {
    const figures: VirtualFigures[] = [];
    const real: number[] = [];
    const crashes: string[] = [];
    const unexpected: ScenarioResult['unexpected'] = [];
    for (let i = 0; i < runs; i++) {
      try {
        const result = await rehearse({ assembly, scenario });
        const { realMilliseconds, ...virtual } = result.metrics;
        figures.push({ status: result.status, error: result.error, ...virtual, patchRequests: result.deployment.ledger.patchRequests });
        real.push(realMilliseconds);
        if (result.status !== scenario.expect.status || result.error !== (scenario.expect.error ?? null)) {
          unexpected.push({ run: i + 1, status: result.status, error: result.error, cause: result.cause?.slice(0, 600) ?? null });
        }
      } catch (err) {
        crashes.push(`run ${i + 1}: ${err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 3).join(' | ') : String(err)}`);
      }
    }
    const differences: Record<string, unknown[]> = {};
    for (const key of Object.keys(figures[0] ?? {}) as (keyof VirtualFigures)[]) {
      if (new Set(figures.map((f) => JSON.stringify(f[key]))).size <= 1) continue;
      differences[key] = key === 'steps' ? stepDifferences(figures) : figures.map((f) => f[key]);
    }
    const first = figures[0] ?? null;
    out.push({
      scenario: scenario.name,
      expected: `${scenario.expect.status}${scenario.expect.error ? ` ${scenario.expect.error}` : ''}`,
      runsAsExpected: figures.length - unexpected.length,
      runs,
      virtual: first,
      costDollars: first ? first.stateTransitions * DOLLARS_PER_TRANSITION : null,
      realMilliseconds: real,
      realMillisecondsMedian: real.length ? median(real) : null,
      deterministic: crashes.length === 0 && Object.keys(differences).length === 0,
      differences,
      unexpected,
      crashes,
    });
    process.stderr.write(`  ${scenario.name}: ${figures.map((f) => `${f.status}${f.error ? ` ${f.error}` : ''}`).join(', ') || 'crashed'}; ${real.map((ms) => ms.toFixed(0)).join('/')} ms\n`);
  }
  return out;
}

/** What a migration costs on one deployment shape, in virtual seconds (one run: the clock is virtual). */
interface ShapeResult {
  readonly fixture: FixtureName;
  readonly scenario: string;
  readonly status: string;
  readonly figures: Omit<RehearsalMetrics, 'realMilliseconds' | 'steps'> | null;
  readonly crash?: string;
}

async function benchShapes(fixtures: readonly FixtureName[], scenarios: readonly string[]): Promise<ShapeResult[]> {
  const out: ShapeResult[] = [];
  for (const fixture of fixtures) {
    const assembly = synthesizeRunbook({ fixture });
    try {
      for (const name of scenarios) {
        const scenario = findScenario(name);
        if (!scenario) throw new Error(`--shape-scenario: no scenario named ${name}`);
        try {
          const result = await rehearse({ assembly, scenario });
          const { realMilliseconds: _real, steps: _steps, ...figures } = result.metrics;
          out.push({ fixture, scenario: name, status: `${result.status}${result.error ? ` ${result.error}` : ''}`, figures });
        } catch (err) {
          out.push({ fixture, scenario: name, status: 'crashed', figures: null, crash: err instanceof Error ? err.message : String(err) });
        }
        process.stderr.write(`  ${fixture} / ${name}: ${out[out.length - 1]?.status}\n`);
      }
    } finally {
      rmSync(assembly.outdir, { recursive: true, force: true });
    }
  }
  return out;
}

function gitDescription(): { commit: string; dirtyFiles: number } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirtyFiles = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean).length;
    return { commit, dirtyFiles };
  } catch {
    return { commit: 'unknown', dirtyFiles: -1 };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'with-tests': { type: 'boolean', default: false },
      'synth-runs': { type: 'string', default: '3' },
      runs: { type: 'string', default: '3' },
      scenario: { type: 'string', multiple: true, default: [] },
      fixture: { type: 'string', multiple: true, default: [...FIXTURE_NAMES] },
      'shape-scenario': { type: 'string', multiple: true, default: ['happy-path', 'upgrade-returns-500'] },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const synthRuns = Math.max(0, Number.parseInt(values['synth-runs'], 10) || 0);
  const scenarioRuns = Math.max(1, Number.parseInt(values.runs, 10) || 1);
  const benchStarted = performance.now();
  const startupMilliseconds = process.uptime() * 1000;
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    loadAverageAtEnd: [] as number[],
  };
  const log = (line: string) => process.stderr.write(`${line}\n`);

  // 1. cdk synth, as a child process, then in process.
  log(`cdk synth × ${synthRuns} …`);
  const cliSynth: ChildRun[] = [];
  for (let i = 0; i < synthRuns; i++) {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
    try {
      const run = await timeChild('npx', ['cdk', 'synth', '--quiet', '-o', outdir]);
      cliSynth.push(run);
      log(`  run ${i + 1}: ${seconds(run.wallMilliseconds)} s (exit ${run.exitCode})${run.stderrTail ? `\n${run.stderrTail}` : ''}`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  const cliTimes = cliSynth.map((r) => r.wallMilliseconds);
  log('in-process synth …');
  const synthStarted = performance.now();
  const assembly = synthesizeRunbook();
  const inProcessSynthMilliseconds = performance.now() - synthStarted;

  try {
    // 2. Handler bundles.
    const bundles = [...assembly.lambdaBundles.values()]
      .map(({ logicalId, bundle }) => {
        const code = readFileSync(bundle);
        return { logicalId, bytes: code.length, gzipBytes: gzipSync(code).length };
      })
      .sort((a, b) => b.bytes - a.bytes);
    const bundleTotal = { bytes: bundles.reduce((s, b) => s + b.bytes, 0), gzipBytes: bundles.reduce((s, b) => s + b.gzipBytes, 0) };

    // 3. Scenarios.
    log(`rehearsal scenarios × ${scenarioRuns} …`);
    const scenarios = await benchScenarios(assembly, scenarioRuns, values.scenario);

    // 4. Per deployment shape.
    const unknown = values.fixture.filter((f) => !(FIXTURE_NAMES as string[]).includes(f));
    if (unknown.length > 0) throw new Error(`--fixture: no fixture named ${unknown.join(', ')} (known: ${FIXTURE_NAMES.join(', ')})`);
    log('deployment shapes …');
    const shapes = await benchShapes(values.fixture as FixtureName[], values['shape-scenario']);

    // 5. Tests (optional).
    let tests: ChildRun | null = null;
    if (values['with-tests']) {
      log('npx jest --silent …');
      tests = await timeChild('npx', ['jest', '--silent']);
    }
    machine.loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
    const benchWallMilliseconds = performance.now() - benchStarted;
    const git = gitDescription();

    const results = {
      measuredAt: new Date().toISOString(),
      git,
      machine,
      benchWallMilliseconds: Math.round(benchWallMilliseconds),
      startupMilliseconds: Math.round(startupMilliseconds),
      synth: {
        cli: {
          command: 'npx cdk synth --quiet -o <tmpdir>',
          runs: cliSynth.map((r) => ({ ...r, wallMilliseconds: Math.round(r.wallMilliseconds) })),
          minMilliseconds: cliTimes.length ? Math.round(Math.min(...cliTimes)) : null,
          medianMilliseconds: cliTimes.length ? Math.round(median(cliTimes)) : null,
        },
        inProcessMilliseconds: Math.round(inProcessSynthMilliseconds),
      },
      bundles: { handlers: bundles, total: bundleTotal },
      scenarios: {
        runsPerScenario: scenarioRuns,
        dollarsPerTransition: DOLLARS_PER_TRANSITION,
        allDeterministic: scenarios.every((s) => s.deterministic),
        results: scenarios,
      },
      shapes,
      tests: tests && { command: 'npx jest --silent', ...tests, wallMilliseconds: Math.round(tests.wallMilliseconds) },
    };
    if (!values['no-write']) writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(report(results));
  } finally {
    rmSync(assembly.outdir, { recursive: true, force: true });
  }
}

type Results = {
  measuredAt: string;
  git: { commit: string; dirtyFiles: number };
  machine: { nproc: number; cpu: string; memoryGiB: number; platform: string; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  benchWallMilliseconds: number;
  startupMilliseconds: number;
  synth: { cli: { runs: ChildRun[]; minMilliseconds: number | null; medianMilliseconds: number | null }; inProcessMilliseconds: number };
  bundles: { handlers: { logicalId: string; bytes: number; gzipBytes: number }[]; total: { bytes: number; gzipBytes: number } };
  scenarios: { runsPerScenario: number; allDeterministic: boolean; results: ScenarioResult[] };
  shapes: ShapeResult[];
  tests: (ChildRun & { command: string }) | null;
};

function report(r: Results): string {
  const m = r.machine;
  const lines: string[] = [
    '# Runbook benchmark',
    '',
    `Measured ${r.measuredAt} at ${r.git.commit}${r.git.dirtyFiles > 0 ? ` (+${r.git.dirtyFiles} uncommitted files)` : ''}; ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}; load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverageAtEnd.join(' ')} at end. Bench wall time ${seconds(r.benchWallMilliseconds)} s (startup: tsx + imports ${seconds(r.startupMilliseconds)} s).`,
    '',
    '## Synth',
    '',
    '| What | Runs | Min | Median | Each |',
    '|---|---:|---:|---:|---|',
    `| \`npx cdk synth --quiet -o <tmpdir>\` | ${r.synth.cli.runs.length} | ${r.synth.cli.minMilliseconds === null ? '—' : `${seconds(r.synth.cli.minMilliseconds)} s`} | ${r.synth.cli.medianMilliseconds === null ? '—' : `${seconds(r.synth.cli.medianMilliseconds)} s`} | ${r.synth.cli.runs.map((x) => `${seconds(x.wallMilliseconds)} s${x.exitCode === 0 ? '' : ` (exit ${x.exitCode})`}`).join(', ') || '—'} |`,
    `| \`synthesizeRunbook()\` in process (no CloudFormation validation) | 1 | | | ${seconds(r.synth.inProcessMilliseconds)} s |`,
    '',
    '## Handler bundles (index.js)',
    '',
    '| Function | Bytes | KiB | Gzip bytes | Gzip KiB |',
    '|---|---:|---:|---:|---:|',
    ...r.bundles.handlers.map((b) => `| ${b.logicalId} | ${b.bytes} | ${kib(b.bytes)} | ${b.gzipBytes} | ${kib(b.gzipBytes)} |`),
    `| **Total (${r.bundles.handlers.length})** | **${r.bundles.total.bytes}** | **${kib(r.bundles.total.bytes)}** | **${r.bundles.total.gzipBytes}** | **${kib(r.bundles.total.gzipBytes)}** |`,
    '',
    `## Rehearsal scenarios (${r.scenarios.runsPerScenario} runs each; virtual seconds unless noted)`,
    '',
    '| Scenario | Status / error | Runs as expected | Runbook s | AWS ops s | (Runbook − approval wait)/AWS | Downtime s | Longest outage s | Transitions | Cost $ | PATCH | Real ms (median) | Deterministic |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.scenarios.results.map((s) => {
      const v = s.virtual;
      if (!v) return `| ${s.scenario} | crashed | 0/${s.runs} | | | | | | | | | | no |`;
      // A figure that differed between runs is shown as its range.
      const fig = (key: 'totalSeconds' | 'awsOperationSeconds' | 'downtimeSeconds' | 'longestOutageSeconds', digits = 0) => {
        const seen = (s.differences[key] as number[] | undefined) ?? [v[key]];
        const [lo, hi] = [Math.min(...seen), Math.max(...seen)];
        return lo === hi ? lo.toFixed(digits) : `${lo.toFixed(1)}–${hi.toFixed(1)}`;
      };
      const transitions = (s.differences.stateTransitions as number[] | undefined)?.join('/') ?? String(v.stateTransitions);
      // The approver's time is neither AWS's nor the runbook's overhead.
      const ratio = v.awsOperationSeconds > 0 ? ((v.totalSeconds - v.approvalWaitSeconds) / v.awsOperationSeconds).toFixed(2) : '—';
      const deterministic = s.deterministic ? 'yes' : `**no** (${Object.keys(s.differences).filter((k) => k !== 'steps').join(', ') || 'steps'}${s.crashes.length ? `; ${s.crashes.length} crashed` : ''})`;
      return `| ${s.scenario} | ${v.status}${v.error ? ` ${v.error}` : ''} | ${s.runsAsExpected}/${s.runs} | ${fig('totalSeconds')} | ${fig('awsOperationSeconds')} | ${ratio} | ${fig('downtimeSeconds')} | ${fig('longestOutageSeconds')} | ${transitions} | ${(s.costDollars ?? 0).toFixed(5)} | ${(s.differences.patchRequests as number[] | undefined)?.join('/') ?? v.patchRequests} | ${s.realMillisecondsMedian?.toFixed(0) ?? '—'} | ${deterministic} |`;
    }),
    '',
    'Status / error, ratio and cost are the first run\'s; a figure that differed between runs is shown as min–max (transitions and PATCH: one value per run).',
    '',
    `Virtual figures identical across runs for every scenario: **${r.scenarios.allDeterministic ? 'yes' : 'no'}**.`,
    ...r.scenarios.results
      .filter((s) => !s.deterministic)
      .map(
        (s) =>
          `- ${s.scenario}: ${Object.entries(s.differences)
            .map(([k, vs]) => (k === 'steps' ? `steps: ${vs.join('; ')}` : `${k} = ${vs.map((x) => JSON.stringify(x)).join(' / ')}`))
            .join('; ')}${s.crashes.length ? `; crashes: ${s.crashes.join(' || ')}` : ''}`,
      ),
    ...r.scenarios.results.flatMap((s) =>
      s.unexpected.map((u) => `- ${s.scenario} run ${u.run} ended ${u.status} ${u.error ?? ''} instead of ${s.expected}: cause ${JSON.stringify(u.cause)}`),
    ),
    '',
    '## Per deployment shape (one run each; virtual seconds)',
    '',
    'Unanswered: no healthy task, or the database endpoint down. One task: the service below its count. Writes at risk: from the snapshot\'s start to the upgrade request, or to the restore. Recovery: from the failure to the service answering again.',
    '',
    '| Deployment | Scenario | Status / error | Runbook s | AWS ops s | (Runbook − approval)/AWS | Unanswered s | DB unreachable s | One task s | Writes at risk s | Recovery s | Transitions |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.shapes.map((x) => {
      const f = x.figures;
      if (!f) return `| ${x.fixture} | ${x.scenario} | crashed: ${x.crash ?? ''} | | | | | | | | | |`;
      const n = (v: number | null) => (v === null ? '—' : v.toFixed(0));
      const ratio = f.awsOperationSeconds > 0 ? ((f.totalSeconds - f.approvalWaitSeconds) / f.awsOperationSeconds).toFixed(2) : '—';
      return `| ${x.fixture} | ${x.scenario} | ${x.status} | ${n(f.totalSeconds)} | ${n(f.awsOperationSeconds)} | ${ratio} | ${n(f.downtimeSeconds)} | ${n(f.databaseUnreachableSeconds)} | ${n(f.reducedCapacitySeconds)} | ${n(f.writesAtRiskSeconds)} | ${n(f.recoverySeconds)} | ${f.stateTransitions} |`;
    }),
    '',
    '## Tests',
    '',
    r.tests ? `\`${r.tests.command}\`: ${seconds(r.tests.wallMilliseconds)} s wall, exit ${r.tests.exitCode}.` : 'Not run (pass `-- --with-tests`).',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
