// The deployment circuit breaker's failure threshold (ECS-FACTS.md, "Deployment circuit breaker").

import type { CircuitBreakerConfig } from './model.ts';

const BOUNDED_MIN = 3;
const BOUNDED_MAX = 200;

/** How many failed tasks trip the breaker for a deployment of `desiredCount` tasks. */
export const failureThreshold = (desiredCount: number, config: Pick<CircuitBreakerConfig, 'thresholdConfiguration'>): number => {
  const { type, value } = config.thresholdConfiguration ?? { type: 'BOUNDED_PERCENT', value: 50 };
  if (type === 'COUNT') return Math.max(1, Math.floor(value));
  const share = Math.ceil((value / 100) * desiredCount);
  if (type === 'UNBOUNDED_PERCENT') return Math.max(1, share);
  return Math.min(BOUNDED_MAX, Math.max(BOUNDED_MIN, share));
};

export const breakerTrips = (failedTasks: number, desiredCount: number, config: CircuitBreakerConfig): boolean =>
  config.enable && failedTasks >= failureThreshold(desiredCount, config);
