import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetExecutionHistoryCommand, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { executionName } from '../../handlers/logic/endpoint';
import { APPROVER, EXECUTION_ARN, HISTORIES, type HistoryName, STATE_MACHINE_ARN } from './fixtures/histories';
import { type EndpointEvent, type EndpointStub, historyResponder, OPERATOR_CREDENTIALS, runCli, startEndpoint } from './support';

const sfn = mockClient(SFNClient);
const cloudformation = mockClient(CloudFormationClient);

/** What the stand-in endpoint answers next, by path. */
let answers: Record<string, { status: number; body: unknown }> = {};
let endpoint: EndpointStub;
beforeAll(async () => {
  endpoint = await startEndpoint(APPROVER, (event) => answers[event.rawPath] ?? { status: 500, body: { message: 'no answer prepared' } });
});
afterAll(() => endpoint.close());

beforeEach(() => {
  sfn.reset();
  cloudformation.reset();
  answers = {};
  endpoint.events.length = 0;
  // The runbook stack is named after its state machine, and outputs the endpoint's URL.
  cloudformation.on(DescribeStacksCommand, { StackName: 'MetaflowMigrationRunbook' }).resolves({
    Stacks: [{ StackName: 'MetaflowMigrationRunbook', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [{ OutputKey: 'EndpointUrl', OutputValue: endpoint.url }] }],
  });
});

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: {} });
const serve = (name: HistoryName) => sfn.on(GetExecutionHistoryCommand).callsFake(historyResponder(HISTORIES[name]));
const START_FLAGS = ['start', '--change-id', 'CHG-123', '--state-machine-arn', STATE_MACHINE_ARN];
const bodyOf = (event: EndpointEvent | undefined) => JSON.parse(event?.body ?? 'null') as unknown;
const STARTED = { executionArn: EXECUTION_ARN, name: 'CHG-123-20261124T150301Z', requestedBy: APPROVER, verified: true };

