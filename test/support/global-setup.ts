import { synthesizeRunbook, writtenAssembly } from '../../rehearsal/assembly';
import { FIXTURE_NAMES } from '../../rehearsal/fixtures';

/**
 * Synthesizes the runbook once for the whole suite, for every deployment fixture (bundling the
 * handlers takes seconds and is done once; the other fixtures reuse the bundles). Every test file
 * reads the same cloud assemblies from the directories named here.
 */
export default function globalSetup(): void {
  const written = FIXTURE_NAMES.map((fixture) => writtenAssembly(synthesizeRunbook({ fixture })));
  process.env.RUNBOOK_TEST_ASSEMBLIES = JSON.stringify(written);
}
