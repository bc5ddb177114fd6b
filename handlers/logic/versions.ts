/**
 * Dotted numeric versions compared part by part, so `2.10.0` > `2.9.1` (a string compare says otherwise).
 * Returns null for anything that is not a version, so the caller can report the odd value.
 */
export function parseVersion(text: string): number[] | null {
  const match = /^v?(\d+(?:\.\d+){0,3})(?:[-+][0-9A-Za-z.-]+)?$/.exec(text.trim());
  return match?.[1] ? match[1].split('.').map(Number) : null;
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}
