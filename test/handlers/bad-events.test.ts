import { handler as assessPreflight } from '../../handlers/assess-preflight';
import { handler as getSchemaStatus } from '../../handlers/get-schema-status';
import { handler as getServiceVersion } from '../../handlers/get-service-version';
import { handler as pingMigrationService } from '../../handlers/ping-migration-service';
import { handler as retargetTaskDefinition } from '../../handlers/retarget-task-definition';
import { handler as upgradeSchema } from '../../handlers/upgrade-schema';
import { handler as validateInput } from '../../handlers/validate-input';
import { expectNamedError, rejectionOf, startStub, type Handler, type HttpStub } from '../support/http-stub';

process.env.RUNBOOK_QUIET = '1';

/** Every route answers as it should, so only the event's validation can stop a request. */
const HEALTHY = {
  'GET /ping': { status: 200, body: 'pong' },
  'GET /version': { status: 200, body: '2.5.1' },
  'PATCH /upgrade': { status: 200, body: 'upgrade success' },
  'GET /db_schema_status': {
    status: 200,
    body: { is_up_to_date: true, current_version: '20220503175500', migration_in_progress: false, db_schema_versions: ['20220503175500'], unapplied_migrations: [] },
  },
};

const HTTP_HANDLERS: [string, Handler][] = [
  ['get-schema-status', getSchemaStatus],
  ['upgrade-schema', upgradeSchema],
  ['ping-migration-service', pingMigrationService],
  ['get-service-version', getServiceVersion],
];

/** A bad event built around the stub's real URL, and the field its error must name. */
const BAD_HTTP_EVENTS: [string, (baseUrl: string) => unknown, string][] = [
  ['the event is not an object', () => 'http://127.0.0.1', 'event: expected an object, got "http://127.0.0.1"'],
  ['the event is null', () => null, 'event: expected an object, got null'],
  ['baseUrl is missing', () => ({ timeoutMs: 1000 }), 'baseUrl: expected an http:// or https:// base URL, got nothing'],
  ['baseUrl is empty', () => ({ baseUrl: '', timeoutMs: 1000 }), 'baseUrl: expected an http:// or https:// base URL, got ""'],
  ['baseUrl is a number', () => ({ baseUrl: 8082, timeoutMs: 1000 }), 'baseUrl: expected an http:// or https:// base URL, got number 8082'],
  ['baseUrl has no scheme', (url) => ({ baseUrl: url.replace('http://', ''), timeoutMs: 1000 }), 'baseUrl: expected an http:// or https:// base URL, got "127.0.0.1:'],
  ['baseUrl is not http(s)', (url) => ({ baseUrl: url.replace('http', 'ftp'), timeoutMs: 1000 }), 'baseUrl: expected an http:// or https:// base URL, got "ftp://'],
  ['baseUrl has an invalid port', () => ({ baseUrl: 'http://127.0.0.1:99999', timeoutMs: 1000 }), 'baseUrl: expected an http:// or https:// base URL, got "http://127.0.0.1:99999"'],
  ['baseUrl contains a space', (url) => ({ baseUrl: `${url}/a b`, timeoutMs: 1000 }), 'baseUrl: expected an http:// or https:// base URL'],
  ['timeoutMs is missing', (baseUrl) => ({ baseUrl }), 'timeoutMs: expected an integer from 100 to 900000, got nothing'],
  ['timeoutMs is below 100', (baseUrl) => ({ baseUrl, timeoutMs: 99 }), 'timeoutMs: expected an integer from 100 to 900000, got number 99'],
  ['timeoutMs is above 900000', (baseUrl) => ({ baseUrl, timeoutMs: 900_001 }), 'timeoutMs: expected an integer from 100 to 900000, got number 900001'],
  ['timeoutMs is not an integer', (baseUrl) => ({ baseUrl, timeoutMs: 250.5 }), 'timeoutMs: expected an integer from 100 to 900000, got number 250.5'],
  ['timeoutMs is a string', (baseUrl) => ({ baseUrl, timeoutMs: '250' }), 'timeoutMs: expected an integer from 100 to 900000, got "250"'],
];

