// The demo service's deployment settings as the deployment math reads them, at ECS's real
// timings: what `firedrill sandbox start --demo` deploys, with 30 s of task provisioning.

import type { ServiceTiming } from '../../harness/analysis/deployment-time.ts';

export const demoServiceTiming = (more: Partial<ServiceTiming> = {}): ServiceTiming => ({
  desiredCount: 2,
  maximumPercent: 200,
  minimumHealthyPercent: 100,
  healthCheckGracePeriodSeconds: 60,
  circuitBreaker: { enable: true, rollback: true },
  targetGroups: [{ name: 'demo-web', intervalSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 2, deregistrationDelaySeconds: 20 }],
  containerHealthCheck: { intervalSeconds: 5, retries: 2, startPeriodSeconds: 30 },
  stopTimeoutSeconds: 30,
  provisioningMs: 30_000,
  provisioningSource: '30.0 s, measured on 2 running tasks',
  scale: 1,
  ...more,
});
