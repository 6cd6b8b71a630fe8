// The rolling-update arithmetic of the ECS service scheduler, as a pure plan: given the
// service's deployments and the tasks it has, which tasks to launch and which to stop.

/** A service's task as the scheduler sees it. Stopping and stopped tasks are left out. */
export interface SchedulerTask {
  taskArn: string;
  deploymentId: string;
  /** RUNNING and passing every health check that applies to it. */
  healthy: boolean;
}

export interface RolloutInput {
  desiredCount: number;
  maximumPercent: number;
  minimumHealthyPercent: number;
  /** The PRIMARY deployment, or undefined when it has FAILED and may launch nothing. */
  primaryId: string | undefined;
  tasks: SchedulerTask[];
}

export interface RolloutPlan {
  launch: number;
  /** Tasks of older deployments (or surplus tasks) to stop, unhealthy ones first. */
  stop: string[];
}

/** maximumPercent rounds down, minimumHealthyPercent rounds up, as ECS documents. */
export const rollingBounds = (desiredCount: number, maximumPercent: number, minimumHealthyPercent: number) => ({
  maxTasks: Math.floor((desiredCount * maximumPercent) / 100),
  minHealthy: Math.ceil((desiredCount * minimumHealthyPercent) / 100),
});

export const planRollout = (input: RolloutInput): RolloutPlan => {
  if (input.primaryId === undefined) return { launch: 0, stop: [] };
  const { maxTasks, minHealthy } = rollingBounds(input.desiredCount, input.maximumPercent, input.minimumHealthyPercent);
  const current = input.tasks.filter((t) => t.deploymentId === input.primaryId);
  const older = input.tasks.filter((t) => t.deploymentId !== input.primaryId);

  const launch = Math.max(0, Math.min(input.desiredCount - current.length, maxTasks - input.tasks.length));

  let healthy = input.tasks.filter((t) => t.healthy).length;
  const stop: string[] = [];
  // Unhealthy tasks of older deployments serve nothing, so stopping them never costs health.
  for (const task of older.filter((t) => !t.healthy)) stop.push(task.taskArn);
  // Healthy ones go only while the service stays at or above its healthy floor.
  for (const task of older.filter((t) => t.healthy)) {
    if (healthy - 1 < minHealthy) break;
    stop.push(task.taskArn);
    healthy -= 1;
  }
  // Scale-in of the primary itself when desiredCount went down: newest-unhealthy first.
  const surplus = current.length - input.desiredCount;
  if (surplus > 0) {
    const ordered = [...current.filter((t) => !t.healthy), ...current.filter((t) => t.healthy)];
    stop.push(...ordered.slice(0, surplus).map((t) => t.taskArn));
  }
  return { launch, stop };
};

/** The primary is done when it runs exactly its desired count, all healthy, and nothing else runs. */
export const rolloutComplete = (input: Omit<RolloutInput, 'maximumPercent' | 'minimumHealthyPercent'>, otherTasksRemaining: number): boolean => {
  if (input.primaryId === undefined) return false;
  const current = input.tasks.filter((t) => t.deploymentId === input.primaryId);
  return (
    otherTasksRemaining === 0 &&
    current.length === input.desiredCount &&
    current.every((t) => t.healthy)
  );
};
