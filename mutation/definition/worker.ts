/**
 * A worker process of the definition mutation run (see main.ts): it rehearses checks on the real
 * definition (baselines) and on mutants, one request at a time, answering over the IPC channel.
 */
import type { WrittenAssembly } from '../../rehearsal/assembly';
import type { Baseline as MatrixBaseline } from '../../test/support/fault-matrix';
import { type Baseline, type Check, deriveChecks, scenarioChecks } from './checks';
import { type CheckRun, readAssembly, runCheck } from './engine';
import { mutantsOf } from './mutants';
import type { Mutant } from './operators';

export type Request =
  | { readonly kind: 'checks'; readonly baselines: [string, Baseline][]; readonly matrixBaselines: MatrixBaseline[] }
  | { readonly kind: 'baseline'; readonly check: string }
  | { readonly kind: 'mutant'; readonly mutant: string; readonly checks: string[] };

export type Answer =
  | { readonly kind: 'ready' }
  | { readonly kind: 'baseline'; readonly check: string; readonly baseline: Baseline; readonly violations: string[]; readonly realMilliseconds: number }
  | { readonly kind: 'verdict'; readonly mutant: string; readonly killedBy?: string; readonly why?: string; readonly rehearsals: number; readonly errors: string[] };

const assembly = readAssembly(JSON.parse(process.env.MUTATION_ASSEMBLY as string) as WrittenAssembly);
let checks = new Map<string, Check>(scenarioChecks(assembly).map((c) => [c.id, c]));
const mutants = new Map<string, Mutant>(mutantsOf(assembly).map((m) => [m.id, m]));

const send = (answer: Answer) => process.send?.(answer);

async function handle(request: Request): Promise<void> {
  if (request.kind === 'checks') {
    checks = new Map(deriveChecks(assembly, new Map(request.baselines), request.matrixBaselines).map((c) => [c.id, c]));
    send({ kind: 'ready' });
    return;
  }
  if (request.kind === 'baseline') {
    const check = checks.get(request.check) as Check;
    const run = (await runCheck(check, assembly)) as CheckRun;
    send({ kind: 'baseline', check: check.id, baseline: run.baseline, violations: run.violations, realMilliseconds: run.realMilliseconds });
    return;
  }
  const mutant = mutants.get(request.mutant) as Mutant;
  const errors: string[] = [];
  let rehearsals = 0;
  for (const id of request.checks) {
    const check = checks.get(id) as Check;
    try {
      const run = await runCheck(check, assembly, (definition) => mutant.apply(definition as never) as never);
      if (!run) continue;
      rehearsals++;
      if (run.violations.length > 0) {
        send({ kind: 'verdict', mutant: mutant.id, killedBy: id, why: run.violations.join('; '), rehearsals, errors });
        return;
      }
    } catch (err) {
      // The rehearsal itself broke (not the runbook): reported, never counted as a kill.
      errors.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  send({ kind: 'verdict', mutant: mutant.id, rehearsals, errors });
}

// One request at a time: the parent sends the next only after the answer.
process.on('message', (request: Request) => {
  handle(request).catch((err: unknown) => {
    process.stderr.write(`mutation worker: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
});
send({ kind: 'ready' });
