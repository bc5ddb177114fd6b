import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { TaskDefinitionNotRetargetable } from '../lib/errors';

/** RegisterTaskDefinition's inputs that DescribeTaskDefinition returns under the same names. */
const REGISTERABLE = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof TaskDefinition & keyof RegisterTaskDefinitionCommandInput)[];

/** The two ECS calls this needs, so tests and the rehearsal can answer them. */
export interface TaskDefinitionStore {
  describe(taskDefinition: string): Promise<{ taskDefinition?: TaskDefinition; tags?: Tag[] }>;
  register(input: RegisterTaskDefinitionCommandInput): Promise<{ taskDefinitionArn?: string }>;
}

export interface RetargetRequest {
  readonly taskDefinition: string;
  readonly containerName: string;
  /** The image the container should run: a new tag (guide step 4.2) or, for a rollback, the original digest. */
  readonly target: { readonly image: string } | { readonly digest: string };
  readonly changeId: string;
}

export interface RetargetResult {
  /** The revision the restart deploys: a new one, or the current one when it already runs the image. */
  readonly taskDefinition: string;
  readonly previousTaskDefinition: string;
  readonly previousImage: string;
  readonly targetImage: string;
  readonly registered: boolean;
}

/**
 * The guide's step 4.2: a pinned image tag must move to the new image in a new task definition
 * revision, or the restart brings the old image back. Everything else in the revision is kept, and
 * the new revision is tagged with the change.
 */
export async function retargetTaskDefinition(req: RetargetRequest, store: TaskDefinitionStore): Promise<RetargetResult> {
  const described = await store.describe(req.taskDefinition);
  const td = described.taskDefinition;
  if (!td) throw new TaskDefinitionNotRetargetable(`task definition ${req.taskDefinition} was not found`);
  const targetImage = 'digest' in req.target ? pinnedImage(imageToPin(td, req.containerName, req.target.digest), req.target.digest) : req.target.image;
  const { registration, previousImage } = buildRegistration(td, described.tags ?? [], { ...req, targetImage });
  const base = { previousTaskDefinition: req.taskDefinition, previousImage, targetImage };
  if (previousImage === targetImage) return { ...base, taskDefinition: req.taskDefinition, registered: false };
  const registered = await store.register(registration);
  if (!registered.taskDefinitionArn) throw new TaskDefinitionNotRetargetable('RegisterTaskDefinition returned no ARN');
  return { ...base, taskDefinition: registered.taskDefinitionArn, registered: true };
}

/** Pure: the RegisterTaskDefinition input for `td` with one container's image replaced. */
export function buildRegistration(
  td: TaskDefinition,
  tags: readonly Tag[],
  req: Pick<RetargetRequest, 'containerName' | 'changeId'> & { readonly targetImage: string },
): { registration: RegisterTaskDefinitionCommandInput; previousImage: string } {
  const containers: ContainerDefinition[] = td.containerDefinitions ?? [];
  const target = containerOf(td, req.containerName);
  const registration: RegisterTaskDefinitionCommandInput = {
    family: td.family,
    containerDefinitions: containers.map((c) => (c === target ? { ...c, image: req.targetImage } : c)),
  };
  for (const key of REGISTERABLE) {
    const value = td[key];
    if (value !== undefined && value !== null) Object.assign(registration, { [key]: value });
  }
  const changeTag = { key: 'metaflow-migration:change-id', value: req.changeId };
  registration.tags = [...tags.filter((t) => t.key !== changeTag.key), changeTag];
  return { registration, previousImage: target.image ?? '' };
}

/** The image a rollback pins at a digest: a container described without one has nothing to pin. */
function imageToPin(td: TaskDefinition, containerName: string, digest: string): string {
  const { image } = containerOf(td, containerName);
  if (!image) throw new TaskDefinitionNotRetargetable(`container ${containerName} of task definition ${td.family} has no image to pin at ${digest}`);
  return image;
}

function containerOf(td: TaskDefinition, name: string): ContainerDefinition {
  const containers = td.containerDefinitions ?? [];
  const found = containers.find((c) => c.name === name);
  if (!found) {
    const names = containers.map((c) => c.name).join(', ') || 'none';
    throw new TaskDefinitionNotRetargetable(`container ${name} is not in task definition ${td.family} (it has ${names})`);
  }
  return found;
}

/**
 * The same repository at one digest: `registry:5000/team/repo:tag` at `sha256:…` is
 * `registry:5000/team/repo@sha256:…`. A tag follows the last `/`; a port before it is no tag.
 */
export function pinnedImage(image: string, digest: string): string {
  const untagged = image.replace(/@sha256:[0-9a-f]{64}$/, '');
  const slash = untagged.lastIndexOf('/');
  const colon = untagged.lastIndexOf(':');
  return `${colon > slash ? untagged.slice(0, colon) : untagged}@${digest}`;
}
