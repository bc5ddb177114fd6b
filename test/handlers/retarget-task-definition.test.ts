import { expectNamedError, startStub, type HttpStub, type StubRoute } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

/**
 * The handler calls ECS through the AWS SDK; the stub plays ECS (JSON protocol, camelCase) at the
 * endpoint AWS_ENDPOINT_URL_ECS names, so the real client, its requests and its parsing are exercised.
 * The handler module is imported once the environment is set.
 */
const DESCRIBE = 'POST / DescribeTaskDefinition';
const REGISTER = 'POST / RegisterTaskDefinition';
const CURRENT_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/metadata-service:7';
const NEW_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/metadata-service:8';
const OLD_IMAGE = 'netflixoss/metaflow_metadata_service:v2.2.4';
const NEW_IMAGE = 'netflixoss/metaflow_metadata_service:v2.5.1';
const CHANGE_TAG = { key: 'metaflow-migration:change-id', value: 'CHG-1234' };

const METADATA = {
  name: 'metadata-service',
  image: OLD_IMAGE,
  essential: true,
  portMappings: [
    { containerPort: 8080, hostPort: 8080, protocol: 'tcp' },
    { containerPort: 8082, hostPort: 8082, protocol: 'tcp' },
  ],
  environment: [{ name: 'MF_METADATA_DB_SSL_MODE', value: 'require' }],
  secrets: [{ name: 'MF_METADATA_DB_PSWD', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:metaflow-db' }],
};
const SIDECAR = { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0', essential: false };

/** What may be registered again, unchanged but for the image. */
const REGISTERABLE = {
  family: 'metadata-service',
  taskRoleArn: 'arn:aws:iam::123456789012:role/metaflow-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/metaflow-execution',
  networkMode: 'awsvpc',
  volumes: [{ name: 'scratch' }],
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
  ephemeralStorage: { sizeInGiB: 30 },
};
/** What DescribeTaskDefinition adds and RegisterTaskDefinition refuses. */
const READ_ONLY = {
  taskDefinitionArn: CURRENT_ARN,
  revision: 7,
  status: 'ACTIVE',
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
  compatibilities: ['EC2', 'FARGATE'],
  registeredAt: 1714644672.0,
  registeredBy: 'arn:aws:sts::123456789012:assumed-role/deployer/ci',
};
const TEAM_TAG = { key: 'team', value: 'ml-platform' };

const describing = (containerDefinitions: unknown[], tags: unknown[] = [TEAM_TAG]): StubRoute => ({
  status: 200,
  body: { taskDefinition: { ...REGISTERABLE, ...READ_ONLY, pidMode: null, containerDefinitions }, tags },
});
const ecs = (describe: StubRoute, register: StubRoute = { status: 200, body: { taskDefinition: { taskDefinitionArn: NEW_ARN } } }) => ({
  routes: { [DESCRIBE]: describe, [REGISTER]: register },
});
const EVENT = { taskDefinition: CURRENT_ARN, containerName: 'metadata-service', targetImage: NEW_IMAGE, changeId: 'CHG-1234' };

let stub: HttpStub;
beforeAll(async () => {
  stub = await startStub({});
  // The SDK resolves (and caches) its endpoint on the first call, so one stub serves the whole file.
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_ECS: stub.baseUrl,
  });
});
afterAll(() => stub.close());

async function retarget(routes: Record<string, StubRoute>, event: Record<string, unknown> = {}) {
  const { handler } = await import('../../handlers/retarget-task-definition');
  stub.use(routes);
  const settled = await handler({ ...EVENT, ...event }).then(
    (result) => ({ result, error: undefined }),
    (error: Error) => ({ result: undefined, error }),
  );
  return { ...settled, requests: [...stub.requests], bodies: stub.bodies.map((b) => JSON.parse(b) as unknown) };
}

describe('retarget-task-definition handler (guide step 4.2: move a pinned image)', () => {
  it('registers a revision that changes only the named container image, keeping the rest and the tags', async () => {
    const outcome = await retarget(ecs(describing([METADATA, SIDECAR])).routes);
    expect(outcome.result).toEqual({
      taskDefinition: NEW_ARN,
      previousTaskDefinition: CURRENT_ARN,
      previousImage: OLD_IMAGE,
      targetImage: NEW_IMAGE,
      registered: true,
    });
    expect(outcome.requests).toEqual([DESCRIBE, REGISTER]);
    expect(outcome.bodies).toEqual([
      { taskDefinition: CURRENT_ARN, include: ['TAGS'] },
      // No read-only field (arn, revision, status, requiresAttributes, compatibilities, registeredAt/By) and no null one.
      { ...REGISTERABLE, containerDefinitions: [{ ...METADATA, image: NEW_IMAGE }, SIDECAR], tags: [TEAM_TAG, CHANGE_TAG] },
    ]);
  });

  it.each([
    { case: 'the named container is not first', containers: [SIDECAR, METADATA], tags: [TEAM_TAG], expected: { containers: [SIDECAR, { ...METADATA, image: NEW_IMAGE }], tags: [TEAM_TAG, CHANGE_TAG] } },
    { case: 'the revision has no tags', containers: [METADATA], tags: [], expected: { containers: [{ ...METADATA, image: NEW_IMAGE }], tags: [CHANGE_TAG] } },
    {
      case: 'an earlier change tag is there (replaced, not doubled)',
      containers: [METADATA],
      tags: [{ key: CHANGE_TAG.key, value: 'CHG-0001' }, TEAM_TAG],
      expected: { containers: [{ ...METADATA, image: NEW_IMAGE }], tags: [TEAM_TAG, CHANGE_TAG] },
    },
  ])('registers the new revision when $case', async ({ containers, tags, expected }) => {
    const outcome = await retarget(ecs(describing(containers, tags)).routes);
    expect(outcome.bodies[1]).toMatchObject({ containerDefinitions: expected.containers, tags: expected.tags });
  });

  it('pins a rollback to the digest the service ran: the same repository at that digest, nothing else changed', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const outcome = await retarget(ecs(describing([METADATA, SIDECAR])).routes, { targetImage: undefined, pinDigest: digest });

    expect(outcome.result).toMatchObject({ taskDefinition: NEW_ARN, previousImage: OLD_IMAGE, targetImage: `netflixoss/metaflow_metadata_service@${digest}`, registered: true });
    expect(outcome.bodies[1]).toMatchObject({ containerDefinitions: [{ ...METADATA, image: `netflixoss/metaflow_metadata_service@${digest}` }, SIDECAR] });
  });

  it.each([
    ['both a target image and a digest', { pinDigest: `sha256:${'a'.repeat(64)}` }, 'targetImage, pinDigest: expected exactly one'],
    ['neither', { targetImage: undefined }, 'targetImage, pinDigest: expected exactly one'],
    ['a digest that is not sha256', { targetImage: undefined, pinDigest: 'md5:abc' }, 'pinDigest: expected an image digest (sha256:<64 hex digits>), got "md5:abc"'],
  ])('refuses %s before any ECS call', async (_case, event, message) => {
    const outcome = await retarget(ecs(describing([METADATA])).routes, event);

    expectNamedError(outcome.error, 'InvalidHandlerEvent', [message]);
    expect(outcome.requests).toEqual([]);
  });

  it('registers nothing when the container already runs the target image', async () => {
    const outcome = await retarget(ecs(describing([{ ...METADATA, image: NEW_IMAGE }, SIDECAR])).routes);
    expect(outcome.result).toEqual({ taskDefinition: CURRENT_ARN, previousTaskDefinition: CURRENT_ARN, previousImage: NEW_IMAGE, targetImage: NEW_IMAGE, registered: false });
    expect(outcome.requests).toEqual([DESCRIBE]);
  });

  it.each<[string, string, StubRoute, StubRoute | undefined, Record<string, unknown>, string[]]>([
    ['TaskDefinitionNotRetargetable', 'the container is not in the task definition', describing([METADATA, SIDECAR]), undefined, { containerName: 'metaflow' }, ['container metaflow is not in task definition metadata-service (it has metadata-service, log-router)']],
    ['TaskDefinitionNotRetargetable', 'the task definition has no containers', describing([]), undefined, {}, ['container metadata-service is not in task definition metadata-service (it has none)']],
    ['TaskDefinitionNotRetargetable', 'ECS describes no task definition', { status: 200, body: {} }, undefined, {}, [`task definition ${CURRENT_ARN} was not found`]],
    ['TaskDefinitionNotRetargetable', 'RegisterTaskDefinition returns no ARN', describing([METADATA]), { status: 200, body: {} }, {}, ['RegisterTaskDefinition returned no ARN']],
    [
      'ClientException',
      'ECS refuses the describe (its error name passes through)',
      { status: 400, body: { __type: 'ClientException', message: 'Unable to describe task definition.' } },
      undefined,
      {},
      ['Unable to describe task definition.'],
    ],
  ])('throws %s when %s', async (name, _when, describe, register, event, parts) => {
    const outcome = await retarget(ecs(describe, register).routes, event);
    expectNamedError(outcome.error, name, parts);
    expect(outcome.requests).toEqual(register ? [DESCRIBE, REGISTER] : [DESCRIBE]);
  });
});
