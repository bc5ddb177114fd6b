import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { FIXTURE_NAMES } from '../../rehearsal/fixtures';
import synthesizeForTheSuite from '../support/global-setup';
import { BASELINES_DIR } from '../support/matrix-suite';

/**
 * The matrix's lists come from undisturbed runs of every scenario on every fixture (which Tasks a
 * scenario reaches, the "not yet" answers it records, what preflight builds), and jest needs its
 * lists before any test runs: so the baselines are recorded here, once, a child process per
 * fixture (as many at once as there are cores), each writing `<fixture>.json` for the test files.
 */
export default async function globalSetup(): Promise<void> {
  synthesizeForTheSuite();
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-matrix-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const recorder = path.join(__dirname, 'record-baselines.ts');
  const record = (fixture: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', recorder, fixture, path.join(dir, `${fixture}.json`)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`recording the ${fixture} baselines failed (${code}): ${stderr}`))));
    });
  const queue = [...FIXTURE_NAMES];
  const worker = async () => {
    for (let fixture = queue.shift(); fixture; fixture = queue.shift()) await record(fixture);
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), queue.length) }, worker));
  process.env[BASELINES_DIR] = dir;
}
