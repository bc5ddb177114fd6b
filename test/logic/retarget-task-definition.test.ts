import { buildRegistration, retargetTaskDefinition } from '../../handlers/logic/retarget-task-definition';
import { TaskDefinitionNotRetargetable } from '../../handlers/lib/errors';

const req = { taskDefinition: 'td:1', containerName: 'app', target: { image: 'img:2' }, changeId: 'CHG-1' };
/** What buildRegistration is given once the target is resolved to an image. */
const resolved = { containerName: 'app', targetImage: 'img:2', changeId: 'CHG-1' };

describe('retargeting a task definition: only what DescribeTaskDefinition really returned is registered again', () => {
  it('leaves out fields described as null or absent', () => {
    const { registration } = buildRegistration({ family: 'f', pidMode: null as never, cpu: '512', containerDefinitions: [{ name: 'app', image: 'img:1' }] }, [], resolved);

    expect(Object.keys(registration).sort()).toEqual(['containerDefinitions', 'cpu', 'family', 'tags']);
  });

  it('tags a revision with the change even when the described one had no tags, and records an image-less container as ""', async () => {
    const registered: unknown[] = [];
    const result = await retargetTaskDefinition(req, {
      describe: async () => ({ taskDefinition: { family: 'f', containerDefinitions: [{ name: 'app' }] } }),
      register: async (input) => {
        registered.push(input);
        return { taskDefinitionArn: 'td:2' };
      },
    });

    expect(result).toMatchObject({ previousImage: '', taskDefinition: 'td:2', registered: true });
    expect(registered).toEqual([expect.objectContaining({ tags: [{ key: 'metaflow-migration:change-id', value: 'CHG-1' }] })]);
  });

  it('refuses to pin a digest on a container described without an image, registering nothing', async () => {
    const register = jest.fn();
    const pin = { ...req, target: { digest: `sha256:${'a'.repeat(64)}` } };

    await expect(retargetTaskDefinition(pin, { describe: async () => ({ taskDefinition: { family: 'f', containerDefinitions: [{ name: 'app' }] } }), register })).rejects.toThrow(
      new TaskDefinitionNotRetargetable(`container app of task definition f has no image to pin at sha256:${'a'.repeat(64)}`),
    );
    expect(register).not.toHaveBeenCalled();
  });

  it('names a task definition without containers', () => {
    expect(() => buildRegistration({ family: 'f' }, [], resolved)).toThrow(new TaskDefinitionNotRetargetable('container app is not in task definition f (it has none)'));
  });
});