describe('start', () => {
  it("starts through the runbook's endpoint found in the stack's outputs, signed with the operator's credentials, with the validated input, and returns with --no-follow", async () => {
    answers['/start'] = { status: 200, body: STARTED };

    const { code, stdout } = await runCli([...START_FLAGS, '--reason', 'new schema', '--target-image', 'netflixoss/metaflow_metadata_service:v2.5.1', '--dry-run', '--no-follow']);

    expect(code).toBe(0);
    const [event] = endpoint.events;
    expect(event?.rawPath).toBe('/start');
    // The endpoint's function URL checked the SigV4 signature and named the caller from it.
    expect(event?.requestContext.authorizer.iam).toMatchObject({ userArn: APPROVER, accessKey: OPERATOR_CREDENTIALS.accessKeyId });
    expect(bodyOf(event)).toEqual({ changeId: 'CHG-123', reason: 'new schema', targetImage: 'netflixoss/metaflow_metadata_service:v2.5.1', dryRun: true });
    expect(stdout).toContain(`Started CHG-123-20261124T150301Z as ${APPROVER} (verified)`);
    expect(stdout).toContain(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`);
    // The CLI never starts the execution itself, nor reads the history without following.
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it('takes the endpoint from RUNBOOK_ENDPOINT_URL, without the stack, and leaves out the optional fields not given', async () => {
    answers['/start'] = { status: 200, body: STARTED };

    await runCli(['start', '--change-id', 'CHG-123', '--no-follow'], { env: { RUNBOOK_ENDPOINT_URL: endpoint.url } });

    expect(bodyOf(endpoint.events[0])).toEqual({ changeId: 'CHG-123' });
    expect(cloudformation.calls()).toHaveLength(0);
  });

  it('says so when the runbook stack has no endpoint output (an older deployment), exit 3', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'MetaflowMigrationRunbook', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [] }] });

    const { code, stderr } = await runCli([...START_FLAGS, '--no-follow']);

    expect(code).toBe(3);
    expect(stderr).toContain('the stack MetaflowMigrationRunbook has no EndpointUrl output');
    expect(endpoint.events).toHaveLength(0);
  });

  it.each([
    ['CHG-123', 'CHG-123-20261124T150301Z'],
    ['OPS.change_7', 'OPS-change_7-20261124T150301Z'],
    ['A'.repeat(64), `${'A'.repeat(63)}-20261124T150301Z`],
  ])('names the execution for %s as %s: [A-Za-z0-9-_] only, at most 80 characters', (changeId, name) => {
    const derived = executionName(changeId, new Date('2026-11-24T15:03:01.250Z'));

    expect(derived).toBe(name);
    expect(derived).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it.each([
    [['--change-id', 'CHG 123'], '--change-id: expected a ticket reference'],
    [['--change-id', 'CHG--1'], '--change-id: expected a ticket reference'],
    [['--change-id', '-CHG'], "Option '--change-id' argument is ambiguous"],
    [['--change-id', `C${'1'.repeat(64)}`], '--change-id: expected a ticket reference'],
    [['--requested-by', 'jane@example.com'], "--requested-by: not taken any more: the runbook's endpoint records who you are from your signed request"],
    [['--target-image', 'Not An Image'], '--target-image: expected an image reference'],
    [['--reason', 'two\nlines'], '--reason: expected one line of at most 500 characters'],
    [['--state-machine-arn', 'arn:aws:lambda:eu-west-1:111122223333:function:x'], '--state-machine-arn: expected the runbook state machine ARN'],
    [['--endpoint-url', 'https://example.com/'], "--endpoint-url: expected the runbook's function URL"],
    [['--interval', '0'], '--interval: expected seconds from 1 to 300'],
    [['--as', 'approver'], '--as: only with --local'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j before any AWS call or request, naming the flag (exit 2)', async (flags, message) => {
    const { code, stderr, stdout } = await runCli([...START_FLAGS, ...flags]);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
    expect(sfn.calls()).toHaveLength(0);
    expect(cloudformation.calls()).toHaveLength(0);
    expect(endpoint.events).toHaveLength(0);
  });

  it('reports every missing flag at once', async () => {
    const { code, stderr } = await runCli(['start']);

    expect(code).toBe(2);
    expect(stderr).toContain('2 problems:');
    for (const flag of ['--change-id', '--state-machine-arn']) expect(stderr).toContain(`${flag}: expected`);
  });

  it('follows the execution it started and exits as it ends', async () => {
    answers['/start'] = { status: 200, body: STARTED };
    serve('succeeded');

    const { code, stdout } = await runCli([...START_FLAGS, '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ name: 'CHG-123-20261124T150301Z', requestedBy: APPROVER, status: 'SUCCEEDED', outcome: 'SUCCEEDED', execution: EXECUTION_ARN });
  });
});

describe('watch', () => {
  it.each([
    ['succeeded', 0, 'Execution SUCCEEDED after 19m 42s. Migration complete'],
    ['rolledBack', 1, 'Execution FAILED (UpgradeFailed) after 44m 29s: rolled back. UpgradeFailed: PATCH /upgrade answered 500'],
    ['rejected', 1, 'Execution FAILED (ChangeRejected) after 15m 01s: nothing was changed.'],
    ['aborted', 1, 'Execution ABORTED after 12m 40s: stopped from outside, NOT rolled back'],
  ] as const)('%s: exits %i and says how it ended', async (name, exitCode, last) => {
    serve(name);

    const { code, stdout } = await runCli(['watch', EXECUTION_ARN]);

    expect(code).toBe(exitCode);
    expect(stdout.trimEnd().split('\n').pop()).toContain(last);
  });

  it('polls the growing history at the interval, reading only new events, one line per step change', async () => {
    const events = HISTORIES.rolledBack;
    // The first read ends with the execution waiting for approval.
    const first = HISTORIES.waitingForApproval.length;
    let visible = first;
    sfn.on(GetExecutionHistoryCommand).callsFake(historyResponder(events, 25, () => visible));

    const { code, stdout, sleeps } = await runCli(['watch', EXECUTION_ARN, '--interval', '2'], {
      onSleep: () => {
        visible = Math.min(events.length, visible + 40);
      },
    });

    expect(code).toBe(1);
    expect(sleeps.length).toBe(Math.ceil((events.length - first) / 40));
    expect(new Set(sleeps)).toEqual(new Set([2000]));
    for (const call of sfn.commandCalls(GetExecutionHistoryCommand)) expect(call.args[0].input.reverseOrder).toBe(true);
    // Each step at most twice (seen running, seen ended), in the guide's order; the wait for approval told once.
    const stepLines = stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\dZ|^ {11}\S/.test(l));
    expect(stepLines.filter((l) => l.includes('3. Approval'))).toEqual([expect.stringContaining('running'), expect.stringContaining('succeeded')]);
    expect(stepLines.filter((l) => l.includes('8. Upgrade'))).toEqual([expect.stringMatching(/failed .*UpgradeFailed$/)]);
    expect(stdout.match(/Waiting for approval: npm run runbook -- approve/g)).toHaveLength(1);
  });

  it('redraws the step list in place on a terminal, keeping the approval command above it', async () => {
    let visible = HISTORIES.waitingForApproval.length;
    sfn.on(GetExecutionHistoryCommand).callsFake(historyResponder(HISTORIES.succeeded, 25, () => visible));

    const { stdout } = await runCli(['watch', EXECUTION_ARN], { tty: true, onSleep: () => (visible = HISTORIES.succeeded.length) });

    // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's redraw sequences are what is checked
    const [first, second] = stdout.split(/\x1b\[(\d+)F\x1b\[J/).filter((_, i) => i !== 1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: as above
    const erased = Number(/\x1b\[(\d+)F/.exec(stdout)?.[1]);
    expect(first).toContain(`Waiting for approval: npm run runbook -- approve ${EXECUTION_ARN}`);
    expect(first?.split('\n').slice(-erased - 1, -1)[0]).toBe('Execution RUNNING: Wait for approval');
    expect(second).toMatch(/^Execution SUCCEEDED\n/);
    expect(second).toMatch(/✓ 8\. Upgrade\s+succeeded\s+42s/);
  });

  it('with --json writes only the result on stdout', async () => {
    serve('rolledBack');

    const { code, stdout } = await runCli(['watch', EXECUTION_ARN, '--json']);

    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'FAILED', outcome: 'ROLLED_BACK', rolledBack: true });
  });

  it.each([
    [[], 'eu-west-1'],
    [['--region', 'us-east-2'], 'us-east-2'],
  ])('calls AWS in the region of the execution ARN unless --region is given (%j)', async (flags, region) => {
    serve('succeeded');

    const { regions } = await runCli(['watch', EXECUTION_ARN, ...flags]);

    expect(regions).toEqual([region]);
  });

  it('rejects an argument that is not an execution ARN (exit 2)', async () => {
    const { code, stderr } = await runCli(['watch', 'CHG-123']);

    expect(code).toBe(2);
    expect(stderr).toContain('<executionArn>: expected arn:aws:states:');
  });
});

describe('approve and reject', () => {
  it("approve asks the runbook's endpoint, signed as the operator, with the execution and the comment, and prints who it verified", async () => {
    answers['/approve'] = { status: 200, body: { execution: EXECUTION_ARN, decision: 'approved', by: APPROVER, note: 'ok for tonight' } };

    const { code, stdout } = await runCli(['approve', EXECUTION_ARN, '--comment', 'ok for tonight']);

    expect(code).toBe(0);
    const [event] = endpoint.events;
    expect(event?.rawPath).toBe('/approve');
    expect(event?.requestContext.authorizer.iam.userArn).toBe(APPROVER);
    expect(bodyOf(event)).toEqual({ executionArn: EXECUTION_ARN, comment: 'ok for tonight' });
    expect(stdout).toContain(`Approved as ${APPROVER} (verified by the runbook's endpoint): ${EXECUTION_ARN}`);
    // The endpoint answers the task token: the CLI sends nothing to Step Functions itself.
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('reject asks the endpoint with the reason', async () => {
    answers['/reject'] = { status: 200, body: { execution: EXECUTION_ARN, decision: 'rejected', by: APPROVER, note: 'release freeze' } };

    const { code } = await runCli(['reject', EXECUTION_ARN, '--reason', 'release freeze']);

    expect(code).toBe(0);
    expect(bodyOf(endpoint.events[0])).toEqual({ executionArn: EXECUTION_ARN, reason: 'release freeze' });
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('reject without --reason is a usage error, before any AWS call', async () => {
    const { code, stderr } = await runCli(['reject', EXECUTION_ARN]);

    expect(code).toBe(2);
    expect(stderr).toContain('--reason: required to reject');
    expect(cloudformation.calls()).toHaveLength(0);
    expect(endpoint.events).toHaveLength(0);
  });

  it.each([
    [403, 'ApproverNotAllowed', `${APPROVER} is not one of the configured approvers`, 1],
    [403, 'SelfApprovalRefused', `${APPROVER} requested this change and may not approve it`, 1],
    [409, 'NotWaitingForApproval', `${EXECUTION_ARN} is not waiting for approval: it ended SUCCEEDED`, 1],
  ])("a %i %s from the endpoint prints the endpoint's reason and exits %i", async (status, error, message, exitCode) => {
    answers['/approve'] = { status, body: { error, message } };

    const { code, stderr, stdout } = await runCli(['approve', EXECUTION_ARN]);

    expect(code).toBe(exitCode);
    expect(stderr).toContain(`refused by the runbook's endpoint (${error}): ${message}`);
    expect(stdout).toBe('');
  });

  it('a request the function URL refuses before the function runs (credentials AWS does not know) is an AWS error naming the permissions needed, exit 3', async () => {
    const { code, stderr } = await runCli(['approve', EXECUTION_ARN], { credentials: { accessKeyId: 'AKIANOTKNOWNATALL001', secretAccessKey: 'x' } });

    expect(code).toBe(3);
    expect(stderr).toContain("AWS refused the signed request to the runbook's endpoint (403: The security token included in the request is invalid.)");
    expect(stderr).toContain('lambda:InvokeFunctionUrl and lambda:InvokeFunction');
    expect(endpoint.events).toHaveLength(0);
  });
});

describe('report', () => {
  it('writes Markdown with a Mermaid flowchart coloured by outcome', async () => {
    serve('rolledBack');

    const { code, stdout } = await runCli(['report', EXECUTION_ARN]);

    expect(code).toBe(0);
    expect(stdout).toContain('# Metaflow schema migration CHG-123: ROLLED_BACK');
    expect(stdout).toContain('```mermaid');
    expect(stdout).toContain('class upgrade failed');
    expect(stdout).toMatch(/classDef skipped .*\n[\s\S]*class verify,restartOnNewSchema,version,scaleBack,summary skipped/);
  });

  it.each([[['--format', 'json']], [['--json']]])('writes the record as JSON with %j, read page by page', async (flags) => {
    serve('succeeded');

    const { code, stdout } = await runCli(['report', EXECUTION_ARN, ...flags]);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ execution: EXECUTION_ARN, outcome: 'SUCCEEDED', approval: { by: APPROVER } });
    const calls = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input.nextToken);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls[0]).toBeUndefined();
  });

  it('rejects an unknown --format (exit 2)', async () => {
    const { code, stderr } = await runCli(['report', EXECUTION_ARN, '--format', 'pdf']);

    expect(code).toBe(2);
    expect(stderr).toContain('--format: expected md or json, got "pdf"');
  });
});

describe('AWS errors', () => {
  it('retries throttling with exponential back-off, then succeeds', async () => {
    const respond = historyResponder(HISTORIES.succeeded);
    sfn
      .on(GetExecutionHistoryCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .callsFake(respond);

    const { code, sleeps } = await runCli(['report', EXECUTION_ARN, '--json']);

    expect(code).toBe(0);
    expect(sleeps).toEqual([100, 200]);
  });

  it('gives up on throttling after a bounded number of attempts with a clear error', async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    const { code, stderr, sleeps } = await runCli(['report', EXECUTION_ARN]);

    expect(code).toBe(3);
    expect(sleeps).toEqual([100, 200, 400]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(4);
    expect(stderr).toContain('AWS throttled the requests (ThrottlingException) 4 times');
  });

  it.each([
    ['ExecutionDoesNotExist', `no such execution: ${EXECUTION_ARN}`],
    ['CredentialsProviderError', 'no AWS credentials: set AWS_PROFILE or use --profile'],
    ['ExpiredTokenException', 'AWS rejected the credentials (ExpiredTokenException)'],
    ['AccessDeniedException', 'not allowed: AccessDeniedException'],
  ])('%s is explained in one line, without a stack trace (exit 3)', async (name, message) => {
    sfn.on(GetExecutionHistoryCommand).rejects(awsError(name));

    const { code, stderr } = await runCli(['watch', EXECUTION_ARN]);

    expect(code).toBe(3);
    expect(stderr).toBe(`error: ${message}${stderr.slice(`error: ${message}`.length)}`);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('with --json an error is also a JSON object on stdout', async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(awsError('ExecutionDoesNotExist'));

    const { stdout } = await runCli(['report', EXECUTION_ARN, '--json']);

    expect(JSON.parse(stdout)).toEqual({ error: { code: 'ExecutionDoesNotExist', message: expect.stringContaining('no such execution') } });
  });
});

describe('help', () => {
  it('lists the commands at the top level', async () => {
    const { code, stdout } = await runCli(['--help']);

    expect(code).toBe(0);
    for (const command of ['start', 'watch', 'approve', 'reject', 'report']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([
    ['start', ['--change-id <id>', '--target-image <image>', '--dry-run', '--endpoint-url <url>', '--no-follow', '--local', '--as <person>', '--profile <name>', '--region <region>', '--json']],
    ['watch', ['--interval <seconds>', '--local', '--scenario <name>', 'happy-path']],
    ['approve', ['--comment <text>', '--endpoint-url <url>', '--local', '--as <person>', 'signed with your AWS']],
    ['reject', ['--reason <text>', '--endpoint-url <url>', '--local', '--as <person>']],
    ['report', ['--format <md|json>', '--local']],
  ])('%s --help lists its flags', async (command, flags) => {
    const { code, stdout } = await runCli([command, '--help']);

    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: npm run runbook -- ${command} `));
    for (const flag of flags) expect(stdout).toContain(flag);
    // Who you are comes from your signature: no flag offers to say it.
    expect(stdout).not.toContain('--requested-by');
  });

  it('an unknown command is a usage error listing the commands', async () => {
    const { code, stderr } = await runCli(['deploy']);

    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "deploy"; expected one of: start, watch, approve, reject, report');
  });
});
