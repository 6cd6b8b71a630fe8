// The exact strings ECS writes into rolloutStateReason, service events and task stop reasons.
// Drills and operators grep for these, so they are kept verbatim in one place.

export const rollout = {
  inProgress: (deploymentId: string) => `ECS deployment ${deploymentId} in progress.`,
  completed: (deploymentId: string) => `ECS deployment ${deploymentId} completed.`,
  tasksFailedToStart: () => 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBackTo: (deploymentId: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${deploymentId}.`,
};

const taskList = (taskIds: string[]) => taskIds.map((id) => `(task ${id})`).join(' ');

export const serviceEvent = {
  steadyState: (service: string) => `(service ${service}) has reached a steady state.`,
  deploymentCompleted: (service: string, deploymentId: string) =>
    `(service ${service}) (deployment ${deploymentId}) deployment completed.`,
  startedTasks: (service: string, taskIds: string[]) =>
    `(service ${service}) has started ${taskIds.length} tasks: ${taskList(taskIds)}.`,
  stoppedTasks: (service: string, taskIds: string[]) =>
    `(service ${service}) has stopped ${taskIds.length} running tasks: ${taskList(taskIds)}.`,
  failedContainerHealthChecks: (service: string, taskId: string) =>
    `(service ${service}) (task ${taskId}) failed container health checks.`,
  deploymentFailed: (service: string, deploymentId: string) =>
    `(service ${service}) (deployment ${deploymentId}) deployment failed: tasks failed to start.`,
  rollingBack: (service: string, deploymentId: string) => `(service ${service}) rolling back to deployment ${deploymentId}.`,
  targetUnhealthy: (service: string, taskId: string, port: number, targetGroupArn: string, reason: string) =>
    `(service ${service}) (task ${taskId}) (port ${port}) is unhealthy in (target-group ${targetGroupArn}) due to (reason ${reason}).`,
  registeredTargets: (service: string, count: number, targetGroupArn: string) =>
    `(service ${service}) registered ${count} targets in (target-group ${targetGroupArn})`,
  deregisteredTargets: (service: string, count: number, targetGroupArn: string) =>
    `(service ${service}) has begun draining connections on ${count} tasks.`,
};

export const stoppedReason = {
  essentialContainerExited: () => 'Essential container in task exited',
  failedElbHealthChecks: (targetGroupArn: string) => `Task failed ELB health checks in (target-group ${targetGroupArn})`,
  failedContainerHealthChecks: () => 'Task failed container health checks',
  scalingActivity: (deploymentId: string) => `Scaling activity initiated by (deployment ${deploymentId})`,
  stoppedByUser: () => 'Task stopped by user',
  outOfMemory: () => 'OutOfMemoryError: Container killed due to memory usage',
  cannotPull: (image: string, why: string) =>
    `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${image}: ${why}`,
  secretsUnavailable: (detail: string) =>
    `ResourceInitializationError: unable to pull secrets or registry auth: ${detail}`,
};
