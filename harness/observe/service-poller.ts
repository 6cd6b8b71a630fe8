// The service poller: watches one ECS service the way an operator would, with DescribeServices
// plus the service's stopped tasks, and appends what it sees to the timeline. Each observation
// carries a full deployments snapshot and only what is new since the last poll (events, stopped
// tasks), so the timeline holds every ECS event and every task stop reason exactly once. The
// first poll reports everything ECS still lists (its recent events and stopped tasks): history
// from before the drill, which measurements ignore because it predates inject.

import type { Deployment, Service, ServiceDeployment, Task } from '@aws-sdk/client-ecs';
import type { Driver } from '../ecs/driver.ts';
import type { DeploymentSnapshot, ServiceDeploymentSnapshot, ServiceObservation, StoppedTaskSnapshot, Timeline } from './timeline.ts';

export interface ServicePollerOptions {
  driver: Driver;
  cluster: string;
  service: string;
  intervalMs: number;
  timeline: Timeline;
  clock: { now(): number };
  /** A failed poll (throttling, a network blip) is reported here and the poller keeps going. */
  onError?: (error: unknown) => void;
}

export interface ServicePoller {
  /** Stops polling; resolves once a poll in flight has finished. Nothing is added afterwards. */
  stop(): Promise<void>;
  /** Polls now, after any poll in flight; rejects with the poll's error. */
  pollNow(): Promise<void>;
}

const deploymentSnapshot = (d: Deployment): DeploymentSnapshot => ({
  id: d.id ?? '',
  status: d.status ?? '',
  taskDefinition: d.taskDefinition ?? '',
  rolloutState: d.rolloutState,
  rolloutStateReason: d.rolloutStateReason,
  desiredCount: d.desiredCount ?? 0,
  runningCount: d.runningCount ?? 0,
  pendingCount: d.pendingCount ?? 0,
  failedTasks: d.failedTasks ?? 0,
});

const serviceDeploymentSnapshot = (d: ServiceDeployment): ServiceDeploymentSnapshot => ({
  arn: d.serviceDeploymentArn ?? '',
  status: d.status ?? '',
  statusReason: d.statusReason,
  targetServiceRevisionArn: d.targetServiceRevision?.arn,
  createdAt: d.createdAt?.getTime(),
  finishedAt: d.finishedAt?.getTime(),
  rollback: d.rollback && { reason: d.rollback.reason, startedAt: d.rollback.startedAt?.getTime(), serviceRevisionArn: d.rollback.serviceRevisionArn },
  circuitBreaker: d.deploymentCircuitBreaker && { ...d.deploymentCircuitBreaker },
  alarms: d.alarms && { status: d.alarms.status, alarmNames: [...(d.alarms.alarmNames ?? [])], triggeredAlarmNames: [...(d.alarms.triggeredAlarmNames ?? [])] },
});

/** Service deployments created this long before the poller started are still watched: the one in progress when a drill begins. */
const SERVICE_DEPLOYMENT_LOOKBACK_MS = 60 * 60 * 1000;

const stoppedTaskSnapshot = (task: Task): StoppedTaskSnapshot => ({
  taskArn: task.taskArn ?? '',
  taskDefinitionArn: task.taskDefinitionArn ?? '',
  startedBy: task.startedBy,
  stopCode: task.stopCode,
  stoppedReason: task.stoppedReason,
  stoppedAt: task.stoppedAt?.getTime(),
  exitCodes: Object.fromEntries((task.containers ?? []).map((c) => [c.name ?? '', c.exitCode ?? null])),
});

export const startServicePoller = (options: ServicePollerOptions): ServicePoller => {
  const { driver, cluster, service, timeline, clock } = options;
  const seenEvents = new Set<string>();
  const seenStopped = new Set<string>();
  const since = new Date(clock.now() - SERVICE_DEPLOYMENT_LOOKBACK_MS);
  // Until the endpoint shows it lacks the service-deployments API; then deployments[] alone.
  let serviceDeploymentsApi = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Polls run one after another on this chain, whether the timer or pollNow started them.
  let chain: Promise<unknown> = Promise.resolve();

  /** Tasks not reported yet that have finished stopping; a task still STOPPING is looked at again next poll. */
  const newStoppedTasks = async (): Promise<StoppedTaskSnapshot[]> => {
    const found = await driver.stoppedTasks(cluster, service, seenStopped);
    found.sort((a, b) => (a.stoppedAt?.getTime() ?? 0) - (b.stoppedAt?.getTime() ?? 0));
    return found.map(stoppedTaskSnapshot);
  };

  const newEvents = (current: Service): ServiceObservation['newEvents'] =>
    // ECS lists events newest first; reversing before the stable sort keeps ECS's order for equal timestamps.
    [...(current.events ?? [])]
      .reverse()
      .filter((e) => e.id !== undefined && !seenEvents.has(e.id))
      .map((e) => ({ id: e.id!, createdAt: e.createdAt?.getTime() ?? 0, message: e.message ?? '' }))
      .sort((a, b) => a.createdAt - b.createdAt);

  const poll = async (): Promise<void> => {
    const current = await driver.describeService(cluster, service);
    // The state DescribeServices describes held when it answered.
    const t = clock.now();
    const events = newEvents(current);
    const stoppedTasks = await newStoppedTasks();
    const records = serviceDeploymentsApi ? await driver.serviceDeployments(cluster, service, since) : undefined;
    if (records === undefined) serviceDeploymentsApi = false;
    // Marked as seen only once the whole poll succeeded, so a failed poll loses nothing.
    for (const e of events) seenEvents.add(e.id);
    for (const task of stoppedTasks) seenStopped.add(task.taskArn);
    timeline.add({
      t,
      source: 'service',
      taskDefinition: current.taskDefinition ?? '',
      desiredCount: current.desiredCount ?? 0,
      runningCount: current.runningCount ?? 0,
      pendingCount: current.pendingCount ?? 0,
      deployments: (current.deployments ?? []).map(deploymentSnapshot),
      newEvents: events,
      newStoppedTasks: stoppedTasks,
      ...(records ? { serviceDeployments: records.map(serviceDeploymentSnapshot) } : {}),
    });
  };

  const enqueue = (): Promise<void> => {
    const run = chain.then(() => (stopped ? undefined : poll()));
    chain = run.catch(() => undefined);
    return run;
  };

  const tick = async (): Promise<void> => {
    try {
      await enqueue();
    } catch (error) {
      options.onError?.(error);
    }
    // Chained rather than setInterval: a slow poll delays the next one instead of stacking up.
    if (!stopped) timer = setTimeout(tick, options.intervalMs);
  };

  void tick();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await chain;
    },
    pollNow: async () => {
      if (stopped) throw new Error(`the poller for ${service} is stopped`);
      await enqueue();
    },
  };
};
