import { APPROVAL_STATE } from '../handlers/logic/pending-approval';
import { type ExecutionStatus, parseJson, type RunEvent } from './events';
import { type Progress, reduceProgress, type StepProgress, type StepStatus, visibleSteps } from './progress';

/** How the change ended: the execution's status, or what the rollback achieved. */
export type Outcome = 'RUNNING' | 'SUCCEEDED' | 'DRY_RUN' | 'NOTHING_CHANGED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT' | (string & {});

export interface ReportStep {
  readonly id: string;
  readonly title: string;
  readonly status: StepStatus;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly durationSeconds: number | null;
  readonly error: string | null;
  readonly retries: number;
}

export interface ApprovalRecord {
  readonly decision: string;
  readonly by: string | null;
  /** The approver's comment, or the reason for a rejection. */
  readonly note: string | null;
  readonly at: string | null;
  /** Whether the runbook verified who answered (an answer through its endpoint); null: not checked yet. */
  readonly verified: boolean | null;
}

export interface ErrorRecord {
  readonly error: string;
  readonly cause: string | null;
}

/** The audit record of one execution of the runbook: what a change ticket keeps. */
export interface AuditRecord {
  readonly execution: string | null;
  readonly changeId: string | null;
  readonly requestedBy: string | null;
  /** Whether the runbook verified the requester (started through its endpoint); null: not known. */
  readonly requesterVerified: boolean | null;
  readonly reason: string | null;
  readonly targetImage: string | null;
  readonly dryRun: boolean;
  readonly status: ExecutionStatus;
  readonly outcome: Outcome;
  readonly rolledBack: boolean;
  readonly summary: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly approval: ApprovalRecord | null;
  readonly snapshotId: string | null;
  readonly schemaVersionBefore: string | null;
  readonly schemaVersionAfter: string | null;
  readonly serviceVersionBefore: string | null;
  readonly serviceVersionAfter: string | null;
  readonly migrationsApplied: readonly string[] | null;
  readonly error: ErrorRecord | null;
  /** The plan of a dry run, or of a change that was not approved: what a real run would do, read from the image it would run. */
  readonly plan: {
    readonly migrationsToApply: readonly string[] | null;
    readonly stepsThatWouldRun: readonly string[];
    readonly snapshotIdToUse: string | null;
    /** The image the plan was read from, as the task definition names it, and the digest the task ran. */
    readonly image: string | null;
    readonly imageDigest: string | null;
    /** What a restore of this instance would not put back (see the README, "What a restore puts back"). */
    readonly notRestoredByARestore: readonly string[] | null;
  } | null;
  readonly rollback: {
    readonly decision: string | null;
    readonly databaseRestored: boolean | null;
    readonly serviceVersionAfterRollback: string | null;
    readonly rollbackError: ErrorRecord | null;
    /** The rollback's guide steps that ran, with their times and results. */
    readonly actions: readonly ReportStep[];
  } | null;
  readonly steps: readonly ReportStep[];
}

type Fields = Record<string, unknown>;

const asFields = (value: unknown): Fields => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : {});
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function errorRecord(value: unknown): ErrorRecord | null {
  const o = asFields(value);
  const error = text(o.Error) ?? text(o.error);
  return error ? { error, cause: text(o.Cause) ?? text(o.cause) } : null;
}

/** A Lambda error's cause is JSON with an errorMessage; others are plain text. */
function causeMessage(cause: string | undefined): string {
  const parsed = asFields(parseJson(cause));
  return text(parsed.errorMessage) ?? cause ?? 'no cause given';
}

function reportStep(s: StepProgress): ReportStep {
  return {
    id: s.id,
    title: s.title,
    status: s.status,
    startedAt: s.startedAt ?? null,
    endedAt: s.endedAt ?? null,
    durationSeconds: s.elapsedSeconds ?? null,
    error: s.error ?? null,
    retries: s.retries,
  };
}

/**
 * Who answered the approval. Once the runbook has checked the answer, its record says who,
 * whether that was verified, and why; before that (a run still waiting, or a history without the
 * check), what the approval task received, unverified.
 */
