import { renameKeys, sfnMemberName } from '../../handlers/lib/sdk-casing';
import { DB_INSTANCE_PARITY, membersOf, type ParityClass } from '../../handlers/logic/restore-parity';
import { FIXTURES, INSTANCE_FIXTURE_NAMES } from '../../rehearsal/fixtures';
import { memberNames, operation, shape } from '../../rehearsal/sdk-model';

/**
 * The parity table classifies every attribute of an RDS DB instance. The members come from the
 * AWS SDK's own model of `DBInstance` (installed `@aws-sdk/client-rds`), so an attribute AWS adds
 * later fails here until someone decides what a restore does with it.
 */
const MODEL_MEMBERS = memberNames(shape('rds', 'DBInstance'));
const described = INSTANCE_FIXTURE_NAMES.map((f) => [f, renameKeys(JSON.parse(JSON.stringify(FIXTURES[f].dbInstance)), sfnMemberName) as Record<string, unknown>] as const);

describe('restore parity: what a restore puts back, attribute by attribute', () => {
  it('classifies every member of the DBInstance shape in the AWS SDK model, and nothing else', () => {
    expect(MODEL_MEMBERS.length).toBeGreaterThanOrEqual(90);
    expect(Object.keys(DB_INSTANCE_PARITY).sort()).toEqual([...MODEL_MEMBERS].sort());
  });

  it('gives a reason for every attribute a restore does not put back', () => {
    const silent = membersOf('not-restored').filter((m) => !DB_INSTANCE_PARITY[m].reason?.trim());
    expect(silent).toEqual([]);
  });

  it.each<[ParityClass, string]>([
    ['restore', 'RestoreDBInstanceFromDBSnapshot'],
    ['modify', 'ModifyDBInstance'],
  ])('names only parameters of %s that the API model has (%s)', (parityClass, op) => {
    const accepted = new Set(memberNames(operation('rds', op).input));
    const sent = new Set(
      membersOf(parityClass).flatMap((m) => described.flatMap(([, db]) => Object.keys(DB_INSTANCE_PARITY[m].params?.(db) ?? {}))),
    );

    expect([...sent].filter((p) => !accepted.has(p))).toEqual([]);
    expect(sent.size).toBeGreaterThan(5);
  });

  it('puts back, across the deployments rehearsed, a value for every restore and modify attribute the original has', () => {
    // An attribute classified as restored that no rule ever sends would be a promise nobody keeps.
    const neverSent = [...membersOf('restore'), ...membersOf('modify')].filter(
      (m) => !['DBInstanceIdentifier', 'DBInstanceArn'].includes(m) && !described.some(([, db]) => Object.keys(DB_INSTANCE_PARITY[m].params?.(db) ?? {}).length > 0),
    );

    // No deployment rehearsed uses a capacity reservation; the rule sends one when the original has it.
    expect(neverSent.sort()).toEqual(['DBCapacityReservationIdentifier']);
  });

  it('never sends a tag key RDS reserves (aws:, rds:)', () => {
    const tags = described.flatMap(([, db]) => (DB_INSTANCE_PARITY.TagList.params?.(db)?.Tags as { Key: string }[]) ?? []);

    expect(tags.filter((t) => /^(aws|rds):/.test(t.Key))).toEqual([]);
    expect(tags.map((t) => t.Key)).toContain('team');
  });
});
