import { synthesizeRunbook } from './rehearsal/assembly';
import { rehearse } from './rehearsal/run';
import { findScenario } from './rehearsal/scenarios';
import { invariantViolations, parityViolations } from './rehearsal/invariants';
(async () => {
  const a = synthesizeRunbook({ fixture: (process.argv[3] ?? 'example') as never });
  const r = await rehearse({ assembly: a, scenario: findScenario(process.argv[2] ?? 'upgrade-returns-500')! });
  console.log(r.status, r.error);
  console.log((r.cause ?? '').slice(0, 600));
  console.log(invariantViolations(r, { rollbackMayFail: false }));
  console.log(parityViolations(r));
  console.log(r.calls.filter(c => c.error).map(c => `${c.state}: ${c.error}`).join('\n'));
})();
