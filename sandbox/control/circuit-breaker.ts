// The deployment circuit breaker (ECS-FACTS.md, "Deployment circuit breaker"). Its threshold is
// ECS's one formula in lib/, which the harness's predictions use too.

import { failureThreshold } from '../../lib/circuit-breaker-threshold.ts';
import type { CircuitBreakerConfig } from './model.ts';

export const breakerTrips = (failedTasks: number, desiredCount: number, config: CircuitBreakerConfig): boolean =>
  config.enable && failedTasks >= failureThreshold(desiredCount, config);
