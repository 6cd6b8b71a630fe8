// The deployment circuit breaker's failure threshold, as ECS computes it (ECS-FACTS.md,
// "Deployment circuit breaker"): the sandbox trips on it and the harness predicts with it.

export interface ThresholdConfiguration {
  type: 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT' | 'COUNT' | (string & {});
  value: number;
}

const BOUNDED_MIN = 3;
const BOUNDED_MAX = 200;

/** How many failed tasks trip the breaker for a deployment of `desiredCount` tasks. */
export const failureThreshold = (desiredCount: number, config: { thresholdConfiguration?: ThresholdConfiguration }): number => {
  const { type, value } = config.thresholdConfiguration ?? { type: 'BOUNDED_PERCENT', value: 50 };
  if (type === 'COUNT') return Math.max(1, Math.floor(value));
  const share = Math.ceil((value / 100) * desiredCount);
  if (type === 'UNBOUNDED_PERCENT') return Math.max(1, share);
  return Math.min(BOUNDED_MAX, Math.max(BOUNDED_MIN, share));
};
