// ECS's service-deployment records: what ListServiceDeployments and DescribeServiceDeployments
// report. The controller moves deployments[]; these functions keep the record of each one in step,
// and decide what its deployment alarms say. Pure: records in, records changed, nothing else.

import { rollout } from './messages.ts';
import type { Deployment, DeploymentConfiguration, Millis, MonitorStatus, ServiceDeployment, ServiceDeploymentStatus } from './model.ts';
import type { AlarmStates } from './ports.ts';

const TERMINAL: ReadonlySet<ServiceDeploymentStatus> = new Set(['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

export const isFinished = (record: ServiceDeployment): boolean => TERMINAL.has(record.status);

const alarmsEnabled = (dc: DeploymentConfiguration): boolean => dc.alarms?.enable === true && dc.alarms.alarmNames.length > 0;

export const newServiceDeployment = (args: {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  deployment: Deployment;
  sourceServiceRevisionArns: string[];
  deploymentConfiguration: DeploymentConfiguration;
  breakerThreshold: number;
  now: Millis;
}): ServiceDeployment => {
  const dc = args.deploymentConfiguration;
  return {
    serviceDeploymentArn: args.arn,
    serviceArn: args.serviceArn,
    clusterArn: args.clusterArn,
    deploymentId: args.deployment.id,
    createdAt: args.now,
    startedAt: args.now,
    updatedAt: args.now,
    sourceServiceRevisionArns: args.sourceServiceRevisionArns,
    targetServiceRevisionArn: args.deployment.serviceRevisionArn,
    status: 'IN_PROGRESS',
    // A snapshot: a later UpdateService changes the service, not what this deployment ran under.
    deploymentConfiguration: structuredClone(dc),
    circuitBreaker: { status: dc.deploymentCircuitBreaker.enable ? 'MONITORING' : 'DISABLED', threshold: args.breakerThreshold },
    alarms: {
      status: alarmsEnabled(dc) ? 'MONITORING' : 'DISABLED',
      alarmNames: [...(dc.alarms?.alarmNames ?? [])],
      triggeredAlarmNames: [],
    },
  };
};

const endMonitors = (record: ServiceDeployment, now: Millis): void => {
  const done = (s: MonitorStatus): MonitorStatus => (s === 'MONITORING' ? 'MONITORING_COMPLETE' : s);
  record.circuitBreaker.status = done(record.circuitBreaker.status);
  record.alarms.status = done(record.alarms.status);
  record.updatedAt = now;
};

/** A new deployment took over before this one finished: ECS stops it where it is. */
export const supersede = (record: ServiceDeployment, now: Millis): void => {
  if (isFinished(record)) return;
  endMonitors(record, now);
  record.status = 'STOPPED';
  record.statusReason = rollout.superseded();
  record.stoppedAt = now;
  record.finishedAt = now;
};

/** The deployment's tasks are steady and its bake time (if any) has passed. */
export const succeed = (record: ServiceDeployment, now: Millis): void => {
  if (isFinished(record)) return;
  endMonitors(record, now);
  record.bakeUntil = undefined;
  record.status = record.status === 'ROLLBACK_IN_PROGRESS' ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL';
  record.finishedAt = now;
};

export type FailureCause = { kind: 'circuit-breaker' } | { kind: 'alarm'; alarmNames: string[] } | { kind: 'stop-deployment' };

/**
 * The deployment failed. Rolling back to `target` (a revision ECS returns to), or, with none,
 * stopped (rollback off) or ROLLBACK_FAILED (rollback on, nothing COMPLETED to return to).
 */
export const fail = (record: ServiceDeployment, cause: FailureCause, outcome: { rollback: boolean; targetRevisionArn?: string }, now: Millis): void => {
  if (isFinished(record)) return;
  const reason = rollout.failureReason(cause);
  if (record.status === 'ROLLBACK_IN_PROGRESS') {
    // The deployment ECS returned to failed as well: the rollback failed.
    record.status = 'ROLLBACK_FAILED';
    record.statusReason = reason;
    record.stoppedAt = now;
    record.finishedAt = now;
    record.updatedAt = now;
    return;
  }
  if (cause.kind === 'circuit-breaker') record.circuitBreaker.status = 'TRIGGERED';
  if (cause.kind === 'alarm') {
    record.alarms.status = 'TRIGGERED';
    record.alarms.triggeredAlarmNames = [...cause.alarmNames];
  }
  endMonitors(record, now);
  record.bakeUntil = undefined;
  record.statusReason = reason;
  if (outcome.targetRevisionArn) {
    record.status = 'ROLLBACK_IN_PROGRESS';
    record.rollback = { reason, startedAt: now, serviceRevisionArn: outcome.targetRevisionArn };
    return;
  }
  record.status = outcome.rollback ? 'ROLLBACK_FAILED' : 'STOPPED';
  if (outcome.rollback) record.statusReason = `${reason} ${rollout.nothingToRollBackTo()}`;
  record.stoppedAt = now;
  record.finishedAt = now;
};

/** StopServiceDeployment ROLLBACK: ECS marks the request, and the scheduler acts on it. */
export const requestRollback = (record: ServiceDeployment, now: Millis): void => {
  record.status = 'ROLLBACK_REQUESTED';
  record.updatedAt = now;
};

/**
 * The deployment alarms that fail this deployment now: listed alarms in ALARM that went there
 * after the deployment started. One already in ALARM when it started is ignored, as ECS does,
 * until it leaves ALARM and comes back.
 */
export const triggeredAlarms = (record: ServiceDeployment, alarms: AlarmStates): string[] => {
  if (record.alarms.status !== 'MONITORING' || record.status !== 'IN_PROGRESS') return [];
  return record.alarms.alarmNames.filter((name) => {
    const alarm = alarms.alarm(name);
    return alarm !== undefined && alarm.state === 'ALARM' && alarm.updatedAt > record.createdAt;
  });
};

/**
 * How long ECS bakes a rolling deployment that has deployment alarms, in ECS seconds. ECS computes
 * it from the alarms' configuration and does not say how; the sandbox takes the longest time an
 * alarm needs to see its whole evaluation window (period x evaluation periods), so an alarm can
 * fire on datapoints that are all from the new release.
 */
export const bakeSeconds = (record: ServiceDeployment, alarms: AlarmStates): number => {
  // A service's first deployment has nothing to roll back to, so there is nothing to bake for.
  if (record.alarms.status !== 'MONITORING' || record.sourceServiceRevisionArns.length === 0) return 0;
  return Math.max(0, ...record.alarms.alarmNames.map((name) => {
    const alarm = alarms.alarm(name);
    return alarm ? alarm.periodSeconds * alarm.evaluationPeriods : 0;
  }));
};