describe('HTTP handlers refuse a malformed event before sending anything', () => {
  let stub: HttpStub;
  beforeAll(async () => {
    stub = await startStub(HEALTHY);
  });
  afterAll(() => stub.close());

  describe.each(HTTP_HANDLERS)('%s', (_name, handler) => {
    it('accepts the well-formed event (the control for the rows below)', async () => {
      const before = stub.requests.length;
      await expect(handler({ baseUrl: stub.baseUrl, timeoutMs: 1000 })).resolves.toBeDefined();
      expect(stub.requests.length).toBe(before + 1);
    });

    it.each(BAD_HTTP_EVENTS)('throws InvalidHandlerEvent when %s', async (_case, event, part) => {
      const before = stub.requests.length;
      expectNamedError(await rejectionOf(handler(event(stub.baseUrl))), 'InvalidHandlerEvent', [part]);
      expect(stub.requests.length).toBe(before);
    });
  });

  it('get-service-version throws InvalidHandlerEvent when minimumVersion is not a version', async () => {
    const before = stub.requests.length;
    const error = await rejectionOf(getServiceVersion({ baseUrl: stub.baseUrl, timeoutMs: 1000, minimumVersion: 'latest' }));
    expectNamedError(error, 'InvalidHandlerEvent', ['minimumVersion: expected a string matching', 'got "latest"']);
    expect(stub.requests.length).toBe(before);
  });
});

describe('pure handlers refuse a malformed event naming the field', () => {
  const preflight = { dbInstances: [], services: [], dbInstanceIdentifier: 'metaflow-db', serviceName: 'metadata-service' };
  const retarget = { taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/metadata-service:7', containerName: 'metadata-service', targetImage: 'metaflow:2.5.1', changeId: 'CHG-1' };
  it.each<[string, Handler, unknown, string]>([
    ['validate-input without executionName', validateInput, { input: { changeId: 'CHG-1' }, dbInstanceIdentifier: 'metaflow-db' }, 'executionName: expected a non-empty string, got nothing'],
    ['validate-input naming no database', validateInput, { input: { changeId: 'CHG-1' }, executionName: 'run-1' }, 'expected exactly one of dbInstanceIdentifier and dbClusterIdentifier'],
    ['validate-input naming two databases', validateInput, { input: { changeId: 'CHG-1' }, executionName: 'run-1', dbInstanceIdentifier: 'a', dbClusterIdentifier: 'b' }, 'expected exactly one of dbInstanceIdentifier and dbClusterIdentifier'],
    ['validate-input given a list', validateInput, [], 'event: expected an object, got an array'],
    ['assess-preflight whose dbInstances is not a list', assessPreflight, { ...preflight, dbInstances: { DbInstances: [] } }, 'dbInstances: expected a list'],
    ['assess-preflight without services', assessPreflight, { ...preflight, services: undefined }, 'services: expected a list'],
    ['assess-preflight without serviceName', assessPreflight, { ...preflight, serviceName: '' }, 'serviceName: expected a non-empty string, got ""'],
    ['retarget-task-definition whose taskDefinition is family:revision', retargetTaskDefinition, { ...retarget, taskDefinition: 'metadata-service:7' }, 'taskDefinition: expected a task definition ARN, got "metadata-service:7"'],
    ['retarget-task-definition without containerName', retargetTaskDefinition, { ...retarget, containerName: undefined }, 'containerName: expected a non-empty string, got nothing'],
    ['retarget-task-definition whose targetImage is malformed', retargetTaskDefinition, { ...retarget, targetImage: 'Metaflow:' }, 'targetImage: expected an image reference, got "Metaflow:"'],
    ['retarget-task-definition without changeId', retargetTaskDefinition, { ...retarget, changeId: undefined }, 'changeId: expected a change id, got nothing'],
  ])('%s throws InvalidHandlerEvent', async (_case, handler, event, part) => {
    expectNamedError(await rejectionOf(handler(event)), 'InvalidHandlerEvent', [part]);
  });
});

describe('handler logging', () => {
  it('writes one JSON line per invocation naming the handler, the execution and the error', async () => {
    const { handler } = await import('../../handlers/ping-migration-service');
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const quiet = process.env.RUNBOOK_QUIET;
    delete process.env.RUNBOOK_QUIET;
    try {
      await handler({ baseUrl: 'ftp://nowhere', timeoutMs: 1000, executionId: 'arn:aws:states:eu-west-1:123456789012:execution:rb:CHG-1' }).catch(() => undefined);
    } finally {
      process.env.RUNBOOK_QUIET = quiet;
      spy.mockRestore();
    }
    expect(writes.map((w) => JSON.parse(w))).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        handler: 'ping-migration-service',
        executionId: 'arn:aws:states:eu-west-1:123456789012:execution:rb:CHG-1',
        error: 'InvalidHandlerEvent',
      }),
    ]);
  });
});
