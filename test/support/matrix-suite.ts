import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Json } from '../../rehearsal/assembly';
import type { FixtureName } from '../../rehearsal/fixtures';
import { runbookAssembly } from './assembly';
import type { AnswerField, BoundedWait } from './definition-reads';
import { type Baseline, FaultMatrix, type WaitOutcome } from './fault-matrix';

/** The environment variable naming the folder where the matrix's global setup wrote each fixture's baselines. */
export const BASELINES_DIR = 'RUNBOOK_MATRIX_BASELINES';

export type VariantKind = 'fails once' | 'never done' | 'answer without' | 'never answered';

/** One fault of the matrix, derived from the definition; run against a fixture's matrix. */
export interface Variant {
  readonly kind: VariantKind;
  /** The Task state the fault is injected into. */
  readonly state: string;
  /** What is injected: the not-yet outcome (kind 2), the field left out (kind 3). */
  readonly detail?: string;
  readonly title: string;
  /** The undisturbed run the variant starts from on this fixture, if any scenario leads there. */
  base(matrix: FaultMatrix): Baseline | undefined;
  run(matrix: FaultMatrix, base: Baseline): Promise<string[]>;
}

/** A variant the runbook fails today, with why: its test passes while the variant still breaks an invariant. */
export interface KnownDefect {
  readonly kind: VariantKind;
  readonly state: string;
  /** The field or outcome; every one of the state when not given. */
  readonly detail?: string;
  readonly reason: string;
}

export function knownDefectOf(variant: Pick<Variant, 'kind' | 'state' | 'detail'>, known: readonly KnownDefect[]): KnownDefect | undefined {
  return known.find((k) => k.kind === variant.kind && k.state === variant.state && (k.detail === undefined || k.detail === variant.detail));
}

/** Kind 1: every Task state fails once. */
export function taskFailureVariants(matrix: FaultMatrix): Variant[] {
  const outcome = (state: string) => {
    if (matrix.catchesAll(state)) return 'is handled where it happens: the execution ends as it would have';
    if (!matrix.phaseOf.has(state)) return 'ends the execution FAILED with the error at once, nothing changed';
    if (matrix.rollback.has(state)) return 'stops the rollback: FAILED RollbackFailed with every resource reported';
    return 'ends FAILED with the error and its cause, the deployment rolled back';
  };
  return matrix.tasks.map((state) => ({
    kind: 'fails once',
    state,
    title: `"${state}" failing once ${outcome(state)}`,
    base: (m) => m.reaching(state),
    run: (m, base) => m.taskFailsOnce(state, base),
  }));
}

const outcomeDetail = (outcome: { error: string } | { status: true }) => ('error' in outcome ? outcome.error : 'a "not yet" answer');

/** Kind 2: every wait's check answers each of its "not yet" outcomes every time. */
export function waitVariants(matrix: FaultMatrix): Variant[] {
  const of = (wait: BoundedWait, outcome: { error: string } | { status: true }): Variant => ({
    kind: 'never done',
    state: wait.check,
    detail: outcomeDetail(outcome),
    title: `"${wait.title}" answered ${'error' in outcome ? `the error ${outcome.error}` : '"not yet"'} on every check gives up after ${wait.bound} checks with ${wait.timeoutError}, rolled back`,
    base: (m) => ('error' in outcome ? m.reaching(wait.check) : m.recordedNotYet(wait)?.base),
    run: (m, base) => {
      const answer: WaitOutcome = 'error' in outcome ? outcome : { answer: m.notYetAnswers(wait, base)[0] as Json };
      return m.waitGivesUp(wait, answer, base);
    },
  });
  return matrix.waits.flatMap((wait) => [...(wait.statusNotYet ? [of(wait, { status: true })] : []), ...wait.notYetErrors.map((error) => of(wait, { error }))]);
}

