// Identifiers shaped like ECS's own.

import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Ids } from './control/state.ts';

export const randomIds: Ids = {
  deploymentId: () => `ecs-svc/${String(randomInt(1, 10 ** 9)).padStart(9, '0')}${String(randomInt(0, 10 ** 10)).padStart(10, '0')}`,
  taskId: () => randomBytes(16).toString('hex'),
  uuid: () => randomUUID(),
};