function approvalOf(events: readonly RunEvent[], final: Fields): ApprovalRecord | null {
  const recorded = asFields(final.approval);
  const answered = [...events].reverse().find((e) => 'state' in e && e.state === APPROVAL_STATE && ['exited', 'caught', 'failed'].includes(e.kind));
  if (text(recorded.decision) && typeof recorded.verified === 'boolean') {
    return {
      decision: text(recorded.decision) as string,
      by: text(recorded.approvedBy) ?? text(recorded.rejectedBy),
      note: text(recorded.comment) ?? text(recorded.reason),
      at: answered?.at ?? null,
      verified: recorded.verified,
    };
  }
  if (answered?.kind === 'exited') {
    // The local rehearsal does not hand over task results; the record keeps the answer too.
    const answer = asFields(answered.result ?? final.approval);
    return { decision: text(answer.decision) ?? 'approved', by: text(answer.approvedBy), note: text(answer.comment), at: answered.at, verified: null };
  }
  if (answered && (answered.kind === 'caught' || answered.kind === 'failed')) {
    const answer = asFields(parseJson(answered.cause));
    if (answered.error === 'States.Timeout') return { decision: 'timed out', by: null, note: null, at: answered.at, verified: null };
    return { decision: text(answer.decision) ?? 'rejected', by: text(answer.rejectedBy), note: text(answer.reason) ?? answered.cause ?? null, at: answered.at, verified: null };
  }
  const decision = text(recorded.decision);
  return decision ? { decision, by: text(recorded.approvedBy) ?? text(recorded.rejectedBy), note: text(recorded.comment) ?? text(recorded.reason), at: null, verified: null } : null;
}

const strings = (value: unknown): string[] | null => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null);
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function summaryOf(progress: Progress, final: Fields, outcome: Outcome): string {
  const given = text(final.summary);
  if (given) return given;
  if (outcome === 'DRY_RUN') {
    const statusError = errorRecord(final.statusError);
    const migrations = strings(final.migrationsToApply);
    const what = statusError
      ? `the schema status could not be read (${statusError.error})`
      : `schema ${text(final.currentSchemaVersion) ?? '?'}, ${migrations && migrations.length > 0 ? `${plural(migrations.length, 'migration')} to apply (${migrations.join(', ')})` : 'nothing to upgrade'}`;
    return `Dry run, nothing was changed: ${what}.`;
  }
  if (progress.status === 'RUNNING') return `Still running${progress.currentState ? ` (in "${progress.currentState}")` : ''}.`;
  if (progress.status === 'SUCCEEDED') {
    const migrations = Array.isArray(final.migrationsApplied) ? final.migrationsApplied.length : null;
    const [before, after] = [text(final.schemaVersionBefore), text(final.schemaVersionAfter)];
    const schema = before === null ? null : before === after ? `schema ${before} already up to date` : `schema ${before} → ${after}`;
    const service = text(final.serviceVersionBefore) ? `service ${final.serviceVersionBefore} → ${final.serviceVersionAfter}` : null;
    const parts = [schema, migrations === null ? null : `${plural(migrations, 'migration')} applied`, service].filter(Boolean);
    return `Migration ${outcome === 'SUCCEEDED' ? 'complete' : outcome}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}.`;
  }
  return `${progress.error ?? progress.status}: ${causeMessage(progress.cause)}`;
}

