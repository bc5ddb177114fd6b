import { createHmac, randomBytes } from 'node:crypto';
import { answerMessage, startMessage } from '../../handlers/logic/attestation';
import { type AnswerInput, type MacVerifier, verifyAnswer, verifyRequester } from '../../handlers/logic/verify-identity';

const ACCOUNT = '123456789012';
const JANE = `arn:aws:sts::${ACCOUNT}:assumed-role/operators/jane`;
const SAM = `arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/sam`;
const INTERN = `arn:aws:iam::${ACCOUNT}:user/intern`;
const EXECUTION = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:MetaflowMigrationRunbook:CHG-1`;
const CHECKED = '2026-11-24T15:10:00.000Z';
const SIGNED = "a signed request to the runbook's endpoint";

// One HMAC key in place of the KMS key: what it MACs verifies, anything else does not.
const secret = randomBytes(32);
const macOf = (message: Uint8Array) => createHmac('sha256', secret).update(message).digest('base64');
const kms: MacVerifier = { verify: async (message, mac) => macOf(message) === mac };

describe('who asked for the change', () => {
  const input = { requestedBy: JANE, changeId: 'CHG-1', executionName: 'CHG-1-20261124T150900Z', checkedAt: CHECKED };
  const attested = (issuedAt: string, changeId = 'CHG-1') => ({
    issuedAt,
    mac: macOf(startMessage({ executionName: input.executionName, changeId, requestedBy: JANE, issuedAt })),
  });

  it('is recorded as typed, unverified, without an attestation', async () => {
    await expect(verifyRequester({ ...input, attestation: null }, kms)).resolves.toEqual({
      id: JANE,
      verified: false,
      label: `${JANE} (typed when the execution was started: not verified)`,
    });
  });

  it("is verified by the endpoint's attestation of this execution", async () => {
    await expect(verifyRequester({ ...input, attestation: attested('2026-11-24T15:09:00.000Z') }, kms)).resolves.toEqual({
      id: JANE,
      verified: true,
      label: `${JANE} (verified: a signed request to the runbook's endpoint)`,
    });
  });

  it('is refused with an attestation made for another moment, or another change', async () => {
    await expect(verifyRequester({ ...input, attestation: attested('2026-11-24T15:04:59.000Z') }, kms)).rejects.toMatchObject({
      name: 'RequesterNotVerified',
      message: expect.stringMatching(/^attestation\.issuedAt: 2026-11-24T15:04:59\.000Z is not within 5 minutes before the execution started/),
    });
    await expect(verifyRequester({ ...input, attestation: attested('2026-11-24T15:09:00.000Z', 'CHG-2') }, kms)).rejects.toMatchObject({
      name: 'RequesterNotVerified',
      message: expect.stringMatching(/^attestation: the runbook's endpoint did not attest that .* started execution CHG-1-20261124T150900Z for CHG-1;/),
    });
  });
});

