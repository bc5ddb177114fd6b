import { FIXTURE_NAMES } from '../../rehearsal/fixtures';
import { answerFieldVariants, knownDefectOf, noAnswerVariants, recordedMatrix, taskFailureVariants, type Variant, waitVariants } from '../support/matrix-suite';
import { KNOWN_DEFECTS, NEVER_ANSWERED_NOT_YET } from './known-defects';

/**
 * Each fixture's matrix runs the variants some scenario leads to on that deployment. What no
 * scenario reaches on one (a custom parameter group's reboot, say) must be reached on another, and
 * what no scenario reaches at all is a failure here, by name: nothing is skipped in silence.
 */
const matrices = FIXTURE_NAMES.map((fixture) => recordedMatrix(fixture));
const [first] = matrices;
if (!first) throw new Error('no fixture');

/** "<name>: reached on <fixtures>" for each name, or "<name>: reached on no fixture". */
function whereReached(names: string[], reached: (m: (typeof matrices)[number], name: string) => boolean): string[] {
  return names.map((name) => {
    const on = matrices.filter((m) => reached(m, name)).map((m) => m.fixture);
    return `${name}: ${on.length > 0 ? `reached on ${on.join(', ')}` : 'reached on no fixture'}`;
  });
}

describe('the fault matrix leaves nothing of the definition out', () => {
  it('reaches every Task state of the definition on some fixture', () => {
    const reached = whereReached(first.tasks, (m, state) => m.reaching(state) !== undefined);

    expect(reached.filter((r) => r.endsWith('no fixture'))).toEqual([]);
    expect(first.tasks.length).toBeGreaterThanOrEqual(30);
  });

  it('finds every bounded wait, and each wait check reached on some fixture', () => {
    const reached = whereReached(
      first.waits.map((w) => w.check),
      (m, check) => m.reaching(check) !== undefined,
    );

    expect(first.waits.length).toBeGreaterThanOrEqual(10);
    expect(reached.filter((r) => r.endsWith('no fixture'))).toEqual([]);
  });

  it('records a "not yet" answer for every wait whose question can send one to its bound, but the waits NEVER_ANSWERED_NOT_YET names', () => {
    const never = first.waits.filter((w) => w.statusNotYet && matrices.every((m) => m.recordedNotYet(w) === undefined)).map((w) => w.title);

    expect(never.sort()).toEqual(Object.keys(NEVER_ANSWERED_NOT_YET).sort());
  });

  it('reaches, on some fixture, the Task of every answer field the runbook reads, and finds the fields', () => {
    const fields = first.fields();
    const reached = whereReached([...new Set(fields.map((f) => f.task))], (m, task) => m.reaching(task) !== undefined);

    expect(fields.length).toBeGreaterThanOrEqual(20);
    expect(reached.filter((r) => r.endsWith('no fixture'))).toEqual([]);
  });

  it('leaves no Task with a TimeoutSeconds out of kind 4, and reaches each on some fixture', () => {
    const timed = first.tasks.filter((t) => typeof first.states.get(t)?.TimeoutSeconds === 'number');
    const reached = whereReached(first.timedTasks, (m, state) => m.reaching(state) !== undefined);

    // Only the approval's callback is left out: its "no answer" is the approval-timed-out scenario.
    expect(timed.filter((t) => !first.timedTasks.includes(t))).toEqual(['Wait for approval']);
    expect(first.timedTasks.length).toBeGreaterThanOrEqual(20);
    expect(reached.filter((r) => r.endsWith('no fixture'))).toEqual([]);
  });

  it('runs, on some fixture, a variant for every entry of KNOWN_DEFECTS', () => {
    const run = (m: (typeof matrices)[number]): Variant[] =>
      [...taskFailureVariants(m), ...waitVariants(m), ...answerFieldVariants(m), ...noAnswerVariants(m)].filter((v) => v.base(m) !== undefined);
    const variants = matrices.flatMap(run);

    const unmatched = KNOWN_DEFECTS.filter((d) => !variants.some((v) => knownDefectOf(v, [d]) === d));

    expect(unmatched).toEqual([]);
  });
});