/** The audit record, from the events of an execution (its final output or cause included). */
export function buildReport(events: readonly RunEvent[], meta: { executionArn?: string } = {}): AuditRecord {
  const progress = reduceProgress(events);
  const input = asFields(progress.input);
  const final = progress.status === 'SUCCEEDED' ? asFields(progress.output) : asFields(parseJson(progress.cause));
  const pick = (key: string) => text(final[key]) ?? text(input[key]);
  const outcome: Outcome =
    progress.status === 'RUNNING' || progress.status === 'ABORTED' || progress.status === 'TIMED_OUT'
      ? progress.status
      : (text(final.outcome) ?? progress.status);
  const steps = visibleSteps(progress).map(reportStep);
  const actions = steps.filter((s) => progress.steps.find((p) => p.id === s.id)?.onFailureOnly);
  // A refused change ends through its own report step, with nothing to roll back.
  const ranRollback = outcome !== 'NOTHING_CHANGED' && (actions.length > 0 || outcome === 'ROLLED_BACK' || outcome === 'ROLLBACK_FAILED');
  const restored = final.databaseRestored ?? (outcome === 'ROLLBACK_FAILED' ? false : undefined);
  return {
    execution: meta.executionArn ?? text(final.execution),
    changeId: pick('changeId'),
    requestedBy: pick('requestedBy'),
    requesterVerified: typeof asFields(final.requester).verified === 'boolean' ? (asFields(final.requester).verified as boolean) : null,
    reason: pick('reason'),
    targetImage: pick('targetImage'),
    dryRun: input.dryRun === true,
    status: progress.status,
    outcome,
    rolledBack: outcome === 'ROLLED_BACK',
    summary: summaryOf(progress, final, outcome),
    startedAt: progress.startedAt ?? text(final.startedAt),
    finishedAt: progress.endedAt ?? text(final.finishedAt),
    approval: approvalOf(events, final),
    snapshotId: text(final.snapshotId),
    schemaVersionBefore: text(final.schemaVersionBefore) ?? text(final.currentSchemaVersion),
    schemaVersionAfter: text(final.schemaVersionAfter),
    serviceVersionBefore: text(final.serviceVersionBefore),
    serviceVersionAfter: text(final.serviceVersionAfter),
    migrationsApplied: strings(final.migrationsApplied),
    plan:
      outcome === 'DRY_RUN' || outcome === 'NOTHING_CHANGED'
        ? {
            migrationsToApply: strings(final.migrationsToApply) ?? strings(final.plannedMigrations),
            stepsThatWouldRun: strings(final.stepsThatWouldRun) ?? [],
            snapshotIdToUse: text(final.snapshotIdToUse),
            image: text(final.image),
            imageDigest: text(final.imageDigest),
            notRestoredByARestore: strings(final.notRestoredByARestore),
          }
        : null,
    error: errorRecord(final.error) ?? (progress.error ? { error: progress.error, cause: progress.cause ?? null } : null),
    rollback: ranRollback
      ? {
          decision: text(final.decision),
          databaseRestored: typeof restored === 'boolean' ? restored : null,
          serviceVersionAfterRollback: text(final.serviceVersionAfterRollback),
          rollbackError: errorRecord(final.rollbackError),
          actions,
        }
      : null,
    steps,
  };
}

const STATUS_STYLES: Readonly<Record<StepStatus, string>> = {
  succeeded: 'fill:#dff0d8,stroke:#3c763d,color:#1e4620',
  failed: 'fill:#f2dede,stroke:#a94442,color:#5a1e1e',
  skipped: 'fill:#f5f5f5,stroke:#999999,color:#777777,stroke-dasharray:4 3',
  pending: 'fill:#ffffff,stroke:#bbbbbb,color:#555555',
  running: 'fill:#d9edf7,stroke:#31708f,color:#1b4b66',
};

/** A Mermaid flowchart of the steps, each node in the class of its status; the rollback hangs off the failed step. */
export function mermaidFlowchart(record: AuditRecord): string {
  const rollbackIds = new Set(record.rollback?.actions.map((a) => a.id) ?? []);
  const main = record.steps.filter((s) => !rollbackIds.has(s.id));
  const rollback = record.steps.filter((s) => rollbackIds.has(s.id));
  const label = (s: ReportStep) => `${s.id}["${s.title.replace(/"/g, '#quot;')}"]`;
  const lines = ['flowchart TD'];
  main.forEach((s, i) => {
    lines.push(i === 0 ? `  ${label(s)}` : `  ${main[i - 1]?.id} --> ${label(s)}`);
  });
  const from = main.find((s) => s.status === 'failed') ?? [...main].reverse().find((s) => s.startedAt !== null);
  rollback.forEach((s, i) => {
    const previous = i === 0 ? from : rollback[i - 1];
    lines.push(previous ? `  ${previous.id} ${i === 0 ? '-. rollback .->' : '-->'} ${label(s)}` : `  ${label(s)}`);
  });
  for (const [status, style] of Object.entries(STATUS_STYLES)) lines.push(`  classDef ${status} ${style}`);
  for (const status of Object.keys(STATUS_STYLES)) {
    const ids = record.steps.filter((s) => s.status === status).map((s) => s.id);
    if (ids.length > 0) lines.push(`  class ${ids.join(',')} ${status}`);
  }
  return lines.join('\n');
}

