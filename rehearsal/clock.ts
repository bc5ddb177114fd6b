/**
 * Virtual time for the rehearsal. AWS operations take minutes (a snapshot, a rename); the rehearsal
 * runs them in milliseconds while keeping their realistic durations on this clock, so downtime and
 * per-step times can be reported as they would be in AWS.
 */
export class VirtualClock {
  private nowMs: number;

  constructor(start = Date.parse('2026-11-24T09:00:00.000Z')) {
    this.nowMs = start;
  }

  get now(): number {
    return this.nowMs;
  }

  iso(at = this.nowMs): string {
    return new Date(at).toISOString();
  }

  advance(seconds: number): void {
    if (seconds < 0 || !Number.isFinite(seconds)) throw new RangeError(`cannot advance the clock by ${seconds} s`);
    this.nowMs += Math.round(seconds * 1000);
  }
}
