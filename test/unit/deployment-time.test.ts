// The deployment math against the figures ECS's settings imply, and validate's prediction and
// refusal built on it. The demo service at ECS's real timings took 71 s per rolling update and
// 60 s to trip its breaker on a missing image in the sandbox (npm run bench -- --only validate).

import { describe, expect, it } from 'vitest';
import { breakerRollback, breakerTrip, rollingUpdate, waves, worstCaseRollback } from '../../harness/analysis/deployment-time.ts';
import { failureModeOf, predictValidation } from '../../harness/analysis/validation-time.ts';
import { builtInCatchScenario, refusalText } from '../../harness/run/validate.ts';
import { demoServiceTiming } from '../support/service-timing.ts';

const demo = demoServiceTiming;

const cost = (e: { costs: Array<{ setting: string; ms: number }> }, setting: RegExp) => e.costs.find((c) => setting.test(c.setting))?.ms;

describe('a rolling update', () => {
  it('is one wave of provisioning, the target group passing the task, and the old task draining', () => {
    const e = rollingUpdate(demo());
    expect(cost(e, /^task provisioning/)).toBe(30_000);
    expect(cost(e, /healthyThreshold x interval \(2 x 10 s\)/)).toBe(20_000);
    expect(cost(e, /deregistration delay \(20 s\)/)).toBe(20_000);
    expect(e.ms).toBe(72_000);
    expect(e.notes).toBeUndefined();
  });

  it('takes more waves when maximumPercent leaves less room, and cannot progress with none', () => {
    expect(waves(demo({ desiredCount: 4, maximumPercent: 150 }))).toEqual({ perWave: 2, waves: 2 });
    // No room above 100 %: minimumHealthyPercent 50 lets it stop half first.
    expect(waves(demo({ desiredCount: 4, maximumPercent: 100, minimumHealthyPercent: 50 }))).toEqual({ perWave: 2, waves: 2 });
    const twice = rollingUpdate(demo({ desiredCount: 4, maximumPercent: 150 }));
    expect(twice.ms).toBe(2 * 72_000);
    expect(twice.notes?.[0]).toMatch(/4 tasks in 2 waves of 2/);
    expect(rollingUpdate(demo({ maximumPercent: 100, minimumHealthyPercent: 100 })).ms).toBe(Number.POSITIVE_INFINITY);
  });

  it('waits 40 s for a task with no health checks at all, and scales ECS seconds but not measured provisioning', () => {
    expect(cost(rollingUpdate(demo({ targetGroups: [], containerHealthCheck: undefined })), /no health checks/)).toBe(40_000);
    const fast = rollingUpdate(demo({ scale: 0.05, provisioningMs: 1_000 }));
    expect(fast.ms).toBe(1_000 + 0.05 * (20_000 + 20_000 + 2_000));
  });
});

describe('the circuit breaker', () => {
  it('trips on a release that fails to start after threshold failures, as many at a time as a wave starts', () => {
    const e = breakerTrip(demo(), 'fails-to-start');
    // Threshold 3 for 2 tasks, 2 failing at a time: 2 rounds of provisioning.
    expect(e.ms).toBe(60_000);
    expect(e.notes?.[0]).toMatch(/trips at 3 failed tasks; 2 fail at a time, so 2 rounds/);
    // The candidate's tasks never stopped (minimumHealthyPercent 100): the rollback only waits for the failed ones to stop.
    expect(breakerRollback(demo(), 'fails-to-start').ms).toBe(2_000);
  });

  it('counts the grace period for a release that fails its health checks, and drains its tasks on the way back', () => {
    const e = breakerTrip(demo(), 'fails-health-checks');
    expect(cost(e, /healthCheckGracePeriodSeconds \(60 s\)/)).toBe(2 * 60_000);
    expect(cost(breakerRollback(demo(), 'fails-health-checks'), /deregistration delay/)).toBe(20_000);
    // Below 100 % minimum healthy, old tasks were stopped: the way back starts new ones.
    expect(cost(breakerRollback(demo({ minimumHealthyPercent: 50, maximumPercent: 100 }), 'fails-to-start'), /^task provisioning/)).toBe(30_000);
  });

  it('gives no worst case without a breaker that rolls back', () => {
    // Two rounds of tasks failing after the 60 s grace period, their draining, and one that holds out to its 30 s stop timeout.
    expect(worstCaseRollback(demo())?.ms).toBe(2 * (30_000 + 60_000) + 22_000 + 28_000);
    expect(worstCaseRollback(demo({ circuitBreaker: { enable: true, rollback: false } }))).toBeUndefined();
    expect(breakerTrip(demo({ circuitBreaker: undefined }), 'fails-to-start').ms).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("validate's prediction", () => {
  const harness = { probeIntervalMs: 500, pollIntervalMs: 500 };
  const scenario = builtInCatchScenario('demo').scenario;

  it('is the three deployments, each predicted from the settings, summed', () => {
    const p = predictValidation(demo(), scenario, harness);
    expect(p.steps.map((s) => s.name)).toEqual(['deploy-candidate', 'failing-release-caught', 'rollback-to-current']);
    expect(p.steps[0]!.estimate.ms).toBe(72_500);
    expect(p.steps[2]!.estimate.ms).toBe(72_500);
    // The drill: firedrill's probes, stable window and smoke checks, the breaker's 60 s, the failed tasks stopping.
    expect(p.steps[1]!.estimate.ms).toBe(1_500 + 3_000 + 3_000 + 3_000 + 60_000 + 2_000 + 500);
    expect(p.ms).toBe(p.steps.reduce((sum, s) => sum + s.estimate.ms, 0));
    expect(p.ms).toBeLessThan(300_000);
    // Costliest first, merged across the steps.
    expect(p.costs[0]).toEqual({ setting: 'task provisioning (30.0 s, measured on 2 running tasks)', ms: 4 * 30_000 });
    expect([...p.costs].sort((a, b) => b.ms - a.ms)).toEqual(p.costs);
  });

  it('refuses a service whose settings cannot fit, naming the setting that costs most', () => {
    // ELB's defaults: 5 checks 30 s apart, 300 s of draining.
    const slow = demo({ targetGroups: [{ name: 'web', intervalSeconds: 30, healthyThreshold: 5, unhealthyThreshold: 2, deregistrationDelaySeconds: 300 }] });
    const p = predictValidation(slow, scenario, harness);
    expect(p.ms).toBeGreaterThan(300_000);
    const text = refusalText(p, 300_000);
    expect(text).toMatch(/validation would take about \d+ s on this service, over the 300 s budget/);
    expect(text.split('\n')[1]).toMatch(/^\s+600 s\s+target group web deregistration delay \(300 s\)$/);
    expect(text).toMatch(/healthyThreshold x interval \(5 x 30 s\)/);
    expect(text).toMatch(/Nothing was touched/);
  });

  it('tells the release kinds ECS sees fail from those only a gate sees', () => {
    expect(failureModeOf('missing-image-tag')).toBe('fails-to-start');
    expect(failureModeOf('wrong-container-port')).toBe('fails-health-checks');
    expect(failureModeOf('http-errors')).toBeUndefined();
    // A gate-caught release with a redeploy: at worst the bad release rolls out and the previous one rolls back in.
    const redeploy = { ...scenario, release: { kind: 'http-errors' as const, tag: 'v1.1.0', environment: {} }, rollback: { path: 'redeploy-previous' as const } };
    const p = predictValidation(demo(), redeploy as typeof scenario, harness);
    expect(p.steps[1]!.estimate.ms).toBeGreaterThan(2 * 72_000);
  });
});
