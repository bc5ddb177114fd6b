import type { ChangePlan } from '../../handlers/logic/plan-change';
import { handler } from '../../handlers/validate-input';
import { expectNamedError, rejectionOf } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

const REQUESTER = 'jane.doe@example.com';
/** The handler on `input`, with the requester added to object inputs unless the test sets it. */
const plan = (input: unknown, executionName = 'migrate-2024-07-15', dbInstanceIdentifier = 'metaflow-db') =>
  handler({ input: withRequester(input), executionName, dbInstanceIdentifier }) as Promise<Extract<ChangePlan, { restoreInstanceId: string }>>;
const withRequester = (input: unknown) =>
  input && typeof input === 'object' && !Array.isArray(input) && !('requestedBy' in input) ? { requestedBy: REQUESTER, ...input } : input;

/** RDS rules: a letter first, lowercase letters, digits and hyphens, no `--`, no trailing `-`. */
function expectRdsIdentifier(id: string, maxLength: number): void {
  expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
  expect(id).not.toContain('--');
  expect(id).not.toMatch(/-$/);
  expect(id.length).toBeLessThanOrEqual(maxLength);
}

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('validate-input handler (the operator execution input)', () => {
  it.each([
    { case: 'no targetImage', input: { changeId: 'CHG-1234' }, targetImage: null },
    { case: 'targetImage null', input: { changeId: 'CHG-1234', targetImage: null }, targetImage: null },
    ...[
      'netflixoss/metaflow_metadata_service:v2.5.1',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/metaflow/metadata-service:2.5.1',
      `registry.local:5000/metaflow@${DIGEST}`,
    ].map((image) => ({ case: `targetImage ${image}`, input: { changeId: 'CHG-1234', targetImage: image }, targetImage: image })),
  ])('plans the change with $case', async ({ input, targetImage }) => {
    const result = await plan(input);
    expect(result).toEqual({
      changeId: 'CHG-1234',
      requestedBy: REQUESTER,
      reason: '(none given)',
      dryRun: false,
      targetImage,
      // Started otherwise than through the runbook's endpoint: no attestation to check.
      attestation: null,
      snapshotId: expect.stringMatching(/^metaflow-migration-chg-1234-[0-9a-f]{8}$/),
      restoreInstanceId: expect.stringMatching(/^metaflow-db-restored-[0-9a-f]{8}$/),
      asideInstanceId: expect.stringMatching(/^metaflow-db-pre-[0-9a-f]{8}$/),
    });
    // One execution, one suffix: the snapshot, the restored and the set-aside instances are findable together.
    expect(result.snapshotId.slice(-8)).toBe(result.asideInstanceId.slice(-8));
    expect(result.restoreInstanceId.slice(-8)).toBe(result.asideInstanceId.slice(-8));
  });

  it("passes the runbook endpoint's attestation on to the check of who asked", async () => {
    const attestation = { issuedAt: '2026-11-24T15:03:01.250Z', mac: `${'Q'.repeat(43)}=` };

    await expect(plan({ changeId: 'CHG-1234', attestation })).resolves.toMatchObject({ attestation });
  });

  it.each([
    { case: 'a plain ticket', changeId: 'CHG-1234', db: 'metaflow-db' },
    { case: 'dots and underscores', changeId: 'Ops_2024.07.15-Migrate', db: 'metaflow-db' },
    { case: 'a 64-character changeId', changeId: `C${'-x1'.repeat(21)}`, db: 'metaflow-db' },
    { case: 'an instance name whose cut ends on a hyphen', changeId: 'CHG-1', db: `metaflow-${'a'.repeat(40)}-${'b'.repeat(12)}` },
    { case: 'a 63-character instance', changeId: 'CHG-1', db: `m${'x'.repeat(62)}` },
  ])('derives valid RDS identifiers from $case', async ({ changeId, db }) => {
    const result = await plan({ changeId }, 'run-1', db);
    expectRdsIdentifier(result.snapshotId, 255);
    for (const derived of [result.asideInstanceId, result.restoreInstanceId]) {
      expectRdsIdentifier(derived, 63);
      expect(derived.startsWith(db.slice(0, 20))).toBe(true);
    }
  });

  it("derives an Aurora cluster's restored and renamed-aside identifiers when the state machine names a cluster", async () => {
    const cluster = `metaflow-metaflow-${'x'.repeat(40)}`;
    const result = await handler({ input: withRequester({ changeId: 'CHG-1234' }), executionName: 'run-1', dbClusterIdentifier: cluster });

    expect(result).toMatchObject({ restoreClusterId: expect.stringMatching(/-restored-[0-9a-f]{8}$/), asideClusterId: expect.stringMatching(/-pre-[0-9a-f]{8}$/) });
    expect(result).not.toHaveProperty('restoreInstanceId');
    const { restoreClusterId, asideClusterId, snapshotId } = result as Extract<ChangePlan, { restoreClusterId: string }>;
    for (const derived of [restoreClusterId, asideClusterId]) {
      expectRdsIdentifier(derived, 63);
      expect(derived.startsWith(cluster.slice(0, 40))).toBe(true);
    }
    expect(restoreClusterId.slice(-8)).toBe(snapshotId.slice(-8));
  });

  it('carries the requester, the reason and a dry run into the plan', async () => {
    const result = await plan({ changeId: 'CHG-1234', requestedBy: 'arn:aws:iam::123456789012:user/jane', reason: 'Metaflow 2.5', dryRun: true });
    expect(result).toMatchObject({ requestedBy: 'arn:aws:iam::123456789012:user/jane', reason: 'Metaflow 2.5', dryRun: true });
  });

  it('derives the same names for the same execution and different ones for another', async () => {
    const first = await plan({ changeId: 'CHG-1234' }, 'run-1');
    expect(await plan({ changeId: 'CHG-1234' }, 'run-1')).toEqual(first);
    const other = await plan({ changeId: 'CHG-1234' }, 'run-2');
    expect(other.snapshotId).not.toBe(first.snapshotId);
    expect(other.asideInstanceId).not.toBe(first.asideInstanceId);
    expect(other.restoreInstanceId).not.toBe(first.restoreInstanceId);
  });

  it.each<[string, unknown, string]>([
    ['the input is not an object', 'CHG-1234', 'execution input: expected an object, got "CHG-1234"'],
    ['the input is null', null, 'execution input: expected an object, got null'],
    ['the input is a list', ['CHG-1234'], 'execution input: expected an object, got an array'],
    ['changeId is missing', { targetImage: 'metaflow:2.5.1' }, 'changeId: expected a ticket reference such as CHG-1234'],
    ['changeId contains spaces', { changeId: 'CHG 1234' }, 'changeId: expected a ticket reference such as CHG-1234 (letters, digits, single - _ . separators, starting with a letter, at most 64 characters), got "CHG 1234"'],
    ['changeId starts with a digit', { changeId: '1234' }, 'changeId: expected a ticket reference'],
    ['changeId doubles a separator', { changeId: 'CHG--1234' }, 'changeId: expected a ticket reference'],
    ['changeId is a number', { changeId: 1234 }, 'changeId: expected a ticket reference such as CHG-1234 (letters, digits, single - _ . separators, starting with a letter, at most 64 characters), got number 1234'],
    ['changeId is longer than 64 characters', { changeId: `C${'x'.repeat(64)}` }, `at most 64 characters), got "C${'x'.repeat(64)}"`],
    ['an unknown field is given', { changeId: 'CHG-1234', foo: 1 }, 'foo: unknown field; expected only changeId, requestedBy, reason, targetImage, dryRun, attestation'],
    ['attestation is a string', { changeId: 'CHG-1234', attestation: 'trust me' }, 'attestation: expected {"issuedAt", "mac"} as the runbook\'s endpoint writes it'],
    ['attestation has no issuedAt', { changeId: 'CHG-1234', attestation: { mac: `${'A'.repeat(43)}=` } }, 'attestation.issuedAt: expected a UTC timestamp'],
    ['attestation has a MAC of the wrong length', { changeId: 'CHG-1234', attestation: { issuedAt: '2026-11-24T15:03:01.250Z', mac: 'AAAA' } }, 'attestation.mac: expected an HMAC-SHA-256 in base64 (44 characters)'],
    ['attestation carries more', { changeId: 'CHG-1234', attestation: { issuedAt: '2026-11-24T15:03:01.250Z', mac: `${'A'.repeat(43)}=`, by: 'me' } }, 'attestation.by: unknown field'],
    ['requestedBy is missing', { changeId: 'CHG-1234', requestedBy: undefined }, 'requestedBy: expected who asked for the change'],
    ['requestedBy has a space', { changeId: 'CHG-1234', requestedBy: 'Jane Doe' }, 'requestedBy: expected who asked for the change: an e-mail, user name or IAM ARN (no spaces, at most 200 characters), got "Jane Doe"'],
    ['reason spans two lines', { changeId: 'CHG-1234', reason: 'one\ntwo' }, 'reason: expected one line of at most 500 characters'],
    ['dryRun is a string', { changeId: 'CHG-1234', dryRun: 'yes' }, 'dryRun: expected true or false, got "yes"'],
    ['targetImage has upper case', { changeId: 'CHG-1234', targetImage: 'Netflixoss/Metaflow:2.5.1' }, 'targetImage: expected an image reference such as netflixoss/metaflow_metadata_service:v2.5.1, got "Netflixoss/Metaflow:2.5.1"'],
    ['targetImage has an empty tag', { changeId: 'CHG-1234', targetImage: 'metaflow:' }, 'targetImage: expected an image reference'],
    ['targetImage has a space', { changeId: 'CHG-1234', targetImage: 'metaflow service' }, 'targetImage: expected an image reference'],
    ['targetImage has a short digest', { changeId: 'CHG-1234', targetImage: 'metaflow@sha256:abc' }, 'targetImage: expected an image reference'],
    ['targetImage is empty', { changeId: 'CHG-1234', targetImage: '' }, 'targetImage: expected an image reference'],
  ])('throws InvalidExecutionInput when %s', async (_case, input, part) => {
    expectNamedError(await rejectionOf(plan(input)), 'InvalidExecutionInput', [part]);
  });

  it('names every bad field at once, so one correction fixes the input', async () => {
    const error = await rejectionOf(plan({ changeId: 'CHG 1', requestedBy: 'Jane Doe', dryRun: 'yes', foo: 1 }));

    expectNamedError(error, 'InvalidExecutionInput', [/^4 problems: /, 'foo: unknown field', 'changeId: expected', 'requestedBy: expected', 'dryRun: expected true or false']);
  });
});
