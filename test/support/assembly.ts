import { readRunbookAssembly, type RunbookAssembly, synthesizeRunbook } from '../../rehearsal/assembly';

let cached: RunbookAssembly | undefined;

/** The suite's synthesized runbook (from the global setup; synthesized here when run alone). */
export function runbookAssembly(): RunbookAssembly {
  const dir = process.env.RUNBOOK_TEST_ASSEMBLY;
  cached ??= dir ? readRunbookAssembly(dir) : synthesizeRunbook();
  return cached;
}
