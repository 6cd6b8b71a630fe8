// Measurements, gate analysis and verdicts on hand-made timelines: every figure is worked out
// by hand from the story the timeline tells, so an off-by-one in a definition shows up here.

import { describe, expect, it } from 'vitest';
import { ecsFailureSignal, evaluateSignal, GateAnalyzer } from '../../harness/analysis/gate.ts';
import { measure, type Markers, type Measurements } from '../../harness/analysis/measurements.ts';
import { judge } from '../../harness/analysis/verdicts.ts';
import { expectationsSchema, gateSignalSchema, type GateSignal } from '../../harness/config/scenario.ts';
import type { ProbeObservation, ServiceObservation } from '../../harness/observe/timeline.ts';
import { BAD_TD, BASELINE_TD, deployment, steadyBaseline, stoppedTask, TimelineBuilder } from '../support/timeline-builder.ts';

const INJECT = 10_000;
const markers = (more: Partial<Markers> = {}): Markers => ({
  injectAt: INJECT,
  baselineTaskDefinition: BASELINE_TD,
  badTaskDefinition: BAD_TD,
  baselineVersion: 'v1.0.0',
  badVersion: 'v1.1.0',
  stableWindowMs: 3_000,
  ...more,
});

/** Bad PRIMARY and rolling out, the baseline still ACTIVE beside it. */
const badRollingOut = () => [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'IN_PROGRESS', 0), deployment('ecs-svc/1', BASELINE_TD, 'ACTIVE', 'COMPLETED')];

/**
 * A missing image tag caught by the circuit breaker. The poll at inject still shows the old
 * steady state; a bad task fails to start at 12 500; ECS rolls back at 14 000 and is steady on
 * the baseline from 15 000. The baseline serves every probe throughout.
 */
