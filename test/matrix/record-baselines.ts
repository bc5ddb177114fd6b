import { writeFileSync } from 'node:fs';
import type { FixtureName } from '../../rehearsal/fixtures';
import { runbookAssembly } from '../support/assembly';
import { recordBaselines } from '../support/fault-matrix';

/** `record-baselines.ts <fixture> <file>`: every scenario undisturbed on the fixture, written as the matrix reads them. */
async function main(): Promise<void> {
  const [fixture, file] = process.argv.slice(2) as [FixtureName, string];
  const baselines = await recordBaselines(runbookAssembly(fixture));
  writeFileSync(file, JSON.stringify(baselines));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
