// Deployment state transitions, as ECS performs them. Each function takes the service's
// deployments and returns what changed; nothing here touches tasks or processes.

import { rollout } from './messages.ts';
import type { Deployment, Millis } from './model.ts';
import type { FailureCause } from './service-deployments.ts';

export const newDeployment = (args: {
  id: string;
  taskDefinition: string;
  desiredCount: number;
  launchType: string;
  serviceRevisionArn: string;
  now: Millis;
}): Deployment => ({
  id: args.id,
  status: 'PRIMARY',
  taskDefinition: args.taskDefinition,
  desiredCount: args.desiredCount,
  failedTasks: 0,
  createdAt: args.now,
  updatedAt: args.now,
  launchType: args.launchType,
  rolloutState: 'IN_PROGRESS',
  rolloutStateReason: rollout.inProgress(args.id),
  serviceRevisionArn: args.serviceRevisionArn,
});

export const primaryOf = (deployments: Deployment[]): Deployment | undefined =>
  deployments.find((d) => d.status === 'PRIMARY');

/** The deployment a circuit-breaker rollback returns to: the most recent COMPLETED one. */
export const rollbackTarget = (deployments: Deployment[], failedId: string): Deployment | undefined =>
  deployments
    .filter((d) => d.id !== failedId && d.status !== 'INACTIVE' && d.rolloutState === 'COMPLETED')
    .sort((a, b) => b.createdAt - a.createdAt)[0];

export type BreakerOutcome =
  | { kind: 'failed'; failed: string }
  | { kind: 'rolledBack'; failed: string; target: string };

/**
 * The PRIMARY deployment failed: its circuit breaker tripped, a deployment alarm fired, or a
 * rollback was asked for. With rollback, the most recent COMPLETED deployment becomes PRIMARY and
 * IN_PROGRESS again under its own id, and the failed one stays as ACTIVE with rolloutState FAILED.
 * Without rollback, or with nothing to return to, the deployment is FAILED and keeps its place;
 * the scheduler launches nothing more for it.
 */
export const failDeployment = (deployments: Deployment[], cause: FailureCause, rollback: boolean, now: Millis): BreakerOutcome | undefined => {
  const failed = primaryOf(deployments);
  if (!failed || failed.rolloutState !== 'IN_PROGRESS') return undefined;
  failed.rolloutState = 'FAILED';
  failed.rolloutStateReason = rollout.failureReason(cause);
  failed.updatedAt = now;
  const target = rollback ? rollbackTarget(deployments, failed.id) : undefined;
  if (!target) return { kind: 'failed', failed: failed.id };
  failed.status = 'ACTIVE';
  target.status = 'PRIMARY';
  target.rolloutState = 'IN_PROGRESS';
  // ECS names the deployment it returns to in the reason of the one that takes over.
  target.rolloutStateReason = rollout.rollingBack(cause, target.id);
  target.desiredCount = failed.desiredCount;
  target.failedTasks = 0;
  target.updatedAt = now;
  // The PRIMARY deployment is listed first, as DescribeServices does.
  deployments.sort((a, b) => rank(a) - rank(b));
  return { kind: 'rolledBack', failed: failed.id, target: target.id };
};

/** The circuit breaker tripped on the PRIMARY deployment. */
export const tripBreaker = (deployments: Deployment[], rollback: boolean, now: Millis): BreakerOutcome | undefined =>
  failDeployment(deployments, { kind: 'circuit-breaker' }, rollback, now);

const rank = (d: Deployment): number => (d.status === 'PRIMARY' ? 0 : d.status === 'ACTIVE' ? 1 : 2);

/**
 * The PRIMARY deployment reached its desired count of healthy tasks and every other
 * deployment has drained: it is COMPLETED and the others are INACTIVE (and dropped from the list,
 * as DescribeServices stops showing them).
 */
export const completeDeployment = (deployments: Deployment[], now: Millis): Deployment[] => {
  const primary = primaryOf(deployments);
  if (!primary) return deployments;
  primary.rolloutState = 'COMPLETED';
  primary.rolloutStateReason = rollout.completed(primary.id);
  primary.updatedAt = now;
  return [primary];
};

/**
 * failedTasks for the breaker: a failure adds one; a healthy task of the deployment resets the
 * count when resetOnHealthyTask is on (its default).
 */
export const countFailure = (deployment: Deployment, now: Millis): void => {
  deployment.failedTasks += 1;
  deployment.updatedAt = now;
};

export const resetFailures = (deployment: Deployment, now: Millis): void => {
  if (deployment.failedTasks === 0) return;
  deployment.failedTasks = 0;
  deployment.updatedAt = now;
};
