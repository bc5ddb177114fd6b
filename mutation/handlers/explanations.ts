/**
 * After `stryker run`: judges Stryker's report against mutation/equivalent-handlers.json. Every
 * surviving mutant must be explained there under its id; an explanation of a mutant that is killed
 * now or no longer exists fails the run too, as for the definition's mutants. Prints the score and
 * the explained survivors.
 *
 * A mutant's id is `file:Mutator:original → replacement` (the original code as written, whitespace
 * collapsed), so it survives edits elsewhere in the file; `#2` marks a second identical one.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface ReportMutant {
  readonly mutatorName: string;
  readonly status: string;
  readonly replacement?: string;
  readonly location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

export interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly ReportMutant[] }>;
}

const ROOT = path.join(__dirname, '..', '..');
const REPORT = path.join(ROOT, 'reports', 'mutation', 'handlers.json');
export const EXPLANATIONS = path.join(__dirname, '..', 'equivalent-handlers.json');
const DETECTED = new Set(['Killed', 'Timeout']);
const SURVIVED = new Set(['Survived', 'NoCoverage']);
const INVALID = new Set(['CompileError', 'RuntimeError']);

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Every mutant of the report with its stable id. */
export function identify(report: Report): { id: string; status: string }[] {
  const out: { id: string; status: string }[] = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    const seen = new Map<string, number>();
    const ordered = [...mutants].sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column);
    for (const m of ordered) {
      const { start, end } = m.location;
      const text = lines.slice(start.line - 1, end.line).join('\n');
      const original = text.slice(start.column - 1, text.length - ((lines[end.line - 1] ?? '').length - (end.column - 1)));
      const base = `${file}:${m.mutatorName}:${squash(original)} → ${squash(m.replacement ?? '')}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      out.push({ id: n === 1 ? base : `${base} #${n}`, status: m.status });
    }
  }
  return out;
}

function main(): number {
  const report = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
  const explanations = JSON.parse(readFileSync(EXPLANATIONS, 'utf8')) as Record<string, string>;
  const mutants = identify(report);
  const byId = new Map(mutants.map((m) => [m.id, m]));
  const survivors = mutants.filter((m) => SURVIVED.has(m.status));
  const unexplained = survivors.filter((m) => !explanations[m.id]);
  const stale = Object.keys(explanations).filter((id) => !SURVIVED.has(byId.get(id)?.status ?? 'gone'));
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const timeouts = mutants.filter((m) => m.status === 'Timeout').length;
  const valid = mutants.filter((m) => !INVALID.has(m.status) && m.status !== 'Ignored').length;
  const explained = survivors.length - unexplained.length;
  const lines = [
    ...survivors.filter((m) => explanations[m.id]).map((m) => `explained  ${m.id}: ${explanations[m.id]}`),
    ...unexplained.map((m) => `UNEXPLAINED ${m.status} ${m.id}`),
    ...stale.map((id) => `STALE EXPLANATION ${id}: ${byId.has(id) ? 'the mutant is killed now' : 'no such mutant'}; remove it from ${path.basename(EXPLANATIONS)}`),
    `handler mutants: ${mutants.length} generated, ${detected} killed (${timeouts} of them by timeout), ${survivors.length} survived, ${explained} explained as equivalent, ` +
      `${mutants.length - valid} invalid; score ${((100 * detected) / (valid - explained)).toFixed(1)} % of the non-equivalent mutants killed (${((100 * detected) / valid).toFixed(1)} % of all valid)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return unexplained.length > 0 || stale.length > 0 ? 1 : 0;
}

if (require.main === module) process.exit(main());
