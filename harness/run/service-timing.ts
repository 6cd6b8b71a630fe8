// The settings the deployment math predicts with, read from the service itself: its deployment
// configuration and grace period (DescribeServices), its target groups' health checks and
// deregistration delays (ELBv2), the essential container's health check and stop timeout (the
// task definition), and how long its running tasks took to provision (DescribeTasks). Read-only.

import type { Service } from '@aws-sdk/client-ecs';
import type { ServiceTiming } from '../analysis/deployment-time.ts';
import type { Environment } from '../config/environment.ts';
import type { Driver, ReadOptions } from '../ecs/driver.ts';
import { essentialContainer, type TaskDefinitionInput } from '../releases/task-definition.ts';
import { median } from '../../lib/stats.ts';

/** What Fargate takes to place a task and pull a small image, when no running task says. */
const ASSUMED_PROVISIONING_MS = 60_000;

const epochMs = (d: Date | undefined) => (d ? d.getTime() : undefined);

/** ECS's threshold setting, when it says both what kind and how much. */
const thresholdOf = (t: { type?: string; value?: number } | undefined) => (t?.type && t.value !== undefined ? { type: t.type, value: t.value } : undefined);

export const readServiceTiming = async (driver: Driver, env: Environment, service: Service, taskDefinition: TaskDefinitionInput, call: ReadOptions = {}): Promise<ServiceTiming> => {
  const serviceName = service.serviceName ?? '';
  const sandbox = env.kind === 'sandbox' ? await driver.sandboxTiming() : undefined;
  const scale = sandbox?.scale ?? 1;
  const tasks = await driver.runningTasks(env.cluster, serviceName, call).catch(() => []);
  const provisions = tasks
    .map((t) => {
      const created = epochMs(t.createdAt);
      const started = epochMs(t.startedAt);
      return created !== undefined && started !== undefined ? started - created : undefined;
    })
    .filter((ms): ms is number => ms !== undefined && ms >= 0);
  const measured = provisions.length > 0 ? median(provisions) : undefined;
  const provisioningMs = measured ?? (sandbox ? sandbox.provisionSeconds * 1000 * scale : ASSUMED_PROVISIONING_MS);
  const provisioningSource =
    measured !== undefined
      ? `${(measured / 1000).toFixed(1)} s, measured on ${provisions.length} running task${provisions.length === 1 ? '' : 's'}`
      : sandbox
        ? `${(provisioningMs / 1000).toFixed(1)} s, the sandbox's timing profile`
        : `${ASSUMED_PROVISIONING_MS / 1000} s, assumed: no running task to measure`;
  const arns = (service.loadBalancers ?? []).map((lb) => lb.targetGroupArn).filter((a): a is string => !!a);
  const targetGroups = await driver.targetGroups(arns, call);
  const container = essentialContainer(taskDefinition);
  const hc = container?.healthCheck;
  const config = service.deploymentConfiguration;
  return {
    desiredCount: service.desiredCount ?? 1,
    maximumPercent: config?.maximumPercent ?? 200,
    minimumHealthyPercent: config?.minimumHealthyPercent ?? 100,
    healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds ?? 0,
    circuitBreaker: config?.deploymentCircuitBreaker
      ? {
          enable: config.deploymentCircuitBreaker.enable ?? false,
          rollback: config.deploymentCircuitBreaker.rollback ?? false,
          thresholdConfiguration: thresholdOf(config.deploymentCircuitBreaker.thresholdConfiguration),
        }
      : undefined,
    targetGroups: targetGroups.map((tg) => ({ name: tg.name, intervalSeconds: tg.intervalSeconds, healthyThreshold: tg.healthyThreshold, unhealthyThreshold: tg.unhealthyThreshold, deregistrationDelaySeconds: tg.deregistrationDelaySeconds })),
    containerHealthCheck: hc?.command?.length ? { intervalSeconds: hc.interval ?? 30, retries: hc.retries ?? 3, startPeriodSeconds: hc.startPeriod ?? 0 } : undefined,
    stopTimeoutSeconds: container?.stopTimeout ?? 30,
    provisioningMs,
    provisioningSource,
    scale,
  };
};
