// The ECS operations the sandbox answers, by name. The server dispatches on this registry only,
// so the set of supported operations is explicit: anything else is UnknownOperationException.

import { clusterOperations } from './operations/clusters.ts';
import { serviceOperations } from './operations/services.ts';
import { serviceDeploymentOperations } from './operations/service-deployments.ts';
import { tagOperations } from './operations/tags.ts';
import { taskDefinitionOperations } from './operations/task-definitions.ts';
import { taskOperations } from './operations/tasks.ts';
import type { Operation } from './operations/common.ts';

export type { Operation, OperationContext } from './operations/common.ts';
export { ApiError } from './operations/common.ts';

/** A fresh registry of every supported ECS operation. */
export const ecsOperations = (): Map<string, Operation> =>
  new Map(
    Object.entries({
      ...clusterOperations,
      ...taskDefinitionOperations,
      ...serviceOperations,
      ...serviceDeploymentOperations,
      ...taskOperations,
      ...tagOperations,
    }),
  );
