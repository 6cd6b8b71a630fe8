// "Steady": the one definition the waits, the drill, the measurements, the restore and the tests
// share. Pure, and structural, so it reads an SDK Service and a poller's observation alike.

export interface DeploymentShape {
  status?: string;
  rolloutState?: string;
  taskDefinition?: string;
  runningCount?: number;
  desiredCount?: number;
}

export interface ServiceShape {
  deployments?: readonly DeploymentShape[];
  runningCount?: number;
  desiredCount?: number;
}

export const primaryOf = <D extends DeploymentShape>(s: { deployments?: readonly D[] } | undefined): D | undefined => s?.deployments?.find((d) => d.status === 'PRIMARY');

/**
 * One deployment, PRIMARY and COMPLETED, with running = desired for the service and for the
 * deployment, and, when `taskDefinition` is given, on that task definition. One deployment: while
 * an old one is still draining the service is not steady, whatever the new one says.
 */
export const isSteady = (s: ServiceShape | undefined, taskDefinition?: string): boolean => {
  const deployments = s?.deployments ?? [];
  const [only] = deployments;
  return (
    s !== undefined &&
    deployments.length === 1 &&
    only !== undefined &&
    only.status === 'PRIMARY' &&
    only.rolloutState === 'COMPLETED' &&
    (taskDefinition === undefined || only.taskDefinition === taskDefinition) &&
    s.runningCount === s.desiredCount &&
    (only.runningCount === undefined || only.desiredCount === undefined || only.runningCount === only.desiredCount)
  );
};
