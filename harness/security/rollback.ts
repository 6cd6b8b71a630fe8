// Whether ECS itself can roll the service back, and how long its settings let that take against
// the 10-minute recovery budget. Read from the service, with the deployment math.

import type { Service } from '@aws-sdk/client-ecs';
import { worstCaseRollback, type ServiceTiming } from '../analysis/deployment-time.ts';
import { seconds } from '../../lib/format.ts';
import { ROLLBACK_BUDGET_SECONDS } from '../config/environment.ts';
import type { Finding } from './findings.ts';

export const ROLLBACK_BUDGET_MS = ROLLBACK_BUDGET_SECONDS * 1000;

export const rollbackPath = (service: Pick<Service, 'deploymentConfiguration'>): Finding[] => {
  const config = service.deploymentConfiguration;
  const breaker = config?.deploymentCircuitBreaker;
  const alarms = config?.alarms;
  if ((breaker?.enable && breaker.rollback) || (alarms?.enable && alarms.rollback && (alarms.alarmNames?.length ?? 0) > 0)) return [];
  const why = breaker?.enable ? 'the circuit breaker is on without rollback' : 'the circuit breaker is off';
  return [
    {
      id: 'no-rollback-path',
      severity: 'high',
      title: `ECS has no automated rollback for this service: ${why}, and no deployment alarm rolls back`,
      location: { field: 'deploymentConfiguration.deploymentCircuitBreaker' },
      fix: 'set deploymentConfiguration.deploymentCircuitBreaker to {"enable": true, "rollback": true}, or deployment alarms with rollback: true',
    },
  ];
};

export const rollbackTime = (timing: ServiceTiming, budgetMs = ROLLBACK_BUDGET_MS): Finding[] => {
  const worst = worstCaseRollback(timing);
  if (!worst || worst.ms <= budgetMs) return [];
  const costliest = [...worst.costs].sort((a, b) => b.ms - a.ms).slice(0, 3);
  return [
    {
      id: 'rollback-over-budget',
      severity: 'high',
      title: `at worst a rollback by ECS takes about ${seconds(worst.ms, 0)}, over the ${seconds(budgetMs, 0)} budget; most of it: ${costliest.map((c) => `${c.setting} ${seconds(c.ms, 0)}`).join(', ')}`,
      location: { field: 'deploymentConfiguration' },
      fix: 'shorten what costs most: a lower deregistration delay (ELB keeps draining targets that long), fewer failed tasks to the breaker threshold, a shorter health-check grace period or interval',
    },
  ];
};
