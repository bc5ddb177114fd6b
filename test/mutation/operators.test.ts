import { deriveMutants, type Json, type Mutant } from '../../mutation/definition/operators';

type Definition = { [key: string]: Json };

/** A small definition with one of everything an operator changes, nested branch included. */
function definition(): Definition {
  return {
    StartAt: 'Describe',
    TimeoutSeconds: 3600,
    States: {
      Describe: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:ecs:listTasks',
        Parameters: { Cluster: 'c', 'ServiceName.$': '$.service' },
        Retry: [{ ErrorEquals: ['Ecs.ServerException'], MaxAttempts: 3 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
        Next: 'Record',
      },
      Record: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Next: 'Count' },
      Count: { Type: 'Pass', Parameters: { 'attempts.$': '$.n' }, Next: 'Marker' },
      Marker: { Type: 'Pass', Comment: 'names a moment only', Next: 'Pause' },
      Pause: { Type: 'Wait', Seconds: 10, Next: 'Done?' },
      'Done?': {
        Type: 'Choice',
        Choices: [
          { Variable: '$.tasks[1]', IsPresent: true, Next: 'Failed' },
          { Variable: '$.polls.attempts', NumericGreaterThanEquals: 5, Next: 'Failed' },
        ],
        Default: 'Phase',
      },
      Phase: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'Inner', States: { Inner: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', TimeoutSeconds: 60, End: true } } }],
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail', Error: 'Broken' },
    },
  };
}

const byId = (mutants: Mutant[], id: string): Mutant => {
  const found = mutants.find((m) => m.id === id);
  if (!found) throw new Error(`no mutant ${id}; have ${mutants.map((m) => m.id).join(', ')}`);
  return found;
};
const states = (d: Definition | undefined) => (d?.States ?? {}) as Record<string, Record<string, Json>>;

describe('definition mutants are derived from the definition itself', () => {
  const mutants = deriveMutants(definition());

  it('names each mutant by operator, state and part, never by position', () => {
    expect(mutants.map((m) => m.id).sort()).toEqual(
      [
        'remove-bound:(execution):TimeoutSeconds',
        'remove-catch:Describe:States.ALL',
        'remove-retry:Describe:Ecs.ServerException',
        'drop-parameter:Describe:Cluster',
        'drop-parameter:Describe:ServiceName',
        'skip-next:Describe',
        'swap-next:Describe',
        'skip-next:Record',
        'skip-next:Count',
        'skip-next:Pause',
        'swap-choice:Done?:Failed',
        'swap-choice:Done?:Failed#2',
        'shift-index:Done?:$.tasks[1]',
        'remove-bound:Done?:attempts',
        'skip-next:Phase',
        'remove-bound:Inner:TimeoutSeconds',
      ].sort(),
    );
  });

  it('keeps an id when unrelated states are added or reordered', () => {
    const changed = definition();
    const { Count, ...rest } = states(changed);
    changed.States = { Extra: { Type: 'Pass', End: true }, ...rest, Count } as Json;

    const ids = new Set(deriveMutants(changed).map((m) => m.id));

    for (const m of mutants) expect(ids).toContain(m.id);
  });

  it('changes only a copy: the definition it derives from is left as it was', () => {
    const original = definition();
    for (const m of deriveMutants(original)) m.apply(original);

    expect(original).toEqual(definition());
  });

  it('removes one Catch rule, one Retry rule or one parameter key', () => {
    expect(states(byId(mutants, 'remove-catch:Describe:States.ALL').apply(definition())).Describe?.Catch).toBeUndefined();
    expect(states(byId(mutants, 'remove-retry:Describe:Ecs.ServerException').apply(definition())).Describe?.Retry).toBeUndefined();
    expect(states(byId(mutants, 'drop-parameter:Describe:ServiceName').apply(definition())).Describe?.Parameters).toEqual({ Cluster: 'c' });
  });

  it('skips a state by sending every transition into it (StartAt included) to its Next', () => {
    const skipped = byId(mutants, 'skip-next:Describe').apply(definition());
    const skippedCount = byId(mutants, 'skip-next:Count').apply(definition());

    expect(skipped?.StartAt).toBe('Record');
    expect(states(skippedCount).Record?.Next).toBe('Marker');
  });

  it('swaps a Task with the Task after it: what came before now reaches the second first', () => {
    const swapped = byId(mutants, 'swap-next:Describe').apply(definition());

    expect([swapped?.StartAt, states(swapped).Record?.Next, states(swapped).Describe?.Next]).toEqual(['Record', 'Describe', 'Count']);
  });

  it('leaves out what cannot differ: skipping a Pass that changes nothing, swapping bookkeeping states', () => {
    const ids = mutants.map((m) => m.id);

    expect(ids).not.toContain('skip-next:Marker');
    expect(ids.filter((id) => id.startsWith('swap-next:'))).toEqual(['swap-next:Describe']);
  });

  it('does not exchange a rule that already goes where the Default goes (the mutant would be the definition)', () => {
    const d = definition();
    const choice = states(d)['Done?'] as Record<string, Json>;
    (choice.Choices as Record<string, Json>[]).push({ Variable: '$.tasks[0]', IsPresent: false, Next: 'Phase' });
    const ids = deriveMutants(d).map((m) => m.id);

    expect(ids.filter((id) => id.startsWith('swap-choice:'))).toEqual(['swap-choice:Done?:Failed', 'swap-choice:Done?:Failed#2']);
  });

  it("exchanges a Choice rule's target with the Default", () => {
    const swapped = states(byId(mutants, 'swap-choice:Done?:Failed').apply(definition()))['Done?'];

    expect(swapped?.Default).toBe('Failed');
    expect(((swapped?.Choices ?? []) as Record<string, Json>[])[0]?.Next).toBe('Phase');
  });

  it("removes a wait's attempts rule, a state's TimeoutSeconds and the execution's", () => {
    expect(states(byId(mutants, 'remove-bound:Done?:attempts').apply(definition()))['Done?']?.Choices).toHaveLength(1);
    const inner = byId(mutants, 'remove-bound:Inner:TimeoutSeconds').apply(definition());
    const branch = ((states(inner).Phase?.Branches ?? []) as Definition[])[0];
    expect(states(branch).Inner?.TimeoutSeconds).toBeUndefined();
    expect(byId(mutants, 'remove-bound:(execution):TimeoutSeconds').apply(definition())?.TimeoutSeconds).toBeUndefined();
  });

  it('points an indexed Choice variable one element further', () => {
    const shifted = states(byId(mutants, 'shift-index:Done?:$.tasks[1]').apply(definition()))['Done?'];

    expect(((shifted?.Choices ?? []) as Record<string, Json>[])[0]?.Variable).toBe('$.tasks[2]');
  });

  it('applies to another definition only where it has the state (a configuration variant)', () => {
    const variant = definition();
    delete states(variant).Count;

    expect(byId(mutants, 'skip-next:Count').apply(variant)).toBeUndefined();
    expect(byId(mutants, 'skip-next:Pause').apply(variant)).toBeDefined();
  });
});
