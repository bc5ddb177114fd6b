import { KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { InvalidHandlerEvent } from './lib/errors';
import { defineHandler } from './lib/handler';
import { asRecord, describe, requireInteger, requireString } from './lib/validate';
import { type Attestation, attestationProblem, MAC_ALGORITHM } from './logic/attestation';
import { approverPatternProblem } from './logic/identity';
import { type AnswerRecord, type MacVerifier, type RequesterRecord, verifyAnswer, verifyRequester } from './logic/verify-identity';

// Created once per container: the SDK client reuses its connections across invocations.
const kms = new KMSClient({});

/**
 * VerifyMac answers MacValid true, or fails with KMSInvalidMacException when the HMAC does not
 * match (https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html): that failure is
 * the answer "not verified"; any other error is a failure to check.
 */
const macWith = (keyArn: string): MacVerifier => ({
  verify: async (message, mac) => {
    try {
      const answer = await kms.send(new VerifyMacCommand({ KeyId: keyArn, MacAlgorithm: MAC_ALGORITHM, Message: message, Mac: Buffer.from(mac, 'base64') }));
      return answer.MacValid === true;
    } catch (err) {
      if (err instanceof Error && err.name === 'KMSInvalidMacException') return false;
      throw err;
    }
  },
});

const KEY_ARN = /^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

type Event =
  | { readonly check: 'requester'; readonly keyArn: string; readonly requester: Parameters<typeof verifyRequester>[0] }
  | { readonly check: 'answer'; readonly keyArn: string; readonly answer: Parameters<typeof verifyAnswer>[0] };

function parse(event: unknown): Event {
  const o = asRecord(event, 'event');
  const keyArn = requireString(o, 'keyArn', { pattern: KEY_ARN, expected: 'the KMS key ARN of the runbook' });
  if (o.check === 'requester') {
    const attestation = o.attestation ?? null;
    const shape = attestation === null ? undefined : attestationProblem(attestation, 'attestation');
    if (shape) throw new InvalidHandlerEvent(shape);
    return {
      check: 'requester',
      keyArn,
      requester: {
        requestedBy: requireString(o, 'requestedBy'),
        changeId: requireString(o, 'changeId'),
        executionName: requireString(o, 'executionName'),
        checkedAt: requireString(o, 'checkedAt', { pattern: ISO, expected: 'a UTC timestamp' }),
        attestation: attestation as Attestation | null,
      },
    };
  }
  if (o.check === 'answer') {
    if (o.decision !== 'approved' && o.decision !== 'rejected') throw new InvalidHandlerEvent('decision: expected "approved" or "rejected"');
    if (!Array.isArray(o.approvers) || o.approvers.some((p) => typeof p !== 'string' || approverPatternProblem(p))) {
      throw new InvalidHandlerEvent('approvers: expected a list of approver ARN patterns');
    }
    if (typeof o.allowSelfApproval !== 'boolean') throw new InvalidHandlerEvent('allowSelfApproval: expected true or false');
    return {
      check: 'answer',
      keyArn,
      answer: {
        decision: o.decision,
        answer: o.answer,
        requester: requireString(o, 'requester'),
        executionArn: requireString(o, 'executionArn', { pattern: /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[\w-]+:[\w-]+$/, expected: 'an execution ARN' }),
        checkedAt: requireString(o, 'checkedAt', { pattern: ISO, expected: 'a UTC timestamp' }),
        timeoutMinutes: requireInteger(o, 'timeoutMinutes', { min: 1, max: 10080 }),
        policy: { approvers: o.approvers as string[], allowSelfApproval: o.allowSelfApproval },
      },
    };
  }
  throw new InvalidHandlerEvent(`check: expected "requester" or "answer", got ${describe(o.check)}`);
}

/**
 * Who asked, and who answered: checks the runbook endpoint's attestations with KMS VerifyMac (this
 * function's role is the only one the key allows it), and what the approval policy says.
 */
export const handler = defineHandler('verify-identity', parse, (e): Promise<RequesterRecord | AnswerRecord> =>
  e.check === 'requester' ? verifyRequester(e.requester, macWith(e.keyArn)) : verifyAnswer(e.answer, macWith(e.keyArn)),
);
