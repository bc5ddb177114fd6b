/** Step Functions keeps at most 32,768 characters of a Fail state's cause. */
export const MAX_CAUSE_CHARS = 32_768;

interface ErrorRecord {
  Error?: string;
  Cause?: string;
}

/**
 * The cause an operator reads when the execution ends FAILED: one line saying what failed and what
 * the rollback did, then the whole record as JSON for tools. Bulky parts are dropped first if the
 * record would not fit.
 */
export function composeFailureReport(report: Record<string, unknown>): { text: string; summary: string } {
  const summary = summarize(report);
  const full = { summary, ...report };
  let text = JSON.stringify(full);
  for (const bulky of ['original', 'waits', 'steps', 'resources']) {
    if (text.length <= MAX_CAUSE_CHARS) break;
    delete (full as Record<string, unknown>)[bulky];
    text = JSON.stringify({ ...full, truncated: true });
  }
  if (text.length > MAX_CAUSE_CHARS) text = JSON.stringify({ summary, truncated: true });
  return { text, summary };
}

function summarize(report: Record<string, unknown>): string {
  const error = (report.error ?? {}) as ErrorRecord;
  const what = `${error.Error ?? 'Error'}: ${(rejection(report) ?? causeMessage(error.Cause)).replace(/\.+$/, '')}`;
  if (report.outcome === 'NOTHING_CHANGED') return `${what}. Nothing was changed: the service and the database are as they were.`;
  if (report.outcome === 'ROLLBACK_FAILED') {
    const rollbackError = (report.rollbackError ?? {}) as ErrorRecord;
    return `${what}. The rollback then failed (${rollbackError.Error ?? 'Error'}: ${causeMessage(rollbackError.Cause).replace(/\.+$/, '')}); nothing more was changed. See resources for the state of each one.`;
  }
  const db = report.databaseRestored === true ? `the database was restored from snapshot ${String(report.snapshotId)}` : `the database was kept (snapshot ${String(report.snapshotId)} left unused)`;
  const version = typeof report.serviceVersionAfterRollback === 'string' ? `, answering /version ${report.serviceVersionAfterRollback}` : '';
  const release = (report.serviceReleaseAfterRollback ?? {}) as { image?: unknown };
  const image = typeof release.image === 'string' ? ` (${release.image})` : '';
  return `${what}. Rolled back: ${db}; the service is back on its original release${image} and count${version}.`;
}

/** A rejection as the approval check recorded it: who (verified or not) and why. */
function rejection(report: Record<string, unknown>): string | undefined {
  const approval = (report.approval ?? {}) as Record<string, unknown>;
  if (approval.decision !== 'rejected') return undefined;
  const who = typeof approval.rejectedBy === 'string' ? approval.rejectedBy : 'someone who gave no name';
  const reason = typeof approval.reason === 'string' ? approval.reason : 'no reason given';
  return `rejected by ${who}${approval.verified === true ? '' : ' (not verified)'}: ${reason}`;
}

/** A Lambda error's cause is JSON with errorMessage; an SDK error's cause is plain text. */
function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Plain text.
  }
  return cause;
}
