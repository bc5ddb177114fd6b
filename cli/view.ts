import { APPROVAL_STATE } from '../workflows/fragments/approval';
import type { Deps } from './deps';
import { formatDuration, type Progress, progressLines, visibleSteps } from './progress';
import type { AuditRecord } from './report';

export interface ProgressView {
  update(progress: Progress): void;
}

/** How to answer the approval the execution waits for (the local rehearsal answers its own). */
export function approvalHint(executionArn: string | undefined): string {
  if (!executionArn) return 'Waiting for approval (the rehearsal approves by itself)';
  return `Waiting for approval: npm run runbook -- approve ${executionArn} [--comment <text>]  |  reject ${executionArn} --reason <why>`;
}

const clock = (iso: string | undefined) => (iso ? `${iso.slice(11, 19)}Z` : '         ');

/**
 * Live progress. On a terminal the step list is redrawn in place (at most every 100 ms); otherwise
 * (a log, a pipe) one line is printed per step whose status changed. With --json nothing is shown.
 */
export function progressView(deps: Deps, options: { json: boolean; executionArn?: string }): ProgressView {
  if (options.json) return { update: () => undefined };
  const out = deps.stdout;
  if (out.isTTY) {
    let drawn = 0;
    let lastDraw = 0;
    let lastStatus = '';
    return {
      update(progress) {
        const at = deps.now().getTime();
        if (at - lastDraw < 100 && progress.status === lastStatus) return;
        lastDraw = at;
        lastStatus = progress.status;
        const waiting = progress.currentState === APPROVAL_STATE ? [approvalHint(options.executionArn)] : [];
        const header = `Execution ${progress.status}${progress.currentState ? `: ${progress.currentState}` : ''}`;
        const lines = [header, ...progressLines(progress), ...waiting];
        out.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
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
    ROLLED_BACK: ': rolled back.',
    ROLLBACK_FAILED: ': the rollback FAILED, manual action needed.',
    ABORTED: ': stopped from outside, NOT rolled back; check the database and the service.',
    TIMED_OUT: ': timed out, NOT rolled back; check the database and the service.',
  };
  const how = rollback[record.outcome] ?? (record.status === 'SUCCEEDED' ? '.' : ': not rolled back.');
  return `Execution ${record.status}${error}${took}${how} ${record.summary}`;
}
