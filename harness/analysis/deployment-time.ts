// The deployment math: how long ECS takes to roll a service out, to trip its circuit breaker on
// a failing release and to roll back, from the service's own settings. Pure: validate predicts
// its run with it before touching anything, and `firedrill check` judges the worst-case
// rollback against the 10-minute budget.
//
// Every estimate is a sum of costs, each named after the setting it comes from, so a refusal can
// say which setting costs how much. Settings are in ECS seconds; `scale` turns them into wall
// time (1 on AWS; the sandbox's timing profile elsewhere). Provisioning is wall time already:
// it is measured from the service's running tasks where they say (createdAt -> startedAt).
//
// The model follows a rolling update (ECS-FACTS.md, "Rolling update deployments"):
//   - a wave starts as many new tasks as maximumPercent leaves room for (or, with no room, stops
//     as many old ones as minimumHealthyPercent allows);
//   - a new task is healthy once the target group has seen healthyThreshold passing checks
//     (one every interval), and its container health check has passed once;
//   - each old task then drains for the deregistration delay before it stops;
//   - the circuit breaker trips after `threshold` failed tasks, failing as many at a time as a
//     wave starts.

import { failureThreshold, type ThresholdConfiguration } from '../../lib/circuit-breaker-threshold.ts';

export interface TargetGroupTiming {
  name?: string;
  intervalSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  deregistrationDelaySeconds: number;
}

