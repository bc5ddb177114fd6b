/**
 * `npm run test:mutation:definition`: mutation testing of the synthesized state machine definition.
 *
 * For each kind of database (mutants.ts, mutatedFixtures: the example instance deployment and an
 * Aurora cluster one), synthesizes the runbook once, derives every mutant from its definition (see
 * operators.ts), rehearses the checks (checks.ts) on the real definition first (each must pass, or
 * the run stops: a red suite kills everything), then on each mutant in worker processes, stopping
 * at the first check that kills it. Only checks whose undisturbed run enters the mutated state are
 * tried, cheapest first. A mutant no check kills must be explained in mutation/equivalent.json;
 * an unexplained survivor, or an explanation of a mutant that is killed or gone, fails the run.
 *
 * Options: --workers N (default: the machine's cores), --only TEXT (mutants whose id contains it;
 * the explanations are then not checked), --fixture NAME (that deployment's definition only; the
 * explanations are then not checked either), --report FILE (the full result as JSON).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Baseline } from './checks';
import { deriveChecks, scenarioChecks } from './checks';
import type { WrittenAssembly } from '../../rehearsal/assembly';
import { synthesize } from './engine';
import type { FixtureName } from '../../rehearsal/fixtures';
import { mutantsOf, mutatedFixtures } from './mutants';
import type { Mutant } from './operators';
import { STATIC_CHECK, unboundedWaits } from './structure';
import { recordBaselines } from '../../test/support/fault-matrix';
import type { Answer, Request } from './worker';

export const EQUIVALENTS_FILE = path.join(__dirname, '..', 'equivalent.json');
/**
 * Real time one mutant may take before its worker is ended and the mutant counted as timed out
 * (not killed): the rehearsal already ends endless executions on the virtual clock, so this only
 * catches a harness that hangs. The slowest mutant seen takes a few tens of seconds (every check).
 */
const MUTANT_DEADLINE_MS = 180_000;
const BASELINE_DEADLINE_MS = 60_000;

interface Options {
  readonly workers: number;
  readonly only?: string;
  readonly fixture?: FixtureName;
  readonly report?: string;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const workers = Number(value('--workers') ?? os.availableParallelism());
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers: expected a positive integer');
  const fixture = value('--fixture') as FixtureName | undefined;
  if (fixture && !mutatedFixtures().includes(fixture)) throw new Error(`--fixture: expected one of ${mutatedFixtures().join(', ')}`);
  return { workers, only: value('--only'), fixture, report: value('--report') };
}

/** A worker process answering one request at a time; replaced when it misses a deadline. */
class Worker {
  private child!: ChildProcess;
  private pending?: { resolve: (a: Answer) => void; reject: (e: Error) => void };
  private ready!: Promise<void>;

  constructor(
    private readonly written: WrittenAssembly,
    private readonly slot: number,
    private init?: Request,
  ) {
    this.spawn();
  }

  setInit(init: Request): Promise<Answer> {
    this.init = init;
    return this.ask(init, BASELINE_DEADLINE_MS);
  }

  private spawn(): void {
    this.child = fork(path.join(__dirname, 'worker.ts'), [], {
      env: { ...process.env, MUTATION_ASSEMBLY: JSON.stringify(this.written), MUTATION_WORKER: String(this.slot) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let started!: () => void;
    this.ready = new Promise((resolve) => (started = resolve));
    let first = true;
    this.child.on('message', (answer: Answer) => {
      if (first && answer.kind === 'ready') {
        first = false;
        started();
        return;
      }
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(answer);
    });
    this.child.on('exit', (code) => {
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new Error(`worker exited with ${code}`));
    });
  }

  async ask(request: Request, deadlineMs: number): Promise<Answer> {
    await this.ready;
    const answer = new Promise<Answer>((resolve, reject) => (this.pending = { resolve, reject }));
    this.child.send(request);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
    try {
      const first = await Promise.race([answer, deadline]);
      if (first !== 'late') return first;
    } finally {
      clearTimeout(timer);
    }
    this.pending = undefined;
    await this.restart();
    throw new Error(`no answer within ${deadlineMs / 1000} s`);
  }

  private async restart(): Promise<void> {
    this.child.removeAllListeners('exit');
    this.child.kill('SIGKILL');
    this.spawn();
    if (this.init) await this.ask(this.init, BASELINE_DEADLINE_MS);
  }

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.kill();
  }
}

/** Runs `jobs` on the workers, each job on whichever worker is free. */
async function onWorkers<T, R>(workers: Worker[], jobs: readonly T[], run: (w: Worker, job: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    workers.map(async (w) => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await run(w, jobs[i] as T);
      }
    }),
  );
  return results;
}