const circuitBreakerRollback = () =>
  new TimelineBuilder()
    .services(0, INJECT + 500, 500, steadyBaseline)
    .action(INJECT, 'update-service')
    .services(10_500, 12_500, 500, badRollingOut)
    .service(12_500, badRollingOut(), {
      stopped: [stoppedTask('arn:task/abc', { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: firedrill/demo-app:v9.9.9 not found' })],
    })
    .service(13_000, badRollingOut())
    .service(
      14_000,
      [
        deployment('ecs-svc/1', BASELINE_TD, 'PRIMARY', 'IN_PROGRESS', 2, { rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.' }),
        deployment('ecs-svc/2', BAD_TD, 'ACTIVE', 'FAILED', 0, { failedTasks: 3 }),
      ],
      { events: ['(service demo) (deployment ecs-svc/2) deployment failed: tasks failed to start.', '(service demo) rolling back to deployment ecs-svc/1.'] },
    )
    .services(15_000, 30_000, 500, steadyBaseline)
    .probes(0, 30_000, 500);

describe('measurements', () => {
  it('a clean circuit-breaker rollback: detected by ECS, rolled back by ECS, recovered when steady', () => {
    const m = measure(circuitBreakerRollback().build(), markers({ badVersion: 'v9.9.9' }));
    expect(m).toEqual<Measurements>({
      timeToDetectMs: 2_500,
      detectedBy: { source: 'ecs', detail: 'task abc of the bad release stopped: CannotPullContainerError: firedrill/demo-app:v9.9.9 not found' },
      timeToRollbackStartMs: 4_000,
      rollbackStartedBy: { source: 'ecs', detail: 'baseline deployment ecs-svc/1 is PRIMARY again: ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.' },
      // Steady on the baseline from 15 000; every probe since inject was good.
      timeToRecoverMs: 5_000,
      probesAfterInject: 40,
      answeredProbes: 40,
      badAnswers: 0,
      badTrafficShare: 0,
      failedProbes: { count: 0, share: 0 },
      badReleaseCompleted: false,
      badDeploymentEnd: 'FAILED',
      endsOnBaseline: true,
    });
  });

  it('a breaker rollback that fails and finishes between two polls still ends FAILED, on the event ECS wrote', () => {
    const timeline = new TimelineBuilder()
      .services(0, INJECT, 500, steadyBaseline)
      .action(INJECT, 'update-service')
      .service(10_500, [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'IN_PROGRESS'), deployment('ecs-svc/1', BASELINE_TD, 'ACTIVE', 'COMPLETED', 2)])
      // The next poll sees only the restored baseline: the FAILED state itself was never observed.
      .service(11_000, steadyBaseline(), { events: ['(service demo) (deployment ecs-svc/2) deployment failed: tasks failed to start.', '(service demo) rolling back to deployment ecs-svc/1.'] })
      .services(11_500, 30_000, 500, steadyBaseline)
      .probes(0, 30_000, 500)
      .build();
    expect(measure(timeline, markers({ badVersion: 'v9.9.9' })).badDeploymentEnd).toBe('FAILED');
    const withoutEvent = timeline.map((o) => (o.source === 'service' ? { ...o, newEvents: [] } : o));
    expect(measure(withoutEvent, markers({ badVersion: 'v9.9.9' })).badDeploymentEnd).toBe('replaced');
  });

  it('a bad deployment no poll saw (the poller was backing off) still ends FAILED on the event ECS wrote, never on the baseline\'s own', () => {
    const failedEvent = (id: string) => `(service demo) (deployment ${id}) deployment failed: tasks failed to start.`;
    const build = (events: string[]) =>
      new TimelineBuilder()
        .services(0, INJECT, 500, steadyBaseline)
        .action(INJECT, 'update-service')
        .service(12_000, steadyBaseline(), { events })
        .services(12_500, 30_000, 500, steadyBaseline)
        .probes(0, 30_000, 500)
        .build();
    expect(measure(build([failedEvent('ecs-svc/2'), '(service demo) rolling back to deployment ecs-svc/1.']), markers({ badVersion: 'v9.9.9' })).badDeploymentEnd).toBe('FAILED');
    expect(measure(build([failedEvent('ecs-svc/1')]), markers({ badVersion: 'v9.9.9' })).badDeploymentEnd).toBe('never-seen');
    expect(measure(build([]), markers({ badVersion: 'v9.9.9' })).badDeploymentEnd).toBe('never-seen');
  });

  it("the team's rollback command counts as firedrill starting the rollback", () => {
    const timeline = new TimelineBuilder()
      .services(0, INJECT, 500, steadyBaseline)
      .action(INJECT, 'update-service')
      .action(INJECT + 4_200, 'rollback-command', { exitCode: 0 })
      .services(INJECT + 500, 30_000, 500, steadyBaseline)
      .probes(0, 30_000, 500)
      .build();
    const m = measure(timeline, markers({ badVersion: 'v1.1.0' }));
    expect(m.timeToRollbackStartMs).toBe(4_200);
    expect(m.rollbackStartedBy?.source).toBe('firedrill');
  });

  it('a bad release that served some probes before a gate-triggered redeploy: share and failures counted exactly', () => {
    const timeline = new TimelineBuilder()
      .services(0, INJECT, 500, steadyBaseline)
      .action(INJECT, 'update-service')
      .services(10_500, 14_000, 500, badRollingOut)
      .service(14_000, [deployment('ecs-svc/3', BASELINE_TD, 'PRIMARY', 'IN_PROGRESS'), deployment('ecs-svc/2', BAD_TD, 'ACTIVE', 'IN_PROGRESS', 2)])
      .services(16_500, 40_000, 500, () => [deployment('ecs-svc/3', BASELINE_TD, 'PRIMARY', 'COMPLETED')])
      .probes(0, 12_000, 500)
      // The balancer alternates between the releases: the bad one answers 500 on 4 of these 8.
      .probes(12_000, 16_000, 500, (i) => (i % 2 === 0 ? { ok: false, status: 500, version: 'v1.1.0' } : {}))
      .probes(16_000, 40_000, 500)
      .gate(13_600, 'error-rate > 0.25 over 2 s', true, 0.5, 0.25)
      .action(13_700, 'rollback-triggered', { signal: 'error-rate > 0.25 over 2 s' })
      .build();
    const m = measure(timeline, markers());
    // 60 probes after inject (10 000 to 39 500), all answered, 4 by the bad release.
    expect(m).toMatchObject({ probesAfterInject: 60, answeredProbes: 60, badAnswers: 4, failedProbes: { count: 4, share: 4 / 60 } });
    expect(m.badTrafficShare).toBe(4 / 60);
    // The first failed probe started at 12 000 and came back 5 ms later, before the gate fired.
    expect(m.timeToDetectMs).toBe(2_005);
    expect(m.detectedBy).toEqual({ source: 'probe', detail: 'probe failed: HTTP 500' });
    expect(m.timeToRollbackStartMs).toBe(3_700);
    expect(m.rollbackStartedBy?.source).toBe('firedrill');
    // The last bad answer started at 15 000; the service is steady from 16 500, the later of the two.
    expect(m.timeToRecoverMs).toBe(6_500);
    expect(m.badDeploymentEnd).toBe('replaced');
    expect(m.badReleaseCompleted).toBe(false);
  });

  it('never recovered: the bad release completes, and the restore phase that follows does not count', () => {
    const timeline = new TimelineBuilder()
      .services(0, INJECT, 500, steadyBaseline)
      .services(10_500, 13_000, 500, badRollingOut)
      .services(13_000, 30_000, 500, () => [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'COMPLETED')])
      .probes(0, 12_000, 500)
      .probes(12_000, 30_000, 500, () => ({ version: 'v1.1.0' }))
      .phase(30_000, 'restore', 'start')
      .services(35_000, 45_000, 500, steadyBaseline)
      .probes(30_000, 45_000, 500)
      .build();
    const m = measure(timeline, markers());
    expect(m.timeToRecoverMs).toBeUndefined();
    expect(m.timeToDetectMs).toBeUndefined();
    expect(m.timeToRollbackStartMs).toBeUndefined();
    expect(m).toMatchObject({ probesAfterInject: 40, badAnswers: 36, badTrafficShare: 36 / 40, badReleaseCompleted: true, badDeploymentEnd: 'still-active', endsOnBaseline: false });
  });

  it('a flapping baseline: recovery counts from the start of the final stable run', () => {
    const flapping = circuitBreakerRollback()
      // A baseline task dies after the first steady poll; the service is whole again from 18 000.
      .service(17_000, [deployment('ecs-svc/1', BASELINE_TD, 'PRIMARY', 'COMPLETED', 1)])
      // And the balancer drops two requests while it settles.
      .probe(17_600, { ok: false, error: 'ECONNREFUSED', version: undefined, status: undefined, latencyMs: 1 })
      .probe(19_100, { ok: false, status: 503, version: undefined })
      .build()
      // The builder's regular polls and probes at those times are replaced by the flapping ones.
      .filter((o) => !((o.source === 'service' && o.t > 17_000 && o.t < 18_000) || (o.source === 'probe' && (o.t === 17_500 || o.t === 19_000))));
    const m = measure(flapping, markers({ badVersion: 'v9.9.9' }));
    // Steady from 18 000, but the final all-good probe run starts at 19 500 (after the 503 at 19 100).
    expect(m.timeToRecoverMs).toBe(9_500);
    expect(m.failedProbes.count).toBe(2);
    expect(m.timeToDetectMs).toBe(2_500);
  });

  it('the final good run must last the stable window: exactly the window counts, one probe short does not', () => {
    const until = (end: number) =>
      circuitBreakerRollback()
        .build()
        .filter((o) => o.t < end);
    // Steady from 15 000 with every probe good: a probe at 18 000 closes a 3 s window.
    expect(measure(until(18_001), markers()).timeToRecoverMs).toBe(5_000);
    expect(measure(until(18_000), markers()).timeToRecoverMs).toBeUndefined();
  });
});

const signal = (fields: Partial<GateSignal>): GateSignal => gateSignalSchema.parse({ metric: 'error-rate', threshold: 0.5, ...fields });
const probe = (t: number, ok: boolean, latencyMs = 10): ProbeObservation => ({ t, source: 'probe', ok, status: ok ? 200 : 500, latencyMs });

describe('gate analysis', () => {
  it('error rate over (at - window, at], counting only probes whose answer was back by then', () => {
    const s = signal({ windowSeconds: 2, minSamples: 1 });
    const probes = [probe(1_000, false), probe(1_500, true), probe(2_000, false), probe(2_900, false, 200)];
    // At 3 000: 1 000 is out of the window (open at its start), 2 900 is still in flight.
    expect(evaluateSignal(s, probes, 3_000)).toEqual({ value: 0.5, samples: 2, failing: false });
    expect(evaluateSignal(s, probes, 3_100)).toEqual({ value: 2 / 3, samples: 3, failing: true });
  });

  it('an evaluation with fewer probes than minSamples is inconclusive', () => {
    const s = signal({ windowSeconds: 2, minSamples: 4 });
    expect(evaluateSignal(s, [probe(0, false), probe(500, false), probe(1_000, false)], 1_500)).toEqual({ value: 1, samples: 3, failing: undefined });
  });

  it('latency p95 is nearest-rank over the window, failed probes included with their latency', () => {
    const s = signal({ metric: 'latency-p95', threshold: 1_000, windowSeconds: 10, minSamples: 4 });
    const probes = Array.from({ length: 20 }, (_, i) => probe(i * 100, true, (i + 1) * 10));
    // Latencies 10..200: the 19th of 20 is 190.
    expect(evaluateSignal(s, probes, 5_000)).toEqual({ value: 190, samples: 20, failing: false });
    // Two timeouts of 2 000 ms make 22 samples: rank ceil(0.95 x 22) = 21 is the first timeout.
    const withTimeouts = [...probes, { ...probe(2_000, false, 2_000), error: 'timeout' }, { ...probe(2_100, false, 2_000), error: 'timeout' }];
    expect(evaluateSignal(s, withTimeouts, 5_000)).toEqual({ value: 2_000, samples: 22, failing: true });
  });

  it('fires after failureLimit consecutive failing evaluations, once, and recovers on a passing one', () => {
    const analyzer = new GateAnalyzer([signal({ name: 'errors', windowSeconds: 2, failureLimit: 3, minSamples: 4 })]);
    // Probes every 500 ms: each window holds 4. Good until 1 500, failing from 2 000 to 4 000, good again after.
    const series = Array.from({ length: 12 }, (_, i) => probe(i * 500, i < 4 || i > 8));
    const transitions = series.flatMap((p) => analyzer.observe(p));
    // Evaluations at 2 010 (0.25) and 2 510 (0.5) pass; 3 010, 3 510, 4 010 fail -> fires at the third.
    // At 4 510 the window still fails (0.75); at 5 010 it is 0.5, not above the threshold.
    expect(transitions).toEqual([
      { t: 4_010, source: 'gate', signal: 'errors', fired: true, value: 1, threshold: 0.5 },
      { t: 5_010, source: 'gate', signal: 'errors', fired: false, value: 0.5, threshold: 0.5 },
    ]);
  });

  it('does not fire while the window holds fewer than minSamples probes, however bad they are', () => {
    const analyzer = new GateAnalyzer([signal({ windowSeconds: 2, failureLimit: 1, minSamples: 4 })]);
    // One probe a second: never more than 2 in a 2 s window.
    const transitions = Array.from({ length: 30 }, (_, i) => probe(i * 1_000, false)).flatMap((p) => analyzer.observe(p));
    expect(transitions).toEqual([]);
  });

  it('ECS failure signal: failure stops and a FAILED rollout of the bad release, nothing else', () => {
    const poll = (t: number, more: Partial<ServiceObservation>): ServiceObservation => ({
      t,
      source: 'service',
      taskDefinition: BAD_TD,
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
      deployments: badRollingOut(),
      newEvents: [],
      newStoppedTasks: [],
      ...more,
    });
    const observations = [
      poll(11_000, { newStoppedTasks: [stoppedTask('arn:task/user', { stopCode: 'UserInitiated', stoppedReason: 'drill: stop one task' })] }),
      poll(11_500, { newStoppedTasks: [stoppedTask('arn:task/old', { taskDefinitionArn: BASELINE_TD, stopCode: 'EssentialContainerExited' })] }),
      poll(12_000, { newStoppedTasks: [stoppedTask('arn:task/elb', { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed ELB health checks in (target-group tg)' })] }),
    ];
    expect(ecsFailureSignal(observations, INJECT, BAD_TD)).toEqual({ t: 12_000, reason: 'task elb of the bad release stopped: Task failed ELB health checks in (target-group tg)' });
    expect(ecsFailureSignal(observations, 12_001, BAD_TD)).toBeUndefined();
    const failed = poll(13_000, {
      deployments: [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'FAILED', 0, { rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' })],
    });
    expect(ecsFailureSignal([...observations, failed], 12_001, BAD_TD)).toEqual({
      t: 13_000,
      reason: 'deployment ecs-svc/2 FAILED: ECS deployment circuit breaker: tasks failed to start.',
    });
  });
});

describe('verdicts', () => {
  const expectations = (fields: Record<string, unknown> = {}) => expectationsSchema.parse(fields);
  const clean = measure(circuitBreakerRollback().build(), markers({ badVersion: 'v9.9.9' }));

  it('a clean rollback passes every expectation, with the figures in the summaries', () => {
    const verdicts = judge(expectations({ detectionWithinSeconds: 30, badDeploymentEnds: 'FAILED', maxBadTrafficShare: 0.05 }), clean);
    expect(verdicts.map((v) => [v.expectation, v.passed, v.summary])).toEqual([
      ['recovery-within-budget', true, 'recovered in 5.0 s (budget 600 s)'],
      [
        'detection-within-budget',
        true,
        'detected in 2.5 s by ecs (task abc of the bad release stopped: CannotPullContainerError: firedrill/demo-app:v9.9.9 not found) (budget 30 s)',
      ],
      ['bad-release-never-completes', true, 'the bad release never reached COMPLETED'],
      ['bad-deployment-ends', true, 'the bad deployment ended FAILED, as expected'],
      ['bad-traffic-share', true, 'the bad release answered 0 of 40 answered probes (0 %, limit 5 %)'],
      ['ends-on-baseline', true, 'the service ended on the baseline task definition with running = desired'],
    ]);
    expect(verdicts[0]!.evidence).toEqual({ measuredMs: 5_000, budgetMs: 600_000 });
  });

  it('only the expectations that apply are judged', () => {
    const verdicts = judge(expectations({ badReleaseNeverCompletes: false, endsOnBaseline: false }), clean);
    expect(verdicts.map((v) => v.expectation)).toEqual(['recovery-within-budget', 'bad-traffic-share']);
  });

  it('failures say what happened and against which figure', () => {
    const bad: Measurements = {
      ...clean,
      timeToRecoverMs: undefined,
      timeToDetectMs: undefined,
      detectedBy: undefined,
      answeredProbes: 60,
      badAnswers: 4,
      badTrafficShare: 4 / 60,
      badReleaseCompleted: true,
      badDeploymentEnd: 'replaced',
      endsOnBaseline: false,
    };
    const verdicts = judge(expectations({ detectionWithinSeconds: 30, badDeploymentEnds: 'FAILED', maxBadTrafficShare: 0.05 }), bad);
    expect(verdicts.every((v) => !v.passed)).toBe(true);
    expect(verdicts.map((v) => v.summary)).toEqual([
      'never recovered: the baseline never served every probe for 3 s with its deployment steady and alone (budget 600 s)',
      'never detected: no failed probe, ECS failure or gate signal after inject (budget 30 s)',
      "the bad release's deployment reached COMPLETED",
      'the bad deployment was replaced; expected it to end FAILED',
      'the bad release answered 4 of 60 answered probes (6.7 %, limit 5 %)',
      'the service did not end on the baseline task definition alone with running = desired',
    ]);
    expect(verdicts[0]!.evidence).toEqual({ measuredMs: null, budgetMs: 600_000 });
  });

  it('a recovery over budget names both figures', () => {
    const [recovery] = judge(expectations({ recoveryWithinSeconds: 0.001 }), clean);
    expect(recovery).toMatchObject({ passed: false, summary: 'recovered in 5.0 s, over the budget of 0.001 s' });
  });
});
