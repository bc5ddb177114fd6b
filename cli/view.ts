import { APPROVAL_STATE } from '../workflows/fragments/approval';
import type { Deps } from './deps';
import { formatDuration, type Progress, progressLines, visibleSteps } from './progress';
import type { AuditRecord } from './report';

export interface ProgressView {
  update(progress: Progress): void;
}

/** How to answer the approval the execution waits for (the local rehearsal answers its own). */
export function approvalHint(executionArn: string | undefined): string {
  if (!executionArn) return 'Waiting for approval (the rehearsal answers as its scenario says)';
  return `Waiting for approval: npm run runbook -- approve ${executionArn} [--comment <text>]  |  reject ${executionArn} --reason <why>`;
}

const clock = (iso: string | undefined) => (iso ? `${iso.slice(11, 19)}Z` : '         ');

/**
 * Live progress. On a terminal the step list is redrawn in place (at most every 100 ms); otherwise
 * (a log, a pipe) one line is printed per step whose status changed. With --json nothing is shown.
 */
export function progressView(deps: Pick<Deps, 'stdout' | 'now'>, options: { json: boolean; executionArn?: string }): ProgressView {
  if (options.json) return { update: () => undefined };
  const out = deps.stdout;
  if (out.isTTY) {
    let drawn = 0;
    let lastDraw = 0;
    let hinted = false;
    return {
      update(progress) {
        const at = deps.now().getTime();
        if (progress.status === 'RUNNING' && at - lastDraw < 100) return;
        lastDraw = at;
        const erase = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : '';
        // The answer to give stays on screen above the list, whole (it is too wide to redraw).
        const hint = progress.currentState === APPROVAL_STATE && !hinted ? `${approvalHint(options.executionArn)}\n\n` : '';
        hinted ||= hint !== '';
        const header = `Execution ${progress.status}${progress.currentState ? `: ${progress.currentState}` : ''}`;
        // A line wider than the terminal would wrap and throw the redraw off.
        const width = Math.max(20, (out.columns ?? 200) - 1);
        const lines = [header, ...progressLines(progress)].map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
        out.write(`${erase}${hint}${lines.join('\n')}\n`);
        drawn = lines.length;
      },
    };
  }
  const seen = new Map<string, string>();
  let hinted = false;
  return {
    update(progress) {
      for (const step of visibleSteps(progress)) {
        const key = `${step.status}${step.error ?? ''}`;
        if (seen.get(step.id) === key || (step.status === 'pending' && !seen.has(step.id))) continue;
        seen.set(step.id, key);
        const at = step.status === 'running' ? step.startedAt : step.endedAt;
        const took = step.status !== 'running' && step.elapsedSeconds !== undefined ? `  ${formatDuration(step.elapsedSeconds)}` : '';
        out.write(`${clock(at)}  ${step.title}: ${step.status}${took}${step.error ? `  ${step.error}` : ''}\n`);
      }
      if (progress.currentState === APPROVAL_STATE && !hinted) {
        hinted = true;
        out.write(`${approvalHint(options.executionArn)}\n`);
      }
    },
  };
}

/** The closing line of a watch: how it ended and whether it was rolled back. */
export function conclusion(record: AuditRecord): string {
  const took = record.startedAt && record.finishedAt ? ` after ${formatDuration((Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 1000)}` : '';
  const error = record.error ? ` (${record.error.error})` : '';
  const rollback: Record<string, string> = {
    SUCCEEDED: '.',
    NOTHING_CHANGED: ': nothing was changed.',
    ROLLED_BACK: ': rolled back.',
    ROLLBACK_FAILED: ': the rollback FAILED, manual action needed.',
    ABORTED: ': stopped from outside, NOT rolled back; check the database and the service.',
    TIMED_OUT: ': timed out, NOT rolled back; check the database and the service.',
  };
  const how = rollback[record.outcome] ?? (record.status === 'SUCCEEDED' ? '.' : withoutReport(record));
  return `Execution ${record.status}${error}${took}${how} ${record.summary}`;
}

/** A failure whose cause is not the runbook's report: in preflight, or a rollback that could not write it. */
function withoutReport(record: AuditRecord): string {
  if (record.rollback) return ': the rollback ran but wrote no report; check the history for what it did.';
  if (record.steps.filter((s) => s.startedAt !== null).length <= 1) return ': stopped in preflight, nothing was changed.';
  return ': not rolled back; check the database and the service.';
}
