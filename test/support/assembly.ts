import { readRunbookAssembly, type RunbookAssembly, synthesizeRunbook, type WrittenAssembly } from '../../rehearsal/assembly';
import { DEFAULT_FIXTURE, type FixtureName } from '../../rehearsal/fixtures';

const cached = new Map<FixtureName, RunbookAssembly>();

/** The suite's synthesized runbook for a fixture (from the global setup; synthesized here when run alone). */
export function runbookAssembly(fixture: FixtureName = DEFAULT_FIXTURE): RunbookAssembly {
  let assembly = cached.get(fixture);
  if (!assembly) {
    const written = JSON.parse(process.env.RUNBOOK_TEST_ASSEMBLIES ?? '[]') as WrittenAssembly[];
    const mine = written.find((w) => w.fixture === fixture);
    assembly = mine ? readRunbookAssembly(mine) : synthesizeRunbook({ fixture });
    cached.set(fixture, assembly);
  }
  return assembly;
}
