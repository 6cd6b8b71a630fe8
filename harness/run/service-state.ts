// Predicates over the service as the poller last saw it. Pure.

import type { ServiceObservation } from '../observe/timeline.ts';

/** One deployment, PRIMARY and COMPLETED, on the given task definition, with running = desired. */
export const steadyOn = (o: ServiceObservation | undefined, taskDefinition: string): boolean => {
  if (!o || o.deployments.length !== 1) return false;
  const [d] = o.deployments;
  return d !== undefined && d.status === 'PRIMARY' && d.rolloutState === 'COMPLETED' && d.taskDefinition === taskDefinition && o.runningCount === o.desiredCount;
};

/** The baseline's deployment is PRIMARY again after the bad one was rolled out: a rollback is under way. */
export const rollingBackTo = (o: ServiceObservation | undefined, baseline: string, bad: string): boolean =>
  o !== undefined &&
  o.deployments.some((d) => d.status === 'PRIMARY' && d.taskDefinition === baseline) &&
  o.deployments.some((d) => d.taskDefinition === bad);

export const describeState = (o: ServiceObservation | undefined): string => {
  if (!o) return 'not observed';
  const deployments = o.deployments
    .map((d) => `${d.id} ${d.status} ${d.rolloutState ?? ''} ${d.taskDefinition.split('/').pop()} running ${d.runningCount}/${d.desiredCount}`)
    .join('; ');
  return `task definition ${o.taskDefinition.split('/').pop()}, running ${o.runningCount}/${o.desiredCount}; deployments: ${deployments}`;
};
