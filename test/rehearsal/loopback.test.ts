import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { loopbackRange, taskAddress } from '../../rehearsal/sim/loopback';

describe('loopback ranges for simulated tasks', () => {
  it('gives a second process on the same machine a range of its own while this one holds its range', async () => {
    const mine = await loopbackRange();
    const tsx = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const script = "require('./rehearsal/sim/loopback').loopbackRange().then((o) => process.stdout.write(String(o)))";

    const theirs = Number(execFileSync(tsx, ['-e', script], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' }));

    expect(theirs).toBeGreaterThanOrEqual(101);
    expect(theirs).not.toBe(mine);
  });

  it('keeps the same range for the life of the process', async () => {
    expect(await loopbackRange()).toBe(await loopbackRange());
  });

  it('never hands out a network, broadcast or lock address, nor one twice among 65,000 tasks', () => {
    const addresses = Array.from({ length: 65_000 }, (_, n) => taskAddress(150, n));

    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses.filter((a) => /\.(0|255)$/.test(a))).toEqual([]);
    expect(addresses.every((a) => a.startsWith('127.150.'))).toBe(true);
  });
});