/** Kind 3: every field of every aws-sdk answer the runbook reads, left out of the first answer that carries it. */
export function answerFieldVariants(matrix: FaultMatrix): Variant[] {
  return matrix.fields().map((field: AnswerField) => ({
    kind: 'answer without',
    state: field.task,
    detail: field.path,
    title: field.absentMeans
      ? `"${field.task}" answering without ${field.path} (gone for good) ends with ${field.absentMeans.error}, never States.Runtime, rolled back where it can be`
      : `"${field.task}" answering without ${field.path}: no States.Runtime, and a failure after a change rolled back`,
    base: (m) => m.carrying(field) ?? m.reaching(field.task),
    run: async (m, base) => {
      if (m.carrying(field)) return m.answerWithout(field, base);
      // No answer carries it: every run that reaches the Task already is this variant.
      const uncaught = base.status === 'TIMED_OUT' || base.error === 'States.Runtime';
      return uncaught ? [`${base.scenario}, whose answers all lack ${field.path}, ended ${base.status} ${base.error}`] : [];
    },
  }));
}

/** Kind 4: every Task with a TimeoutSeconds, its first call never answered. */
export function noAnswerVariants(matrix: FaultMatrix): Variant[] {
  return matrix.timedTasks.map((state) => ({
    kind: 'never answered',
    state,
    title: `"${state}" never answering once times out after its TimeoutSeconds and is handled as its failure, never a stuck execution`,
    base: (m) => m.reaching(state),
    run: (m, base) => m.neverAnswered(state, base),
  }));
}

/** A variant as a test: its invariants hold, or (a known defect) it still breaks one. */
export function variantTest(matrix: () => FaultMatrix, variant: Variant, known: readonly KnownDefect[]): void {
  const defect = knownDefectOf(variant, known);
  const title = defect ? `${variant.title} [known defect, still broken: ${defect.reason}]` : variant.title;
  it(title, async () => {
    const m = matrix();
    const base = variant.base(m);
    const violations = base ? await variant.run(m, base) : [`no scenario reaches it on the ${m.fixture} deployment`];
    const scenario = base?.scenario ?? null;
    if (defect) {
      // Listed as broken: once it holds, the list must lose it.
      expect({ scenario, stillBroken: violations.length > 0 }).toEqual({ scenario, stillBroken: true });
    } else {
      expect({ scenario, violations }).toEqual({ scenario, violations: [] });
    }
  });
}

/** The baselines the matrix's global setup recorded for a fixture. */
export function recordedBaselines(fixture: FixtureName): Baseline[] {
  const dir = process.env[BASELINES_DIR];
  if (!dir) throw new Error(`${BASELINES_DIR} is not set: the fault matrix runs with its own global setup (npm run test:matrix)`);
  return JSON.parse(readFileSync(path.join(dir, `${fixture}.json`), 'utf8')) as Baseline[];
}

const recordedMatrices = new Map<FixtureName, FaultMatrix>();

export function recordedMatrix(fixture: FixtureName): FaultMatrix {
  let matrix = recordedMatrices.get(fixture);
  if (!matrix) {
    matrix = new FaultMatrix(runbookAssembly(fixture), recordedBaselines(fixture));
    recordedMatrices.set(fixture, matrix);
  }
  return matrix;
}

/**
 * The whole matrix on one fixture: every variant of the four kinds that some scenario leads to on
 * this deployment (what none reaches here is the coverage test's to account for, across fixtures).
 */
export function faultMatrixSuite(fixture: FixtureName, known: readonly KnownDefect[]): void {
  const matrix = recordedMatrix(fixture);
  const reached = (variants: Variant[]) => variants.filter((v) => v.base(matrix) !== undefined);
  describe(`the fault matrix on the ${fixture} deployment`, () => {
    describe('kind 1: a Task fails once', () => {
      for (const v of reached(taskFailureVariants(matrix))) variantTest(() => matrix, v, known);
    });
    describe('kind 2: a wait is answered "not yet" until it gives up', () => {
      for (const v of reached(waitVariants(matrix))) variantTest(() => matrix, v, known);
    });
    describe('kind 3: an AWS answer lacks a field the runbook reads', () => {
      for (const v of reached(answerFieldVariants(matrix))) variantTest(() => matrix, v, known);
    });
    describe('kind 4: a call is never answered', () => {
      for (const v of reached(noAnswerVariants(matrix))) variantTest(() => matrix, v, known);
    });
  });
}
