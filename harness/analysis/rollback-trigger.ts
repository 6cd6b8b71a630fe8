// What triggered a drill's rollback, judged from ECS's own record: the service deployment of the
// bad release (its circuit-breaker and alarm monitors, its rollback), or, where the endpoint has
// no service-deployments API, the rolloutStateReason ECS wrote on the failed deployment. firedrill
// only counts as the trigger when it started the rollback and ECS records none of its own.

import type { ServiceDeploymentSnapshot, ServiceObservation } from '../observe/timeline.ts';

export type RollbackTrigger =
  | { kind: 'circuit-breaker'; from: RecordSource }
  | { kind: 'alarm'; alarmNames: string[]; from: RecordSource }
  | { kind: 'stop-deployment'; from: RecordSource }
  | { kind: 'firedrill'; from: 'firedrill' };

/** Where the judgement came from: ECS's service deployments, or its deployments[] alone. */
export type RecordSource = 'service-deployments' | 'deployments';

const ROLLED_BACK = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

const fromRecord = (record: ServiceDeploymentSnapshot): RollbackTrigger => {
  if (record.alarms?.status === 'TRIGGERED') return { kind: 'alarm', alarmNames: record.alarms.triggeredAlarmNames, from: 'service-deployments' };
  if (record.circuitBreaker?.status === 'TRIGGERED') return { kind: 'circuit-breaker', from: 'service-deployments' };
  // A rollback that neither monitor triggered was asked for: StopServiceDeployment ROLLBACK.
  return { kind: 'stop-deployment', from: 'service-deployments' };
};

/** The sandbox's and ECS's rolloutStateReason on a failed deployment ("ECS deployment circuit breaker: ..."). */
const fromReason = (reason: string): RollbackTrigger | undefined => {
  if (/circuit breaker/i.test(reason)) return { kind: 'circuit-breaker', from: 'deployments' };
  const alarms = /alarm\(s\) (.+?) in ALARM state/.exec(reason);
  if (alarms) return { kind: 'alarm', alarmNames: alarms[1]!.split(', '), from: 'deployments' };
  if (/rollback requested/i.test(reason)) return { kind: 'stop-deployment', from: 'deployments' };
  return undefined;
};

/**
 * `services`: the drill window's polls; `since`: inject; `firedrillStarted`: firedrill triggered a
 * rollback of its own (its deploy or rollback command, or the gate's StopServiceDeployment).
 */
export const rollbackTrigger = (services: readonly ServiceObservation[], since: number, firedrillStarted: boolean): RollbackTrigger | undefined => {
  // The newest poll's view of each service deployment created in the window.
  const latest = [...services].reverse().find((o) => o.serviceDeployments !== undefined)?.serviceDeployments;
  const record = latest?.find((d) => (d.createdAt ?? 0) >= since && ROLLED_BACK.has(d.status));
  if (record) return fromRecord(record);
  if (latest === undefined) {
    for (const o of services) {
      for (const d of o.deployments) {
        const found = d.rolloutState === 'FAILED' ? fromReason(d.rolloutStateReason ?? '') : undefined;
        if (found) return found;
      }
    }
  }
  return firedrillStarted ? { kind: 'firedrill', from: 'firedrill' } : undefined;
};
