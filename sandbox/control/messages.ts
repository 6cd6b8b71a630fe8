// The exact strings ECS writes into rolloutStateReason, service events and task stop reasons.
// Drills and operators grep for these, so they are kept verbatim in one place.
//
// The circuit breaker's strings are ECS's own. ECS does not document the wording for deployment
// alarms or StopServiceDeployment; those below follow the breaker's pattern and name the cause
// (the alarms by name), which is what drills and operators look for.

/** Why a deployment failed, as service-deployments.ts's FailureCause says it (kept here to keep messages.ts a leaf). */
type Cause = { kind: 'circuit-breaker' } | { kind: 'alarm'; alarmNames: string[] } | { kind: 'stop-deployment' };

const causeLabel = (cause: Cause): string =>
  cause.kind === 'circuit-breaker' ? 'circuit breaker' : cause.kind === 'alarm' ? 'alarms' : 'rollback requested';

export const rollout = {
  inProgress: (deploymentId: string) => `ECS deployment ${deploymentId} in progress.`,
  completed: (deploymentId: string) => `ECS deployment ${deploymentId} completed.`,
  tasksFailedToStart: () => 'ECS deployment circuit breaker: tasks failed to start.',
  alarmsTriggered: (alarmNames: string[]) => `ECS deployment alarms: alarm(s) ${alarmNames.join(', ')} in ALARM state.`,
  rollbackRequested: () => 'ECS deployment rollback requested: StopServiceDeployment ROLLBACK.',
  /** The failed deployment's rolloutStateReason, and its service deployment's statusReason. */
  failureReason: (cause: Cause) =>
    cause.kind === 'circuit-breaker' ? rollout.tasksFailedToStart() : cause.kind === 'alarm' ? rollout.alarmsTriggered(cause.alarmNames) : rollout.rollbackRequested(),
  /** The rolloutStateReason of the deployment ECS returns to. */
  rollingBack: (cause: Cause, deploymentId: string) => `ECS deployment ${causeLabel(cause)}: rolling back to deploymentId ${deploymentId}.`,
  superseded: () => 'ECS deployment stopped: a newer deployment of the service started.',
  nothingToRollBackTo: () => 'There is no COMPLETED deployment to roll back to.',
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
  deploymentFailed: (service: string, deploymentId: string, cause: Cause = { kind: 'circuit-breaker' }) =>
    `(service ${service}) (deployment ${deploymentId}) deployment failed: ${
      cause.kind === 'circuit-breaker' ? 'tasks failed to start' : cause.kind === 'alarm' ? `alarm(s) ${cause.alarmNames.join(', ')} triggered` : 'rollback requested'
    }.`,
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
