import { createServer, type Server } from 'node:net';

/**
 * Each process rehearses on a loopback range of its own, 127.N.0.0/16, so two rehearsals or test
 * runs at once on one machine never bind the same task address (a rehearsal started while the test
 * suite ran once failed with EADDRINUSE on 127.100.0.3:8082). The range is claimed by listening on
 * 127.N.0.0 (a fourth octet no task address uses) on a fixed port: the listener is the lock, held
 * for the life of the process and released by the operating system however the process ends.
 */
const LOCK_PORT = 47811;
const FIRST = 101;
const LAST = 254;

let claimed: Promise<number> | undefined;

/** The second octet of this process's range, claimed on first use. */
export function loopbackRange(): Promise<number> {
  claimed ??= claim();
  return claimed;
}

async function claim(): Promise<number> {
  const span = LAST - FIRST + 1;
  // Start somewhere different in each process, so concurrent claims rarely race for one range.
  const start = (process.pid * 7 + Number(process.env.JEST_WORKER_ID ?? 0) * 13) % span;
  for (let i = 0; i < span; i++) {
    const octet = FIRST + ((start + i) % span);
    if (await tryListen(`127.${octet}.0.0`)) return octet;
  }
  throw new Error(`no free loopback range 127.${FIRST}-${LAST}.0.0/16: ${span} rehearsals are running on this machine`);
}

function tryListen(host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(LOCK_PORT, host, () => {
      // Never keeps the process alive; the lock goes when the process does.
      server.unref();
      resolve(server);
    });
  });
}

/** 254 hosts per /24 (no .0, no .255), 256 of those: every task of every rehearsal in this process its own address. */
export function taskAddress(octet: number, n: number): string {
  return `127.${octet}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
}
