import type { Json } from '../../rehearsal/assembly';
import { formatPath, locate, parsePath, removeAt } from '../../rehearsal/json-path';

const answer = (): Json => ({
  Services: [{ Status: 'ACTIVE', Deployments: [{ Id: 'a' }, { Id: 'b' }] }],
  TaskDefinition: { ContainerDefinitions: [{ Name: 'sidecar', Image: 'x' }, { Name: 'metadata-service', Image: 'y' }] },
});

describe('the JSONPath the definition writes', () => {
  it.each([
    '$.Services[0].Deployments[1].Id',
    '$.Executions[*].Name',
    "$.TaskDefinition.ContainerDefinitions[?(@.Name == 'metadata-service')].Image",
  ])('parses and formats %s back to itself', (path) => {
    expect(formatPath(parsePath(path))).toBe(path);
  });

  it('refuses what it does not know, and the context object', () => {
    expect(() => parsePath('$.a[1:2]')).toThrow(/unsupported JSONPath/);
    expect(() => parsePath('$$.Execution.Id')).toThrow(/not a path/);
  });

  it('locates every place a path reaches, through indexes, wildcards and filters, and nothing that is not there', () => {
    const value = answer();

    expect(locate(value, parsePath('$.Services[0].Deployments[*].Id'))).toEqual([
      ['Services', 0, 'Deployments', 0, 'Id'],
      ['Services', 0, 'Deployments', 1, 'Id'],
    ]);
    expect(locate(value, parsePath("$.TaskDefinition.ContainerDefinitions[?(@.Name == 'metadata-service')].Image"))).toEqual([['TaskDefinition', 'ContainerDefinitions', 1, 'Image']]);
    expect(locate(value, parsePath('$.Services[1]'))).toEqual([]);
    expect(locate(value, parsePath('$.Services[0].RunningCount'))).toEqual([]);
  });

  it('takes a member out of an object, and an element out of a list so the next one moves up', () => {
    const value = answer() as { Services: { Status?: string; Deployments: { Id: string }[] }[] };

    removeAt(value as unknown as Json, ['Services', 0, 'Status']);
    removeAt(value as unknown as Json, ['Services', 0, 'Deployments', 0]);

    expect(value.Services[0]).toEqual({ Deployments: [{ Id: 'b' }] });
  });
});
