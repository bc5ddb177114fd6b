import { TaskDefinitionNotRetargetable } from '../lib/errors';

/** RegisterTaskDefinition's inputs, as DescribeTaskDefinition returns them (same names, same casing). */
const REGISTERABLE = [
  'Family',
  'TaskRoleArn',
  'ExecutionRoleArn',
  'NetworkMode',
  'ContainerDefinitions',
  'Volumes',
  'PlacementConstraints',
  'RequiresCompatibilities',
  'Cpu',
  'Memory',
  'PidMode',
  'IpcMode',
  'ProxyConfiguration',
  'InferenceAccelerators',
  'EphemeralStorage',
  'RuntimePlatform',
] as const;

export interface RetargetedTaskDefinition {
  /** Parameters for RegisterTaskDefinition: the original revision with one image changed. */
  readonly registration: Record<string, unknown>;
  readonly previousImage: string;
  readonly targetImage: string;
}

/**
 * The guide's step 4.2: a pinned image tag must move to the new image in a new task definition
 * revision, or the restart brings the old image back. Everything else in the revision is kept.
 */
export function retargetTaskDefinition(
  described: { TaskDefinition?: Record<string, unknown>; Tags?: unknown[] },
  containerName: string,
  targetImage: string,
): RetargetedTaskDefinition {
  const td = described.TaskDefinition;
  if (!td || !Array.isArray(td.ContainerDefinitions)) {
    throw new TaskDefinitionNotRetargetable('DescribeTaskDefinition returned no ContainerDefinitions');
  }
  const containers = td.ContainerDefinitions as Record<string, unknown>[];
  const index = containers.findIndex((c) => c.Name === containerName);
  const container = containers[index];
  if (!container) {
    const names = containers.map((c) => String(c.Name)).join(', ');
    throw new TaskDefinitionNotRetargetable(`container ${containerName} is not in task definition ${String(td.Family)} (it has ${names})`);
  }
  const registration: Record<string, unknown> = {};
  for (const key of REGISTERABLE) if (td[key] !== undefined && td[key] !== null) registration[key] = td[key];
  registration.ContainerDefinitions = containers.map((c, i) => (i === index ? { ...c, Image: targetImage } : c));
  if (Array.isArray(described.Tags) && described.Tags.length > 0) registration.Tags = described.Tags;
  return { registration, previousImage: String(container.Image), targetImage };
}