describe('the answer to the approval, as the record keeps it', () => {
  const WITH_APPROVERS = { approvers: [`arn:aws:iam::${ACCOUNT}:role/Approvers`], allowSelfApproval: false };
  const NO_APPROVERS = { approvers: [], allowSelfApproval: false };
  const base = { requester: JANE, executionArn: EXECUTION, checkedAt: CHECKED, timeoutMinutes: 240 };
  /** The endpoint's attestation of `by` giving `decision` with `note`, made `secondsBefore` the check. */
  const attestation = (decision: 'approved' | 'rejected', by: string, note: string, secondsBefore = 60) => {
    const issuedAt = new Date(Date.parse(CHECKED) - secondsBefore * 1000).toISOString();
    return { issuedAt, mac: macOf(answerMessage({ executionArn: EXECUTION, decision, by, note, issuedAt })) };
  };
  const approve = (answer: unknown, policy: AnswerInput['policy'] = WITH_APPROVERS) => verifyAnswer({ ...base, decision: 'approved', answer, policy }, kms);
  const reject = (answer: unknown) => verifyAnswer({ ...base, decision: 'rejected', answer, policy: WITH_APPROVERS }, kms);

  it('keeps an attested approval as verified, with its approver and comment', async () => {
    await expect(approve({ decision: 'approved', approvedBy: SAM, comment: 'ok', attestation: attestation('approved', SAM, 'ok') })).resolves.toEqual({
      decision: 'approved',
      approvedBy: SAM,
      comment: 'ok',
      verified: true,
      how: SIGNED,
    });
  });

  it('keeps an attested rejection, sent as SendTaskFailure text, as verified', async () => {
    const cause = JSON.stringify({ decision: 'rejected', rejectedBy: SAM, reason: 'freeze', attestation: attestation('rejected', SAM, 'freeze') });
    await expect(reject(cause)).resolves.toEqual({ decision: 'rejected', rejectedBy: SAM, reason: 'freeze', verified: true, how: SIGNED });
  });

  it('keeps a rejection without an attestation, saying why it is not verified', async () => {
    await expect(reject(JSON.stringify({ rejectedBy: INTERN, reason: 'no' }))).resolves.toEqual({
      decision: 'rejected',
      rejectedBy: INTERN,
      reason: 'no',
      verified: false,
      how: 'a plain SendTaskFailure: not verified (no attestation)',
    });
    await expect(reject(JSON.stringify({ reason: 'no', attestation: attestation('rejected', SAM, 'no') }))).resolves.toMatchObject({
      verified: false,
      how: 'a plain SendTaskFailure: not verified (attestation: the answer names no rejectedBy)',
    });
    await expect(reject(JSON.stringify({ rejectedBy: SAM, reason: 'changed', attestation: attestation('rejected', SAM, 'no') }))).resolves.toMatchObject({
      verified: false,
      how: `a plain SendTaskFailure: not verified (attestation: the runbook's endpoint did not attest this rejection by ${SAM})`,
    });
  });

  it('takes an unverified approval where no approvers are configured, its text or nothing as what it says', async () => {
    const plain = { verified: false, how: 'a plain SendTaskSuccess payload: not verified (no approvers are configured)' };
    await expect(approve({ approvedBy: INTERN }, NO_APPROVERS)).resolves.toEqual({ decision: 'approved', approvedBy: INTERN, comment: null, ...plain });
    await expect(approve('approved by phone', NO_APPROVERS)).resolves.toEqual({ decision: 'approved', approvedBy: null, comment: 'approved by phone', ...plain });
    await expect(approve(null, NO_APPROVERS)).resolves.toEqual({ decision: 'approved', approvedBy: null, comment: null, ...plain });
  });

  it('reads an empty approver or comment as none, and JSON text sent as the output of an approval as a comment, not as the answer', async () => {
    await expect(approve({ approvedBy: '', comment: '' }, NO_APPROVERS)).resolves.toMatchObject({ approvedBy: null, comment: null });
    await expect(approve(JSON.stringify({ approvedBy: SAM }), NO_APPROVERS)).resolves.toMatchObject({ approvedBy: null, comment: JSON.stringify({ approvedBy: SAM }) });
  });

  it('reads a rejection given as an object as well as one given as text', async () => {
    await expect(reject({ rejectedBy: INTERN, reason: 'no' })).resolves.toMatchObject({ rejectedBy: INTERN, reason: 'no', verified: false });
  });

  it.each([
    ['a malformed attestation', { approvedBy: SAM, attestation: { issuedAt: 'yesterday', mac: 'x' } }, /^attestation\.issuedAt: expected a UTC timestamp/],
    ['an attestation without the approver', { attestation: attestation('approved', SAM, '') }, /^attestation: the answer names no approvedBy;/],
    ['an attestation older than the approval window', { approvedBy: SAM, attestation: attestation('approved', SAM, '', 240 * 60 + 301) }, /^attestation\.issuedAt: .* is outside this approval's window/],
    ['an attestation of another comment', { approvedBy: SAM, comment: 'changed', attestation: attestation('approved', SAM, '') }, /^attestation: the runbook's endpoint did not attest this approval by /],
  ])('refuses %s where approvers are configured, saying what is wrong', async (_what, answer, message) => {
    await expect(approve(answer)).rejects.toMatchObject({ name: 'ApproverNotVerified', message: expect.stringMatching(message) });
  });

  it('takes an attestation made as the approval window opened (the timeout and five minutes before the check)', async () => {
    await expect(approve({ approvedBy: SAM, attestation: attestation('approved', SAM, '', 240 * 60 + 300) })).resolves.toMatchObject({ verified: true });
  });

  it('refuses an attested approver who is not one of the approvers as such', async () => {
    await expect(approve({ approvedBy: INTERN, attestation: attestation('approved', INTERN, '') })).rejects.toMatchObject({ name: 'ApproverNotAllowed' });
  });
});
