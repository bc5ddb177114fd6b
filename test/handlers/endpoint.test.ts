import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { handleEndpointRequest, type EndpointDeps, type EndpointRequest } from '../../handlers/logic/endpoint';
import { verifyAnswer, verifyRequester, type MacVerifier } from '../../handlers/logic/verify-identity';
import { handler as endpointHandler, settingsFrom } from '../../handlers/runbook-endpoint';

process.env.RUNBOOK_QUIET = '1';

const ACCOUNT = '123456789012';
const STATE_MACHINE = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:MetaflowMigrationRunbook`;
const JANE = `arn:aws:sts::${ACCOUNT}:assumed-role/operators/jane`;
const SAM = `arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/sam`;
const INTERN = `arn:aws:iam::${ACCOUNT}:user/intern`;
const APPROVERS = [`arn:aws:iam::${ACCOUNT}:role/Approvers`];
const NOW = new Date('2026-11-24T15:03:01.250Z');
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAdYwZ2VuZXJhdGVkLXRva2Vu';

/** One HMAC key standing in for the KMS key: the endpoint MACs with it, the verifier checks with it. */
function hmacKey() {
  const secret = randomBytes(32);
  const mac = (m: Uint8Array) => createHmac('sha256', secret).update(m).digest();
  const verifier: MacVerifier = {
    verify: async (m, given) => {
      const [expected, actual] = [mac(m), Buffer.from(given, 'base64')];
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
  return { generate: async (m: Uint8Array) => mac(m).toString('base64'), verifier };
}

/** The Step Functions the endpoint talks to: one execution, waiting for approval with TOKEN unless told otherwise. */
function fakeApi(input: Record<string, unknown>, waiting = true) {
  const name = 'CHG-1-20261124T150301Z';
  const history: HistoryEvent[] = [
    { id: 1, type: 'ExecutionStarted', timestamp: NOW, executionStartedEventDetails: { input: JSON.stringify(input) } },
    { id: 2, type: 'TaskStateEntered', timestamp: NOW, stateEnteredEventDetails: { name: 'Wait for approval' } },
    {
      id: 3,
      type: 'TaskScheduled',
      timestamp: NOW,
      taskScheduledEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', region: 'eu-west-1', parameters: JSON.stringify({ MessageAttributes: { taskToken: { DataType: 'String', StringValue: TOKEN } } }) },
    },
    ...(waiting ? [] : [{ id: 4, type: 'ExecutionSucceeded' as const, timestamp: NOW }]),
  ];
  const sent: { kind: 'success' | 'failure'; token: string; output?: string; error?: string; cause?: string }[] = [];
  const started: { name: string; input: string }[] = [];
  return {
    executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
    sent,
    started,
    api: {
      startExecution: async (n: string, i: string) => {
        started.push({ name: n, input: i });
        return { executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${n}` };
      },
      history: async () => history,
      sendTaskSuccess: async (token: string, output: string) => {
        sent.push({ kind: 'success', token, output });
      },
      sendTaskFailure: async (token: string, error: string, cause: string) => {
        sent.push({ kind: 'failure', token, error, cause });
      },
    },
  };
}

const depsWith = (api: EndpointDeps['api'], generate: (m: Uint8Array) => Promise<string>, approvers: string[] = APPROVERS): EndpointDeps => ({
  api,
  mac: { generate },
  settings: { stateMachineArn: STATE_MACHINE, policy: { approvers, allowSelfApproval: false } },
  now: () => NOW,
});
const post = (path: string, body: unknown, callerArn: string): EndpointRequest => ({ method: 'POST', path, body, callerArn });

