import { synthesizeRunbook } from '../../rehearsal/assembly';

/**
 * Synthesizes the runbook once for the whole suite (bundling seven handlers takes seconds); every
 * test file reads the same cloud assembly from the directory named here.
 */
export default function globalSetup(): void {
  const assembly = synthesizeRunbook();
  process.env.RUNBOOK_TEST_ASSEMBLY = assembly.outdir;
}
