import { InvalidExecutionInput } from '../lib/errors';
import { asRecord, describe } from '../lib/validate';
import { type Attestation, attestationProblem } from './attestation';
import { type DatabaseIdentifier, type DerivedNames, derivedNames, executionSuffix, rdsSlug } from './derived-names';

/** A ticket-like reference: it ends up in snapshot and instance names and in tags. */
export const CHANGE_ID = /^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$/;
/** repository[:tag][@sha256:digest], as a container definition's `image` takes it. */
export const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Who asked for the change: an e-mail, a user name or an IAM ARN. */
export const REQUESTER = /^[\w.@+=,/:-]{1,200}$/;

/** One line of at most 500 characters: it is quoted in notifications and reports. */
export const REASON = /^[^\p{Cc}]{1,500}$/u;

/**
 * One execution input field's rule. `problem`, when a field has one, says precisely what is wrong in
 * place of "expected …": an attestation has parts, and the one at fault is worth naming.
 */
interface InputRule {
  readonly required: boolean;
  readonly ok: (v: unknown) => boolean;
  readonly expected: string;
  readonly problem?: (v: unknown, field: string) => string | undefined;
}

/** What each execution input field must be: one table, checked by validate-input and by the CLI before it starts a run. */
export const EXECUTION_INPUT_RULES = {
  changeId: {
    required: true,
    ok: (v: unknown) => typeof v === 'string' && CHANGE_ID.test(v) && v.length <= 64,
    expected: 'a ticket reference such as CHG-1234 (letters, digits, single - _ . separators, starting with a letter, at most 64 characters)',
  },
  requestedBy: {
    required: true,
    ok: (v: unknown) => typeof v === 'string' && REQUESTER.test(v),
    expected: 'who asked for the change: an e-mail, user name or IAM ARN (no spaces, at most 200 characters)',
  },
  reason: { required: false, ok: (v: unknown) => typeof v === 'string' && REASON.test(v), expected: 'one line of at most 500 characters' },
  targetImage: {
    required: false,
    ok: (v: unknown) => typeof v === 'string' && IMAGE_REF.test(v),
    expected: 'an image reference such as netflixoss/metaflow_metadata_service:v2.5.1',
  },
  dryRun: { required: false, ok: (v: unknown) => typeof v === 'boolean', expected: 'true or false' },
  // Written by the runbook's endpoint when it starts the execution; checked by "Verify who asked".
  attestation: {
    required: false,
    ok: (v: unknown) => attestationProblem(v, 'attestation') === undefined,
    expected: 'the runbook endpoint\'s attestation, {"issuedAt": a UTC timestamp, "mac": an HMAC-SHA-256 in base64}',
    problem: attestationProblem,
  },
} as const satisfies Record<string, InputRule>;

export type ExecutionInputField = keyof typeof EXECUTION_INPUT_RULES;
export const EXECUTION_INPUT_FIELDS = Object.keys(EXECUTION_INPUT_RULES) as ExecutionInputField[];

/**
 * Every problem of an execution input, one line each, naming the field (as `name(field)` spells it:
 * the CLI names its flags). An absent optional field, or a null one, is no problem.
 */
export function executionInputProblems(input: Record<string, unknown>, name: (field: string) => string = (f) => f): string[] {
  const problems = Object.keys(input)
    .filter((k) => !(EXECUTION_INPUT_FIELDS as string[]).includes(k))
    .map((k) => `${name(k)}: unknown field; expected only ${EXECUTION_INPUT_FIELDS.join(', ')}`);
  for (const field of EXECUTION_INPUT_FIELDS) {
    const rule: InputRule = EXECUTION_INPUT_RULES[field];
    const value = input[field];
    const absent = value === undefined || value === null;
    if (absent && !rule.required) continue;
    const precisely = absent ? undefined : rule.problem?.(value, name(field));
    if (precisely !== undefined) {
      problems.push(precisely);
      continue;
    }
    if (absent || !rule.ok(value)) problems.push(`${name(field)}: expected ${rule.expected}, got ${describe(value)}`);
  }
  return problems;
}

interface PlanFields {
  readonly changeId: string;
  readonly requestedBy: string;
  /** Always a string, so notifications and reports can quote it. */
  readonly reason: string;
  readonly targetImage: string | null;
  /** Run the read-only checks and report the plan; change nothing. */
  readonly dryRun: boolean;
  /** The runbook endpoint's attestation of who started the execution; null when it was started otherwise. */
  readonly attestation: Attestation | null;
  /** Where the pre-upgrade snapshot goes; unique per execution so a re-run never collides. */
  readonly snapshotId: string;
}

/**
 * The plan, and where a restore would put the snapshot (beside the original) and the original
 * database (renamed aside): an instance's or a cluster's names (derived-names.ts).
 */
export type ChangePlan = PlanFields & DerivedNames;

/**
 * Validates the operator's input, reporting every bad field at once, and derives every name the run
 * will create, so the names are in the history before any AWS call and a rollback never has to guess them.
 */
export function planChange(input: unknown, executionName: string, database: DatabaseIdentifier): ChangePlan {
  const o = asRecord(input, 'execution input', InvalidExecutionInput);
  const problems = executionInputProblems(o);
  if (problems.length > 0) throw new InvalidExecutionInput(problems.length === 1 ? (problems[0] as string) : `${problems.length} problems: ${problems.join('; ')}`);
  const changeId = o.changeId as string;
  const slug = rdsSlug(changeId);
  const suffix = executionSuffix(executionName);
  return {
    changeId,
    requestedBy: o.requestedBy as string,
    reason: typeof o.reason === 'string' ? o.reason : '(none given)',
    targetImage: typeof o.targetImage === 'string' ? o.targetImage : null,
    dryRun: o.dryRun === true,
    attestation: (o.attestation as Attestation | undefined) ?? null,
    snapshotId: `metaflow-migration-${slug.slice(0, 200)}-${suffix}`,
    ...derivedNames(database, executionName),
  };
}