describe("the runbook's endpoint", () => {
  it('starts the execution with the caller as the requester and an attestation the verifier accepts, and nothing the body claims', async () => {
    // Prepare
    const key = hmacKey();
    const sfn = fakeApi({});

    // Act
    const answer = await handleEndpointRequest(post('/start', { changeId: 'CHG-1', reason: 'schema 2.5', dryRun: true }, JANE), depsWith(sfn.api, key.generate));

    // Assess
    const [started] = sfn.started;
    const input = JSON.parse(started?.input ?? '{}') as { requestedBy: string; changeId: string; attestation: { issuedAt: string; mac: string } };
    expect(answer).toEqual({ executionArn: expect.stringContaining(':execution:MetaflowMigrationRunbook:CHG-1-20261124T150301Z'), name: 'CHG-1-20261124T150301Z', requestedBy: JANE, verified: true });
    expect(input).toMatchObject({ changeId: 'CHG-1', requestedBy: JANE, reason: 'schema 2.5', dryRun: true, attestation: { issuedAt: NOW.toISOString() } });
    const check = { requestedBy: JANE, changeId: 'CHG-1', executionName: started?.name as string, checkedAt: '2026-11-24T15:03:03.000Z', attestation: input.attestation };
    await expect(verifyRequester(check, key.verifier)).resolves.toMatchObject({ id: JANE, verified: true });
    // The same attestation for another requester, another execution, or made long before, does not verify.
    await expect(verifyRequester({ ...check, requestedBy: SAM }, key.verifier)).rejects.toThrow(/did not attest that .*Approvers\/sam started/);
    await expect(verifyRequester({ ...check, executionName: 'CHG-1-20261124T150302Z' }, key.verifier)).rejects.toMatchObject({ name: 'RequesterNotVerified' });
    await expect(verifyRequester({ ...check, checkedAt: '2026-11-24T16:03:03.000Z' }, key.verifier)).rejects.toThrow(/is not within 5 minutes before the execution started/);
    await expect(verifyRequester(check, hmacKey().verifier)).rejects.toMatchObject({ name: 'RequesterNotVerified' });
  });

  it.each([
    ['a requester in the body', { changeId: 'CHG-1', requestedBy: SAM }, 'requestedBy: not taken: the endpoint records who signed the request'],
    ['an unknown field', { changeId: 'CHG-1', dryrun: true }, 'dryrun: unknown field'],
    ['a malformed change id', { changeId: 'CHG 1' }, 'changeId: expected a ticket reference'],
    ['a dryRun that is no boolean', { changeId: 'CHG-1', dryRun: 'yes' }, 'dryRun: expected true or false'],
  ])('refuses a start with %s before any AWS call', async (_what, body, message) => {
    const sfn = fakeApi({});
    const generate = jest.fn(async () => 'x');

    await expect(handleEndpointRequest(post('/start', body, JANE), depsWith(sfn.api, generate))).rejects.toMatchObject({ name: 'InvalidEndpointRequest', message: expect.stringContaining(message) });
    expect(sfn.started).toEqual([]);
    expect(generate).not.toHaveBeenCalled();
  });

  it('approves as the caller with the comment and an attestation of both, which the state machine verifies; a changed comment does not', async () => {
    // Prepare
    const key = hmacKey();
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE, attestation: { issuedAt: NOW.toISOString(), mac: 'x' } });

    // Act
    const answer = await handleEndpointRequest(post('/approve', { executionArn: sfn.executionArn, comment: 'go' }, SAM), depsWith(sfn.api, key.generate));

    // Assess
    expect(answer).toMatchObject({ execution: sfn.executionArn, decision: 'approved', by: SAM, note: 'go', requester: { id: JANE, verified: true } });
    const [sent] = sfn.sent;
    expect(sent).toMatchObject({ kind: 'success', token: TOKEN });
    const output = JSON.parse(sent?.output ?? '{}') as Record<string, unknown>;
    expect(output).toMatchObject({ decision: 'approved', approvedBy: SAM, comment: 'go' });
    const check = {
      decision: 'approved' as const,
      answer: output,
      requester: JANE,
      executionArn: sfn.executionArn,
      checkedAt: '2026-11-24T15:03:02.000Z',
      timeoutMinutes: 240,
      policy: { approvers: APPROVERS, allowSelfApproval: false },
    };
    await expect(verifyAnswer(check, key.verifier)).resolves.toEqual({ decision: 'approved', approvedBy: SAM, comment: 'go', verified: true, how: "a signed request to the runbook's endpoint" });
    await expect(verifyAnswer({ ...check, answer: { ...output, comment: 'go, and drop the table' } }, key.verifier)).rejects.toMatchObject({ name: 'ApproverNotVerified' });
    await expect(verifyAnswer({ ...check, executionArn: `${sfn.executionArn}x` }, key.verifier)).rejects.toMatchObject({ name: 'ApproverNotVerified' });
  });

  it('rejects as the caller with the reason, as SendTaskFailure ChangeRejected', async () => {
    const key = hmacKey();
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE });

    await handleEndpointRequest(post('/reject', { executionArn: sfn.executionArn, reason: 'freeze' }, SAM), depsWith(sfn.api, key.generate));

    expect(sfn.sent).toEqual([{ kind: 'failure', token: TOKEN, error: 'ChangeRejected', cause: expect.any(String) }]);
    expect(JSON.parse(sfn.sent[0]?.cause ?? '{}')).toMatchObject({ decision: 'rejected', rejectedBy: SAM, reason: 'freeze' });
  });

  it.each([
    ['the requester approving their own change', JANE, 'SelfApprovalRefused', `${JANE} requested this change and may not approve it`],
    ['a caller outside the approvers', INTERN, 'ApproverNotAllowed', `${INTERN} is not one of the configured approvers`],
  ])('refuses %s, answers nothing, and says the execution still waits', async (_what, caller, error, message) => {
    const generate = jest.fn(async () => 'x');
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE });

    const refusal = handleEndpointRequest(post('/approve', { executionArn: sfn.executionArn }, caller), depsWith(sfn.api, generate));

    await expect(refusal).rejects.toMatchObject({ name: error, message: expect.stringContaining(message) });
    await expect(refusal).rejects.toThrow(/The execution is still waiting for approval/);
    expect(sfn.sent).toEqual([]);
    expect(generate).not.toHaveBeenCalled();
  });

  it('says where an execution is that does not wait for approval', async () => {
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE }, false);

    await expect(handleEndpointRequest(post('/approve', { executionArn: sfn.executionArn }, SAM), depsWith(sfn.api, async () => 'x'))).rejects.toMatchObject({
      name: 'NotWaitingForApproval',
      message: `${sfn.executionArn} is not waiting for approval: it ended SUCCEEDED`,
    });
  });

  it.each([
    ['an execution of another state machine', { executionArn: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:Other:CHG-1` }, '/approve', 'executionArn: expected an execution of'],
    ['a rejection without its reason', { executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:CHG-1` }, '/reject', 'reason: expected why the change is rejected'],
    ['a comment of 2001 characters', { executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:CHG-1`, comment: 'x'.repeat(2001) }, '/approve', 'comment: expected at most 2000 characters'],
    ['another route', {}, '/delete', 'POST /delete: expected POST /start, POST /approve or POST /reject'],
  ])('refuses %s before reading any history', async (_what, body, path, message) => {
    const history = jest.fn(async () => []);

    await expect(
      handleEndpointRequest(post(path, body, SAM), depsWith({ ...fakeApi({}).api, history }, async () => 'x')),
    ).rejects.toMatchObject({ name: 'InvalidEndpointRequest', message: expect.stringContaining(message) });
    expect(history).not.toHaveBeenCalled();
  });
});

describe('the state machine checks the answer', () => {
  const base = {
    decision: 'approved' as const,
    requester: JANE,
    executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:CHG-1`,
    checkedAt: NOW.toISOString(),
    timeoutMinutes: 240,
  };
  const none: MacVerifier = { verify: async () => false };

  it('refuses the plain send-task-success payload where approvers are configured, and takes it, unverified, where none are', async () => {
    const plain = { ...base, answer: { decision: 'approved' } };

    await expect(verifyAnswer({ ...plain, policy: { approvers: APPROVERS, allowSelfApproval: false } }, none)).rejects.toMatchObject({
      name: 'ApproverNotVerified',
      message: expect.stringContaining('a plain SendTaskSuccess payload, without the attestation'),
    });
    await expect(verifyAnswer({ ...plain, policy: { approvers: [], allowSelfApproval: false } }, none)).resolves.toMatchObject({ decision: 'approved', approvedBy: null, verified: false });
  });

  it('refuses an unverified approval that claims to come from the requester, even without approvers', async () => {
    await expect(verifyAnswer({ ...base, answer: { decision: 'approved', approvedBy: JANE }, policy: { approvers: [], allowSelfApproval: false } }, none)).rejects.toMatchObject({ name: 'SelfApprovalRefused' });
  });

  it('keeps a rejection whatever came with it, marked verified or not: a plain cause, or JSON without an attestation', async () => {
    const policy = { approvers: APPROVERS, allowSelfApproval: false };

    await expect(verifyAnswer({ ...base, decision: 'rejected', answer: 'release freeze', policy }, none)).resolves.toMatchObject({ decision: 'rejected', rejectedBy: null, reason: 'release freeze', verified: false });
    await expect(verifyAnswer({ ...base, decision: 'rejected', answer: JSON.stringify({ rejectedBy: INTERN, reason: 'no' }), policy }, none)).resolves.toMatchObject({
      rejectedBy: INTERN,
      verified: false,
    });
  });
});

describe('the endpoint behind its function URL', () => {
  const env = { RUNBOOK_STATE_MACHINE_ARN: STATE_MACHINE, RUNBOOK_KEY_ARN: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k1`, RUNBOOK_APPROVERS: JSON.stringify(APPROVERS), RUNBOOK_ALLOW_SELF_APPROVAL: 'false' };
  const event = (body: string, iam: Record<string, unknown> = { userArn: SAM }) => ({ rawPath: '/approve', body, isBase64Encoded: false, requestContext: { http: { method: 'POST' }, authorizer: { iam } } });
  beforeAll(() => Object.assign(process.env, env));
  afterAll(() => {
    for (const k of Object.keys(env)) delete process.env[k];
  });

  it('reads its settings from the environment, naming a variable that is missing or malformed', () => {
    expect(settingsFrom(env)).toEqual({ stateMachineArn: STATE_MACHINE, keyArn: env.RUNBOOK_KEY_ARN, policy: { approvers: APPROVERS, allowSelfApproval: false } });
    expect(() => settingsFrom({ ...env, RUNBOOK_KEY_ARN: undefined })).toThrow(/^RUNBOOK_KEY_ARN: expected/);
    expect(() => settingsFrom({ ...env, RUNBOOK_APPROVERS: '["jane@example.com"]' })).toThrow(/^RUNBOOK_APPROVERS: expected a JSON list of approver ARN patterns/);
    expect(() => settingsFrom({ ...env, RUNBOOK_APPROVERS: '[nope' })).toThrow(/^RUNBOOK_APPROVERS/);
  });

  it.each([
    ['a body that is not JSON', event('{nope'), 'body: expected a JSON object'],
    ['no caller in the request context (not an AWS_IAM URL)', event('{}', {}), 'requestContext.authorizer.iam.userArn: expected the caller ARN of an AWS_IAM function URL'],
  ])('answers 400 to %s, naming the field', async (_what, e, message) => {
    const answer = await endpointHandler(e);

    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: expect.stringMatching(/^Invalid(EndpointRequest|HandlerEvent)$/), message: expect.stringContaining(message) });
  });
});

describe("the endpoint's requests, field by field", () => {
  const EXECUTIONS = `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:`;
  const refusal = (path: string, body: unknown) =>
    handleEndpointRequest(post(path, body, SAM), depsWith(fakeApi({ changeId: 'CHG-1', requestedBy: JANE }).api, async () => 'x'));

  it('names the execution after the change id, its other characters as hyphens, cut to fit 80 characters with the time', async () => {
    const start = async (changeId: string) => {
      const sfn = fakeApi({});
      return (await handleEndpointRequest(post('/start', { changeId }, JANE), depsWith(sfn.api, hmacKey().generate))).name;
    };
    expect(await start('CHG.1')).toBe('CHG-1-20261124T150301Z');
    const longest = `C${'h'.repeat(63)}`;
    expect(await start(longest)).toBe(`${longest.slice(0, 63)}-20261124T150301Z`);
  });

  it('passes the target image on, leaves dryRun out unless it is true, and takes a start without either', async () => {
    const sfn = fakeApi({});
    const image = 'netflixoss/metaflow_metadata_service:2.5.0';
    await handleEndpointRequest(post('/start', { changeId: 'CHG-1', targetImage: image }, JANE), depsWith(sfn.api, hmacKey().generate));
    await handleEndpointRequest(post('/start', { changeId: 'CHG-2', dryRun: false }, JANE), depsWith(sfn.api, hmacKey().generate));

    const [withImage, notDry] = sfn.started.map((s) => JSON.parse(s.input) as Record<string, unknown>);
    expect(withImage).toEqual({ changeId: 'CHG-1', requestedBy: JANE, targetImage: image, attestation: expect.any(Object) });
    expect(notDry).toEqual({ changeId: 'CHG-2', requestedBy: JANE, attestation: expect.any(Object) });
  });

  it.each([
    ['/start', 'a body that is no object', ['CHG-1'], /^body: expected/],
    ['/approve', 'a body that is no object', 'yes', /^body: expected/],
    ['/start', 'an unknown field', { changeId: 'CHG-1', dryrun: true }, /^dryrun: unknown field; expected only changeId, reason, targetImage, dryRun$/],
    ['/approve', 'an unknown field', { executionArn: `${EXECUTIONS}CHG-1`, reason: 'x' }, /^reason: unknown field; expected only executionArn, comment$/],
    ['/start', 'a change id of 65 characters', { changeId: `C${'h'.repeat(64)}` }, /^changeId: expected at most 64 characters, got 65$/],
    ['/start', 'a reason of two lines', { changeId: 'CHG-1', reason: 'schema\n2.5' }, /^reason: expected one line of at most 500 characters/],
    ['/start', 'a target image that is none', { changeId: 'CHG-1', targetImage: 'Not An Image' }, /^targetImage: expected an image reference/],
    ['/approve', 'no execution', {}, /^executionArn: expected an execution of arn:aws:states:/],
    // As long as this runbook's prefix, with a valid name after it: only the prefix tells.
    ['/approve', 'an execution of a state machine with a name as long', { executionArn: `${EXECUTIONS.replace('Runbook:', 'Runbooc:')}CHG-1` }, /^executionArn: expected an execution of/],
    ['/approve', 'an execution name with a space', { executionArn: `${EXECUTIONS}CHG 1` }, /^executionArn: expected an execution of/],
    ['/approve', 'a comment that is no text', { executionArn: `${EXECUTIONS}CHG-1`, comment: 5 }, /^comment: expected a non-empty string/],
  ])('%s refuses %s, naming the field', async (path, _what, body, message) => {
    await expect(refusal(path, body)).rejects.toMatchObject({ name: 'InvalidEndpointRequest', message: expect.stringMatching(message) });
  });

  it('takes a comment of exactly 2000 characters, and a path with trailing slashes', async () => {
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE });
    await handleEndpointRequest(post('/approve//', { executionArn: sfn.executionArn, comment: 'x'.repeat(2000) }, SAM), depsWith(sfn.api, hmacKey().generate));
    expect(sfn.sent).toHaveLength(1);
  });

  it('attests an approval without a comment so that the state machine verifies it', async () => {
    const key = hmacKey();
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE });
    await handleEndpointRequest(post('/approve', { executionArn: sfn.executionArn }, SAM), depsWith(sfn.api, key.generate));

    const check = { decision: 'approved' as const, answer: JSON.parse(sfn.sent[0]?.output ?? '{}'), requester: JANE, executionArn: sfn.executionArn, checkedAt: NOW.toISOString(), timeoutMinutes: 240, policy: { approvers: APPROVERS, allowSelfApproval: false } };
    await expect(verifyAnswer(check, key.verifier)).resolves.toMatchObject({ verified: true, comment: null });
  });

  it('names the requester as started, unverified without a start attestation, and none when the input names none', async () => {
    const answerFor = async (input: unknown) => {
      const sfn = fakeApi({});
      const history = [{ id: 1, type: 'ExecutionStarted' as const, timestamp: NOW, executionStartedEventDetails: { input: JSON.stringify(input) } }, ...(await sfn.api.history()).slice(1)];
      return handleEndpointRequest(post('/approve', { executionArn: sfn.executionArn }, SAM), depsWith({ ...sfn.api, history: async () => history }, async () => 'x', []));
    };
    await expect(answerFor({ changeId: 'CHG-1', requestedBy: JANE })).resolves.toMatchObject({ requester: { id: JANE, verified: false } });
    await expect(answerFor({ changeId: 'CHG-1' })).resolves.toMatchObject({ requester: { id: '', verified: false } });
    // StartExecution takes any JSON: an input that is no object names no requester.
    await expect(answerFor(['CHG-1'])).resolves.toMatchObject({ requester: { id: '', verified: false } });
  });

  it.each(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'])('says the execution no longer waits when Step Functions answers %s', async (name) => {
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE });
    const sendTaskSuccess = async () => {
      throw Object.assign(new Error('gone'), { name });
    };
    await expect(handleEndpointRequest(post('/approve', { executionArn: sfn.executionArn }, SAM), depsWith({ ...sfn.api, sendTaskSuccess }, async () => 'x'))).rejects.toMatchObject({
      name: 'NotWaitingForApproval',
      message: `${sfn.executionArn} is no longer waiting for approval (${name}): it was answered or timed out meanwhile`,
    });
  });

  it('lets any other failure of Step Functions through as it is', async () => {
    const sfn = fakeApi({ changeId: 'CHG-1', requestedBy: JANE });
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const sendTaskSuccess = async () => {
      throw throttled;
    };
    await expect(handleEndpointRequest(post('/approve', { executionArn: sfn.executionArn }, SAM), depsWith({ ...sfn.api, sendTaskSuccess }, async () => 'x'))).rejects.toBe(throttled);
  });
});
