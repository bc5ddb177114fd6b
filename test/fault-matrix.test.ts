import { allStates, type Json } from '../rehearsal/assembly';
import { invariantViolations } from '../rehearsal/invariants';
import { rehearse } from '../rehearsal/run';
import { findScenario, type Scenario } from '../rehearsal/scenarios';
import { KNOWN_DEFECTS } from './matrix/known-defects';
import { runbookAssembly } from './support/assembly';
import { FaultMatrix, recordBaselines } from './support/fault-matrix';
import { answerFieldVariants, taskFailureVariants, type Variant, variantTest, waitVariants } from './support/matrix-suite';

/**
 * The fault matrix on the default deployment: every Task state of the synthesized definition fails
 * once, in the first scenario that reaches it, and a representative part of the other two kinds
 * (a wait answered "not yet" until it gives up, an AWS answer without a field the runbook reads).
 * The lists come from the definition, so a new state is covered without editing this file; the
 * whole matrix, every kind on every fixture, is `npm run test:matrix`.
 */
const assembly = runbookAssembly();
/** The definition's lists; the baselines the variants start from are recorded before the tests run. */
const fromDefinition = new FaultMatrix(assembly, []);
let recorded: FaultMatrix | undefined;
const matrix = () => recorded as FaultMatrix;

beforeAll(async () => {
  recorded = new FaultMatrix(assembly, await recordBaselines(assembly));
}, 120_000);

/** The first wait answered "not yet" outside the rollback and inside it, and the first "not yet" error. */
function representativeWaits(variants: Variant[]): Variant[] {
  const inRollback = (v: Variant) => fromDefinition.rollback.has(v.state);
  const isError = (v: Variant) => fromDefinition.waits.some((w) => w.check === v.state && w.notYetErrors.includes(v.detail ?? ''));
  return [variants.find((v) => !isError(v) && !inRollback(v)), variants.find((v) => !isError(v) && inRollback(v)), variants.find(isError)].filter(
    (v): v is Variant => v !== undefined,
  );
}

/** Of every aws-sdk Task, the first field it reads that holds no other: a value a question or a selector reads. */
function representativeFields(variants: Variant[]): Variant[] {
  const leaf = (v: Variant) => !variants.some((o) => o.state === v.state && o.detail !== v.detail && (o.detail ?? '').startsWith(v.detail ?? ''));
  const byTask = new Map<string, Variant>();
  for (const v of variants) if (!byTask.has(v.state) && leaf(v)) byTask.set(v.state, v);
  return [...byTask.values()];
}

describe('fault matrix on the default deployment: every Task state of the definition fails once', () => {
  it('finds at least the Task states the guide needs', () => {
    expect(fromDefinition.tasks.length).toBeGreaterThanOrEqual(30);
  });

  for (const v of taskFailureVariants(fromDefinition)) variantTest(matrix, v, KNOWN_DEFECTS);
});

describe('fault matrix on the default deployment: a representative part of the other kinds', () => {
  const waits = representativeWaits(waitVariants(fromDefinition));
  const fields = representativeFields(answerFieldVariants(fromDefinition));

  it('picks a wait outside the rollback, one inside it and a "not yet" error, and a field of every aws-sdk Task that reads one', () => {
    expect(waits).toHaveLength(3);
    expect(fields.length).toBeGreaterThanOrEqual(15);
  });

  for (const v of [...waits, ...fields]) variantTest(matrix, v, KNOWN_DEFECTS);
});

describe('the matrix catches a wait without its bound and a question that reads a field it did not test', () => {
  /** The definition with `change` applied to a copy of the state named `name`. */
  const mutated = (name: string, change: (state: Record<string, Json>) => void): FaultMatrix => {
    // A JSON copy: structuredClone under jest makes objects of another realm, whose nested Parameters the interpreter leaves unresolved.
    const definition = JSON.parse(JSON.stringify(assembly.definition)) as typeof assembly.definition;
    const state = allStates(definition).get(name);
    if (!state) throw new Error(`no state ${name}`);
    change(state);
    return new FaultMatrix({ ...assembly, definition }, matrix().baselines);
  };

  it('a wait whose bound is out of reach is answered "not yet" until the execution times out or its history is full: its variant breaks', async () => {
    const wait = fromDefinition.waits[0] as (typeof fromDefinition.waits)[number];
    const recorded = matrix().recordedNotYet(wait);
    const unbounded = mutated(wait.attemptsChoice, (choice) => {
      for (const rule of choice.Choices as Record<string, Json>[]) if (typeof rule.NumericGreaterThanEquals === 'number') rule.NumericGreaterThanEquals = 1_000_000;
    });

    const violations = recorded ? await unbounded.waitGivesUp(wait, { answer: recorded.answer }, recorded.base) : ['no recorded "not yet" answer'];

    expect(violations).toEqual(expect.arrayContaining([expect.stringMatching(/timed out|ExecutionHistoryQuotaExceeded/), expect.stringMatching(/not the bound/)]));
  });

  it('a question without its "incomplete answer" rule reads a field left out of the answer: its variant ends in States.Runtime', async () => {
    const wait = fromDefinition.waits[0] as (typeof fromDefinition.waits)[number];
    const field = fromDefinition.answerFields.get(wait.check)?.find((f) => f.readBy === wait.question && !f.absentMeans && /\.\w+$/.test(f.path));
    const careless = mutated(wait.question, (choice) => {
      choice.Choices = (choice.Choices as Record<string, Json>[]).filter((rule) => rule.Next !== wait.attemptsChoice);
    });
    const base = field && matrix().carrying(field);

    const violations = field && base ? await careless.answerWithout(field, base) : ['no field of the wait read by its question'];

    expect(violations).toEqual(expect.arrayContaining([expect.stringMatching(/States\.Runtime/)]));
  });
});

describe('mutations of the failure wiring are caught', () => {
  it.each([
    ['Upgrade the schema and return to service', 'upgrade-returns-500'],
    ['Prepare: one task, the new image, the snapshot', 'tag-moved-after-approval'],
  ])('removing the Catch of "%s" breaks the invariants of %s', async (parallel, scenarioName) => {
    const definition = JSON.parse(JSON.stringify(assembly.definition)) as Record<string, Json>;
    const states = definition.States as Record<string, Record<string, Json>>;
    expect(states[parallel]?.Catch).toBeDefined();
    delete (states[parallel] as Record<string, Json>).Catch;

    // The failure branch is now unreachable, which the interpreter would refuse outright.
    const result = await rehearse({ assembly: { ...assembly, definition }, scenario: findScenario(scenarioName) as Scenario, validateDefinition: false });

    expect(invariantViolations(result, { rollbackMayFail: false })).not.toEqual([]);
  });
});