interface Verdict {
  readonly id: string;
  readonly operator: string;
  readonly status: 'killed' | 'survived' | 'timed out' | 'unreached';
  readonly killedBy?: string;
  readonly why?: string;
  readonly rehearsals: number;
  readonly errors: string[];
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const verdicts: Verdict[] = [];
  for (const fixture of options.fixture ? [options.fixture] : mutatedFixtures()) {
    const judged = await judgeFixture(fixture, options, started);
    if (judged === undefined) return 2;
    verdicts.push(...judged);
  }
  return report(verdicts, options, (Date.now() - started) / 1000);
}

/** Every mutant of one deployment's definition judged; undefined when the real definition fails a check. */
async function judgeFixture(fixture: FixtureName, options: Options, started: number): Promise<Verdict[] | undefined> {
  const { assembly, written } = synthesize(fixture);
  const { definition } = assembly;
  const mutants = mutantsOf(assembly).filter((m) => !options.only || m.id.includes(options.only));
  const workers = Array.from({ length: options.workers }, (_, i) => new Worker(written, i + 1));
  try {
    // 1. Baselines: every check passes on the real definition, and says which states its run enters.
    const baselines = new Map<string, Baseline>();
    const costs = new Map<string, number>();
    const broken: string[] = [];
    const runBaselines = async (ids: string[]) => {
      await onWorkers(workers, ids, async (w, check) => {
        const a = await w.ask({ kind: 'baseline', check }, BASELINE_DEADLINE_MS);
        if (a.kind !== 'baseline') throw new Error(`unexpected answer ${a.kind}`);
        baselines.set(check, a.baseline);
        costs.set(check, a.realMilliseconds);
        if (a.violations.length > 0) broken.push(`${check}: ${a.violations.join('; ')}`);
      });
    };
    await runBaselines(scenarioChecks(assembly).map((c) => c.id));
    // The fault matrix's recorded runs (every call's answer kept): where each wait was told "not yet".
    const matrixBaselines = await recordBaselines(assembly);
    const checks = deriveChecks(assembly, baselines, matrixBaselines);
    await Promise.all(workers.map((w) => w.setInit({ kind: 'checks', baselines: [...baselines], matrixBaselines })));
    await runBaselines(checks.map((c) => c.id).filter((id) => !baselines.has(id)));
    for (const problem of unboundedWaits(definition)) broken.push(`${STATIC_CHECK}: ${problem}`);
    if (broken.length > 0) {
      process.stderr.write(`The real definition (${fixture}) fails ${broken.length} checks; fix the suite before mutation testing:\n${broken.map((b) => `  ${b}`).join('\n')}\n`);
      return undefined;
    }
    const baselineSeconds = (Date.now() - started) / 1000;
    process.stdout.write(`${fixture}: ${checks.length} checks pass on the real definition (${baselineSeconds.toFixed(0)} s since the start, with synthesis); ${mutants.length} mutants\n`);

    // 2. Mutants: the checks whose run enters the mutated state, cheapest first; the first kill ends it.
    const ordered = [...checks].sort((a, b) => (costs.get(a.id) ?? 0) - (costs.get(b.id) ?? 0));
    let done = 0;
    return await onWorkers(workers, mutants, async (w, mutant: Mutant): Promise<Verdict> => {
      const relevant = ordered.filter((c) => baselines.get(c.id)?.entered.includes(mutant.state)).map((c) => c.id);
      const base = { id: mutant.id, operator: mutant.operator, rehearsals: 0, errors: [] };
      let verdict: Verdict;
      // The structure first: milliseconds, no rehearsal.
      const unbounded = unboundedWaits((mutant.apply(definition as never) ?? definition) as never);
      if (unbounded.length > 0) verdict = { ...base, status: 'killed', killedBy: STATIC_CHECK, why: unbounded.join('; ') };
      else if (relevant.length === 0) verdict = { ...base, status: 'unreached' };
      else {
        try {
          const a = await w.ask({ kind: 'mutant', mutant: mutant.id, checks: relevant }, MUTANT_DEADLINE_MS);
          if (a.kind !== 'verdict') throw new Error(`unexpected answer ${a.kind}`);
          verdict = { ...base, status: a.killedBy ? 'killed' : 'survived', killedBy: a.killedBy, why: a.why, rehearsals: a.rehearsals, errors: a.errors };
        } catch (err) {
          verdict = { ...base, status: 'timed out', why: err instanceof Error ? err.message : String(err) };
        }
      }
      done++;
      // A line every 50 mutants: CI's log shows the run is alive and how fast it goes.
      if (done % 50 === 0) process.stdout.write(`${fixture}: ${done}/${mutants.length} mutants judged (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
      return verdict;
    });
  } finally {
    for (const w of workers) w.stop();
  }
}

function report(verdicts: Verdict[], options: Options, seconds: number): number {
  const equivalents = JSON.parse(readFileSync(EQUIVALENTS_FILE, 'utf8')) as Record<string, string>;
  const count = (status: Verdict['status']) => verdicts.filter((v) => v.status === status).length;
  const killed = count('killed');
  const notKilled = verdicts.filter((v) => v.status !== 'killed');
  const explained = notKilled.filter((v) => equivalents[v.id]);
  const unexplained = notKilled.filter((v) => !equivalents[v.id]);
  const ids = new Set(verdicts.map((v) => v.id));
  const stale = options.only || options.fixture ? [] : Object.keys(equivalents).filter((id) => !ids.has(id) || verdicts.find((v) => v.id === id)?.status === 'killed');
  const out: string[] = [];
  const byOperator = new Map<string, Verdict[]>();
  for (const v of verdicts) byOperator.set(v.operator, [...(byOperator.get(v.operator) ?? []), v]);
  out.push('operator          mutants  killed');
  for (const [op, vs] of byOperator) out.push(`${op.padEnd(18)}${String(vs.length).padStart(7)}${String(vs.filter((v) => v.status === 'killed').length).padStart(8)}`);
  const killers = new Map<string, number>();
  for (const v of verdicts) if (v.killedBy) killers.set(v.killedBy.replace(/:.*/, ''), (killers.get(v.killedBy.replace(/:.*/, '')) ?? 0) + 1);
  out.push(`killed by: ${[...killers].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const v of explained) out.push(`explained  ${v.status.padEnd(10)} ${v.id}: ${equivalents[v.id]}`);
  for (const v of unexplained) out.push(`UNEXPLAINED ${v.status.padEnd(9)} ${v.id}${v.why ? ` (${v.why})` : ''}`);
  for (const id of stale) out.push(`STALE EXPLANATION ${id}: ${ids.has(id) ? 'the mutant is killed now' : 'no such mutant'}; remove it from ${path.basename(EQUIVALENTS_FILE)}`);
  const harness = verdicts.filter((v) => v.errors.length > 0);
  for (const v of harness) out.push(`rehearsal errors (not counted) ${v.id}: ${v.errors.join(' | ')}`);
  // An explanation says either "equivalent:" (no execution can tell) or "needs hook:" (the rehearsal cannot show it yet).
  const equivalent = explained.filter((v) => equivalents[v.id]?.startsWith('equivalent:')).length;
  const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;
  out.push(
    `definition mutants: ${verdicts.length} generated, ${killed} killed, ${count('survived')} survived, ${count('unreached')} unreached, ` +
      `${count('timed out')} timed out; ${explained.length} explained (${equivalent} equivalent, ${explained.length - equivalent} needing a rehearsal hook); ` +
      `score ${percent(killed, verdicts.length - equivalent)} of the non-equivalent mutants killed (${percent(killed, verdicts.length)} of all); ${seconds.toFixed(0)} s`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  if (options.report) writeFileSync(options.report, JSON.stringify({ seconds, verdicts }, null, 2));
  return unexplained.length > 0 || stale.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  },
);
