// What triggered a rollback, judged from ECS's record: each kind from service deployments, the
// fallback to deployments[] reasons where the API is missing, and firedrill only as a last word.

import { describe, expect, it } from 'vitest';
import { rollbackTrigger } from '../../harness/analysis/rollback-trigger.ts';
import type { DeploymentSnapshot, ServiceDeploymentSnapshot, ServiceObservation } from '../../harness/observe/timeline.ts';

const INJECT = 10_000;
const poll = (t: number, more: { records?: ServiceDeploymentSnapshot[]; deployments?: DeploymentSnapshot[] } = {}): ServiceObservation => ({
  t,
  source: 'service',
  taskDefinition: 'td:1',
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  deployments: more.deployments ?? [],
  newEvents: [],
  newStoppedTasks: [],
  ...(more.records ? { serviceDeployments: more.records } : {}),
});
const record = (status: string, more: Partial<ServiceDeploymentSnapshot> = {}): ServiceDeploymentSnapshot => ({
  arn: `sd/${status}`,
  status,
  createdAt: INJECT + 100,
  circuitBreaker: { status: 'MONITORING' },
  alarms: { status: 'DISABLED', alarmNames: [], triggeredAlarmNames: [] },
  ...more,
});
const failed = (reason: string): DeploymentSnapshot => ({ id: 'ecs-svc/2', status: 'ACTIVE', taskDefinition: 'td:2', rolloutState: 'FAILED', rolloutStateReason: reason, desiredCount: 2, runningCount: 0, pendingCount: 0, failedTasks: 3 });

describe('rollbackTrigger', () => {
  it('names the alarm when the bad release\'s service deployment has its alarms TRIGGERED', () => {
    const records = [record('ROLLBACK_SUCCESSFUL', { alarms: { status: 'TRIGGERED', alarmNames: ['a', 'b'], triggeredAlarmNames: ['b'] } }), record('SUCCESSFUL', { createdAt: 1 })];
    expect(rollbackTrigger([poll(INJECT + 1, { records: [] }), poll(INJECT + 900, { records })], INJECT, false)).toEqual({ kind: 'alarm', alarmNames: ['b'], from: 'service-deployments' });
  });

  it('the circuit breaker, and a rollback neither monitor triggered as StopServiceDeployment, even when firedrill asked for it', () => {
    expect(rollbackTrigger([poll(INJECT + 900, { records: [record('ROLLBACK_IN_PROGRESS', { circuitBreaker: { status: 'TRIGGERED' } })] })], INJECT, false)).toEqual({ kind: 'circuit-breaker', from: 'service-deployments' });
    expect(rollbackTrigger([poll(INJECT + 900, { records: [record('ROLLBACK_REQUESTED')] })], INJECT, true)).toEqual({ kind: 'stop-deployment', from: 'service-deployments' });
  });

  it('ignores deployments from before inject, and says firedrill only when ECS records no rollback', () => {
    const old = record('ROLLBACK_SUCCESSFUL', { createdAt: INJECT - 1, circuitBreaker: { status: 'TRIGGERED' } });
    expect(rollbackTrigger([poll(INJECT + 900, { records: [record('SUCCESSFUL'), old] })], INJECT, true)).toEqual({ kind: 'firedrill', from: 'firedrill' });
    expect(rollbackTrigger([poll(INJECT + 900, { records: [old] })], INJECT, false)).toBeUndefined();
  });

  it('without the service-deployments API, reads the failed deployment\'s rolloutStateReason', () => {
    expect(rollbackTrigger([poll(INJECT + 900, { deployments: [failed('ECS deployment circuit breaker: tasks failed to start.')] })], INJECT, false)).toEqual({ kind: 'circuit-breaker', from: 'deployments' });
    expect(rollbackTrigger([poll(INJECT + 900, { deployments: [failed('ECS deployment alarms: alarm(s) web-5xx, web-p99 in ALARM state.')] })], INJECT, false)).toEqual({
      kind: 'alarm',
      alarmNames: ['web-5xx', 'web-p99'],
      from: 'deployments',
    });
    expect(rollbackTrigger([poll(INJECT + 900, { deployments: [failed('ECS deployment rollback requested: StopServiceDeployment ROLLBACK.')] })], INJECT, false)).toEqual({ kind: 'stop-deployment', from: 'deployments' });
    expect(rollbackTrigger([poll(INJECT + 900, { deployments: [failed('something else')] })], INJECT, true)).toEqual({ kind: 'firedrill', from: 'firedrill' });
  });
});
