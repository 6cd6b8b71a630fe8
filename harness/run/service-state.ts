// Predicates over the service as the poller last saw it. Pure. (Steady is harness/ecs/steady.ts.)

import type { ServiceObservation } from '../observe/timeline.ts';

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
