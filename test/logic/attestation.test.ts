import { createHash } from 'node:crypto';
import { answerMessage, attestationProblem, issuedWithin, startMessage } from '../../handlers/logic/attestation';

const ISSUED = '2026-11-24T15:03:01.250Z';
const MAC = `${'A'.repeat(43)}=`;
const sha256 = (parts: string[]) => Buffer.from(createHash('sha256').update(JSON.stringify(parts)).digest());

describe('the message an attestation MACs', () => {
  // The endpoint and the verifier agree only if both hash exactly this layout; a change of the
  // purpose would also let an old attestation of another kind or version verify as this one.
  it('is SHA-256 of the purpose with the kind, then every fact, as a JSON array', () => {
    const start = { executionName: 'CHG-1-20261124T150301Z', changeId: 'CHG-1', requestedBy: 'arn:aws:iam::123456789012:user/bob', issuedAt: ISSUED };
    expect(Buffer.from(startMessage(start))).toEqual(
      sha256(['metaflow-migration-runbook/v1/start', start.executionName, start.changeId, start.requestedBy, ISSUED]),
    );
    const answer = { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:runbook:CHG-1', decision: 'approved' as const, by: start.requestedBy, note: 'ok', issuedAt: ISSUED };
    expect(Buffer.from(answerMessage(answer))).toEqual(sha256(['metaflow-migration-runbook/v1/answer', answer.executionArn, 'approved', answer.by, 'ok', ISSUED]));
  });
});

describe("an attestation's shape", () => {
  it('takes an ISO timestamp with or without milliseconds and a 44-character base64 MAC', () => {
    expect(attestationProblem({ issuedAt: ISSUED, mac: MAC }, 'attestation')).toBeUndefined();
    expect(attestationProblem({ issuedAt: '2026-11-24T15:03:01Z', mac: MAC }, 'attestation')).toBeUndefined();
  });

  it.each([
    ['null', null, 'attestation: expected {"issuedAt", "mac"}'],
    ['an array', [ISSUED, MAC], 'attestation: expected {"issuedAt", "mac"}'],
    ['an unknown field', { issuedAt: ISSUED, mac: MAC, by: 'x' }, 'attestation.by: unknown field'],
    // Date.parse reads it, but it is not the endpoint's toISOString().
    ['a timestamp with a space', { issuedAt: '2026-11-24 15:03:01', mac: MAC }, 'attestation.issuedAt:'],
    // Date.parse reads an extended year too.
    ['a timestamp with an extended year', { issuedAt: '+002026-11-24T15:03:01Z', mac: MAC }, 'attestation.issuedAt:'],
    // String(['…']) is the timestamp itself: only its type tells.
    ['a timestamp in an array', { issuedAt: [ISSUED], mac: MAC }, 'attestation.issuedAt:'],
    ['a timestamp that is no date', { issuedAt: '2026-13-45T15:03:01Z', mac: MAC }, 'attestation.issuedAt:'],
    ['a MAC one character too long', { issuedAt: ISSUED, mac: `A${MAC}` }, 'attestation.mac:'],
    ['a MAC with two pad characters', { issuedAt: ISSUED, mac: `${'A'.repeat(43)}==` }, 'attestation.mac:'],
    ['a MAC in an array', { issuedAt: ISSUED, mac: [MAC] }, 'attestation.mac:'],
  ])('refuses %s, naming the part', (_what, value, words) => {
    expect(attestationProblem(value, 'attestation')).toContain(words);
  });
});

describe('an attestation is accepted only near the moment it attests', () => {
  const at = '2026-11-24T15:10:00Z';
  it.each([
    ['exactly the allowed time before', '2026-11-24T15:05:00Z', true],
    ['a second earlier', '2026-11-24T15:04:59Z', false],
    ['exactly the allowed skew after', '2026-11-24T15:11:00Z', true],
    ['a second later', '2026-11-24T15:11:01Z', false],
  ])('%s', (_what, issuedAt, within) => {
    expect(issuedWithin(issuedAt, at, 300, 60)).toBe(within);
  });
});