export interface ContainerHealthTiming {
  intervalSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

export interface ServiceTiming {
  desiredCount: number;
  maximumPercent: number;
  minimumHealthyPercent: number;
  healthCheckGracePeriodSeconds: number;
  circuitBreaker?: { enable: boolean; rollback: boolean; thresholdConfiguration?: ThresholdConfiguration };
  /** The service's target groups (every one must pass a new task). */
  targetGroups: TargetGroupTiming[];
  /** The essential container's health check, when it has one. */
  containerHealthCheck?: ContainerHealthTiming;
  /** ECS seconds between SIGTERM and SIGKILL for the essential container (ECS: 30 by default). */
  stopTimeoutSeconds: number;
  /** Wall milliseconds from a task's creation to its containers' start. */
  provisioningMs: number;
  /** Where provisioningMs comes from: "measured on 2 running tasks", "assumed". */
  provisioningSource: string;
  /** Wall seconds per ECS second: 1 on AWS, the sandbox's timing scale on the sandbox. */
  scale: number;
}

/** One contribution to an estimate, named after the setting it comes from. */
export interface Cost {
  setting: string;
  ms: number;
}

export interface Estimate {
  ms: number;
  costs: Cost[];
  /** What multiplies the costs: "2 waves of 1 task", "threshold 3 failed tasks, 2 at a time". */
  notes?: string[];
}

/** How a failing release fails, as far as ECS's circuit breaker sees it. */
export type FailureMode = 'fails-to-start' | 'fails-health-checks';

/** ECS: a RUNNING task with no health checks counts as healthy after 40 s. */
const HEALTHY_WITHOUT_CHECKS_SECONDS = 40;
/** A task the scheduler stops after its SIGTERM: a well-behaved app exits within a couple of ECS seconds. */
const TASK_STOP_SECONDS = 2;

const sumCosts = (costs: Cost[], notes: string[] = []): Estimate => {
  const merged = new Map<string, number>();
  for (const c of costs) if (c.ms > 0) merged.set(c.setting, (merged.get(c.setting) ?? 0) + c.ms);
  const list = [...merged].map(([setting, ms]) => ({ setting, ms }));
  const unique = [...new Set(notes)];
  return { ms: list.reduce((sum, c) => sum + c.ms, 0), costs: list, ...(unique.length > 0 && { notes: unique }) };
};

/** Estimates added together, their costs merged by setting. */
export const addEstimates = (...estimates: Estimate[]): Estimate =>
  sumCosts(
    estimates.flatMap((e) => e.costs),
    estimates.flatMap((e) => e.notes ?? []),
  );

const wall = (t: ServiceTiming, ecsSeconds: number) => ecsSeconds * 1000 * t.scale;
const times = (n: number, cost: Cost): Cost => ({ setting: cost.setting, ms: n * cost.ms });

/** How many tasks one wave of a rolling update starts (or replaces), and how many waves the update takes. */
export const waves = (t: ServiceTiming): { perWave: number; waves: number } => {
  const n = Math.max(0, t.desiredCount);
  if (n === 0) return { perWave: 0, waves: 0 };
  const room = Math.floor((t.maximumPercent * n) / 100) - n;
  const stoppable = n - Math.ceil((t.minimumHealthyPercent * n) / 100);
  const perWave = Math.min(n, Math.max(room, stoppable, 0));
  if (perWave === 0) return { perWave: 0, waves: Number.POSITIVE_INFINITY };
  return { perWave, waves: Math.ceil(n / perWave) };
};

/** From a task's start until ECS counts it healthy. */
const becomingHealthy = (t: ServiceTiming): Cost[] => {
  const costs: Cost[] = [];
  const slowest = [...t.targetGroups].sort((a, b) => b.healthyThreshold * b.intervalSeconds - a.healthyThreshold * a.intervalSeconds)[0];
  const lb = slowest ? wall(t, slowest.healthyThreshold * slowest.intervalSeconds) : 0;
  const container = t.containerHealthCheck ? wall(t, t.containerHealthCheck.intervalSeconds) : 0;
  if (slowest && lb >= container) {
    costs.push({ setting: `target group${slowest.name ? ` ${slowest.name}` : ''} healthyThreshold x interval (${slowest.healthyThreshold} x ${slowest.intervalSeconds} s)`, ms: lb });
  } else if (t.containerHealthCheck) {
    costs.push({ setting: `container health check interval (${t.containerHealthCheck.intervalSeconds} s)`, ms: container });
  } else {
    costs.push({ setting: `no health checks: ECS waits ${HEALTHY_WITHOUT_CHECKS_SECONDS} s before it counts a task healthy`, ms: wall(t, HEALTHY_WITHOUT_CHECKS_SECONDS) });
  }
  return costs;
};

const provisioning = (t: ServiceTiming): Cost => ({ setting: `task provisioning (${t.provisioningSource})`, ms: t.provisioningMs });

const draining = (t: ServiceTiming): Cost[] => {
  const slowest = [...t.targetGroups].sort((a, b) => b.deregistrationDelaySeconds - a.deregistrationDelaySeconds)[0];
  const costs: Cost[] = [{ setting: 'stopping a task', ms: wall(t, TASK_STOP_SECONDS) }];
  if (slowest) costs.push({ setting: `target group${slowest.name ? ` ${slowest.name}` : ''} deregistration delay (${slowest.deregistrationDelaySeconds} s)`, ms: wall(t, slowest.deregistrationDelaySeconds) });
  return costs;
};

/** A rolling update to a healthy revision: UpdateService until the deployment is COMPLETED. */
export const rollingUpdate = (t: ServiceTiming): Estimate => {
  const { waves: n, perWave } = waves(t);
  if (!Number.isFinite(n)) return { ms: Number.POSITIVE_INFINITY, costs: [{ setting: `maximumPercent ${t.maximumPercent} with minimumHealthyPercent ${t.minimumHealthyPercent} leaves no room to replace a task`, ms: Number.POSITIVE_INFINITY }] };
  const wave = [provisioning(t), ...becomingHealthy(t), ...draining(t)];
  const notes = n > 1 ? [`maximumPercent ${t.maximumPercent} and minimumHealthyPercent ${t.minimumHealthyPercent} replace ${t.desiredCount} tasks in ${n} waves of ${perWave}`] : [];
  return sumCosts(
    wave.map((c) => times(n, c)),
    notes,
  );
};

/** One failing task, from its launch until the circuit breaker counts it. */
const failingTask = (t: ServiceTiming, mode: FailureMode): Cost[] => {
  if (mode === 'fails-to-start') return [provisioning(t)];
  const costs: Cost[] = [provisioning(t)];
  const slowest = [...t.targetGroups].sort((a, b) => b.unhealthyThreshold * b.intervalSeconds - a.unhealthyThreshold * a.intervalSeconds)[0];
  const lbFailure = slowest ? slowest.unhealthyThreshold * slowest.intervalSeconds : 0;
  const hc = t.containerHealthCheck;
  const containerFailure = hc ? hc.startPeriodSeconds + hc.retries * hc.intervalSeconds : 0;
  // ECS ignores load-balancer health during the grace period; the container check's start period is its own grace.
  const lb = Math.max(lbFailure, slowest ? t.healthCheckGracePeriodSeconds : 0);
  if (lb === 0 && containerFailure === 0) return costs;
  if (lb >= containerFailure) {
    costs.push(
      t.healthCheckGracePeriodSeconds >= lbFailure
        ? { setting: `healthCheckGracePeriodSeconds (${t.healthCheckGracePeriodSeconds} s)`, ms: wall(t, lb) }
        : { setting: `target group unhealthyThreshold x interval (${slowest!.unhealthyThreshold} x ${slowest!.intervalSeconds} s)`, ms: wall(t, lb) },
    );
  } else {
    costs.push({ setting: `container health check startPeriod + retries x interval (${hc!.startPeriodSeconds} + ${hc!.retries} x ${hc!.intervalSeconds} s)`, ms: wall(t, containerFailure) });
  }
  return costs;
};

/** The breaker's threshold for this service, or undefined when it is off. */
export const breakerThreshold = (t: ServiceTiming): number | undefined =>
  t.circuitBreaker?.enable ? failureThreshold(t.desiredCount, t.circuitBreaker) : undefined;

/** A failing release under the circuit breaker: from UpdateService until the breaker trips. */
export const breakerTrip = (t: ServiceTiming, mode: FailureMode): Estimate => {
  const threshold = breakerThreshold(t);
  if (threshold === undefined) return { ms: Number.POSITIVE_INFINITY, costs: [{ setting: 'the circuit breaker is off', ms: Number.POSITIVE_INFINITY }] };
  const { perWave } = waves(t);
  if (perWave === 0) return rollingUpdate(t);
  const rounds = Math.ceil(threshold / perWave);
  return sumCosts(
    failingTask(t, mode).map((c) => times(rounds, c)),
    [`the circuit breaker trips at ${threshold} failed tasks; ${perWave} fail at a time, so ${rounds} rounds of failing tasks`],
  );
};

/**
 * After the breaker trips with rollback: the last COMPLETED deployment becomes PRIMARY again.
 * With minimumHealthyPercent 100 its tasks never stopped, so it completes once the failed
 * tasks are gone (drained, when they had registered); otherwise it has tasks to start again.
 */
export const breakerRollback = (t: ServiceTiming, mode: FailureMode): Estimate => {
  // ECS keeps maximumPercent at or above minimumHealthyPercent, so at 100 % the failed tasks only ever started beside the old ones.
  const oldTasksKept = t.minimumHealthyPercent >= 100;
  const costs: Cost[] = mode === 'fails-health-checks' ? draining(t) : [{ setting: 'stopping a task', ms: wall(t, TASK_STOP_SECONDS) }];
  if (!oldTasksKept) costs.push(...[provisioning(t), ...becomingHealthy(t)]);
  return sumCosts(costs);
};

/**
 * The longest a rollback by ECS itself can take, from the bad deployment's start: a release
 * whose tasks start and then fail their health checks (the slowest failure the breaker counts),
 * then the return to the last COMPLETED deployment. Undefined when ECS would not roll back.
 */
export const worstCaseRollback = (t: ServiceTiming): Estimate | undefined => {
  if (!(t.circuitBreaker?.enable && t.circuitBreaker.rollback)) return undefined;
  // A failed task that ignores SIGTERM is killed only after its stop timeout, and the rollback completes once it has stopped.
  const ignoresSigterm: Cost = { setting: `a task that ignores SIGTERM: stopTimeout (${t.stopTimeoutSeconds} s)`, ms: wall(t, Math.max(0, t.stopTimeoutSeconds - TASK_STOP_SECONDS)) };
  return addEstimates(breakerTrip(t, 'fails-health-checks'), breakerRollback(t, 'fails-health-checks'), { ms: ignoresSigterm.ms, costs: [ignoresSigterm] });
};
