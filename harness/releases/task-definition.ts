// A task definition as RegisterTaskDefinition takes it. A baseline read back with
// DescribeTaskDefinition carries read-only fields (ARN, revision, status, compatibilities,
// registeredAt, ...) that RegisterTaskDefinition rejects, so the copy keeps an allow-list.

import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';
import { withTag } from './image-ref.ts';

export type TaskDefinitionInput = RegisterTaskDefinitionCommandInput;

// An allow-list rather than a deny-list: a read-only field that a newer ECS adds is dropped
// instead of breaking the registration.
const REGISTER_FIELDS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
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
] as const satisfies readonly (keyof TaskDefinition & keyof TaskDefinitionInput)[];

// Fails to compile when an SDK upgrade adds a field that both shapes share, so a new writable
// field is listed above (or consciously left out) instead of being silently lost.
type Unlisted = Exclude<keyof TaskDefinition & keyof TaskDefinitionInput, (typeof REGISTER_FIELDS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

/** The fields of a described task definition that RegisterTaskDefinition accepts, deep-copied. */
export const toRegisterInput = (described: TaskDefinition): TaskDefinitionInput => {
  const input: Record<string, unknown> = {};
  for (const field of REGISTER_FIELDS) {
    if (described[field] !== undefined) input[field] = structuredClone(described[field]);
  }
  // Every key is one of REGISTER_FIELDS, which the compiler checked against both shapes.
  return input as unknown as TaskDefinitionInput;
};

/** The essential container, as a release is judged by it: the first marked essential (ECS's default), else the first. */
export const essentialContainer = <C extends { essential?: boolean }>(td: { containerDefinitions?: C[] }): C | undefined =>
  td.containerDefinitions?.find((c) => c.essential !== false) ?? td.containerDefinitions?.[0];

/** A copy of `td` whose essential container runs `tag` of the same image: a release by tag, as a candidate is made. */
export const withEssentialTag = (td: TaskDefinitionInput, tag: string): TaskDefinitionInput => {
  const copy = structuredClone(td);
  const container = essentialContainer(copy);
  if (container?.image) container.image = withTag(container.image, tag);
  return copy;
};