const cell = (value: string | null | undefined) => (value ? value.replace(/\|/g, '\\|').replace(/\n/g, ' ') : '—');
const duration = (seconds: number | null) => (seconds === null ? '—' : `${Math.round(seconds)} s`);

function table(rows: [string, string | null][]): string[] {
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`)];
}

function stepTable(steps: readonly ReportStep[]): string[] {
  return [
    '| Step | Status | Started | Ended | Duration | Note |',
    '|---|---|---|---|---|---|',
    ...steps.map((s) => {
      const note = [s.error, s.retries > 0 ? `${s.retries} retries` : null].filter(Boolean).join(', ');
      return `| ${cell(s.title)} | ${s.status} | ${cell(s.startedAt)} | ${cell(s.endedAt)} | ${duration(s.durationSeconds)} | ${cell(note)} |`;
    }),
  ];
}

/** The record as Markdown for a change ticket or a wiki page. */
export function reportMarkdown(record: AuditRecord): string {
  const versions = (before: string | null, after: string | null) => (before || after ? `${before ?? '?'} → ${after ?? '?'}` : null);
  const a = record.approval;
  const verified = (v: boolean | null, unverified: string) => (v === true ? ' (verified)' : v === false ? ` (${unverified})` : '');
  const approval = a
    ? `${a.decision}${a.by ? ` by ${a.by}` : ''}${verified(a.verified, 'not verified')}${a.at ? ` at ${a.at}` : ''}${a.note ? `: ${a.note}` : ''}`
    : null;
  const requester = record.requestedBy ? `${record.requestedBy}${verified(record.requesterVerified, 'typed when the execution was started: not verified')}` : null;
  const lines = [
    `# Metaflow schema migration ${record.changeId ?? '(unknown change)'}: ${record.outcome}`,
    '',
    `> ${record.summary.replace(/\n/g, ' ')}`,
    '',
    ...table([
      ['Execution', record.execution],
      ['Change', record.changeId],
      ['Requested by', requester],
      ['Reason', record.reason],
      ['Approval', approval],
      ['Status', `${record.status}${record.error ? ` (${record.error.error})` : ''}`],
      ['Outcome', record.outcome],
      ['Started', record.startedAt],
      ['Finished', record.finishedAt],
      ['Target image', record.targetImage],
      ['Snapshot', record.snapshotId],
      ['Schema version', versions(record.schemaVersionBefore, record.schemaVersionAfter)],
      ['Service version', versions(record.serviceVersionBefore, record.serviceVersionAfter)],
      ['Migrations applied', record.migrationsApplied ? record.migrationsApplied.join(', ') || 'none' : null],
    ]),
    '',
    '## Steps',
    '',
    '```mermaid',
    mermaidFlowchart(record),
    '```',
    '',
    ...stepTable(record.steps),
  ];
  const section = (title: string, rows: [string, string | null][]) => lines.push('', `## ${title}`, '', ...table(rows));
  const p = record.plan;
  if (p) {
    section(record.outcome === 'DRY_RUN' ? 'Plan (dry run: nothing was changed)' : 'Plan (not approved: nothing was changed)', [
      ['Migrations to apply', p.migrationsToApply ? p.migrationsToApply.join(', ') || 'none' : null],
      ['Read from image', p.image && p.imageDigest ? `${p.image} (${p.imageDigest})` : p.image],
      ['Snapshot it would take', p.snapshotIdToUse],
      ['Steps that would run', p.stepsThatWouldRun.length > 0 ? p.stepsThatWouldRun.join(', ') : null],
      ['Not put back by a restore', p.notRestoredByARestore ? p.notRestoredByARestore.join(', ') || 'nothing' : null],
    ]);
  }
  const r = record.rollback;
  if (r) {
    section('Rollback', [
      ['Decision', r.decision],
      ['Database restored', r.databaseRestored === null ? null : r.databaseRestored ? 'yes, from the snapshot' : 'no'],
      ['Service version after rollback', r.serviceVersionAfterRollback],
      ['Rollback error', r.rollbackError ? `${r.rollbackError.error}: ${r.rollbackError.cause ?? ''}` : null],
    ]);
  }
  return `${lines.join('\n')}\n`;
}
