// Gate analysis: firedrill's own judgement of the probe series, for failures ECS does not see
// by itself (5xx, latency). It works like an Argo Rollouts AnalysisRun: each evaluation of a
// metric over a window passes, fails, or is inconclusive (too few samples), and a signal fires
// after `failureLimit` consecutive failing evaluations. Also here: the moment ECS itself shows
// the bad release failing, the other kind of failure signal.

import { percentile } from '../../lib/stats.ts';
import type { GateSignal } from '../config/scenario.ts';
import type { GateObservation, ProbeObservation, ServiceObservation, StoppedTaskSnapshot } from '../observe/timeline.ts';

export interface SignalEvaluation {
  value: number;
  samples: number;
  /** Undefined when the window holds fewer than minSamples probes: inconclusive, as in Argo. */
  failing: boolean | undefined;
}

export const signalName = (signal: GateSignal): string => signal.name ?? `${signal.metric} > ${signal.threshold} over ${signal.windowSeconds} s`;

/** When a probe's outcome was known: its answer, or its timeout, came back. */
export const probeDoneAt = (probe: ProbeObservation): number => probe.t + probe.latencyMs;

/**
 * The signal's metric over the probes that started in (at - window, at] and whose outcome was
 * known by `at`, so an evaluation replayed from the timeline sees what the live drill saw.
 * error-rate: failed / total. latency-p95: p95 of latencyMs, failed probes included with the
 * latency they had (a timeout counts as the timeout). Failing means value > threshold.
 */
export const evaluateSignal = (signal: GateSignal, probes: readonly ProbeObservation[], at: number): SignalEvaluation => {
  const from = at - signal.windowSeconds * 1000;
  const window = probes.filter((p) => p.t > from && p.t <= at && probeDoneAt(p) <= at);
  const samples = window.length;
  const value =
    samples === 0 ? 0 : signal.metric === 'error-rate' ? window.filter((p) => !p.ok).length / samples : (percentile(window.map((p) => p.latencyMs), 0.95) ?? 0);
  return { value, samples, failing: samples < signal.minSamples ? undefined : value > signal.threshold };
};

interface SignalState {
  signal: GateSignal;
  consecutiveFailures: number;
  fired: boolean;
}

/**
 * Gate signals fed the probe series one probe at a time, in the order the answers arrived.
 * Each probe triggers an evaluation of every signal at the moment its outcome was known.
 * An inconclusive evaluation neither counts towards nor resets the run of failures; a passing
 * one resets it, and un-fires a fired signal.
 */
export class GateAnalyzer {
  private readonly states: SignalState[];
  private readonly longestWindowMs: number;
  private probes: ProbeObservation[] = [];
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(signals: readonly GateSignal[]) {
    this.states = signals.map((signal) => ({ signal, consecutiveFailures: 0, fired: false }));
    this.longestWindowMs = Math.max(0, ...signals.map((s) => s.windowSeconds * 1000));
  }

  /** Feeds one probe; returns the signals whose state changed (fired, or recovered) as gate observations. */
  observe(probe: ProbeObservation): GateObservation[] {
    // Evaluation times never go backwards, even if two answers arrive out of order.
    const at = Math.max(this.lastAt, probeDoneAt(probe));
    this.lastAt = at;
    this.probes.push(probe);
    this.probes = this.probes.filter((p) => p.t > at - this.longestWindowMs);
    const transitions: GateObservation[] = [];
    for (const state of this.states) {
      const { value, failing } = evaluateSignal(state.signal, this.probes, at);
      if (failing === true) state.consecutiveFailures += 1;
      if (failing === false) state.consecutiveFailures = 0;
      const fire = !state.fired && state.consecutiveFailures >= state.signal.failureLimit;
      const recover = state.fired && failing === false;
      if (fire || recover) {
        state.fired = fire;
        transitions.push({ t: at, source: 'gate', signal: signalName(state.signal), fired: fire, value, threshold: state.signal.threshold });
      }
    }
    return transitions;
  }
}

const FAILURE_STOP_CODES = new Set(['TaskFailedToStart', 'EssentialContainerExited']);
const HEALTH_CHECK_FAILURE = /failed (ELB|container) health checks/;

/** A stop that means the release itself failed, not a scale-in, a drain or a user's StopTask. */
export const isFailureStop = (task: StoppedTaskSnapshot): boolean =>
  FAILURE_STOP_CODES.has(task.stopCode ?? '') || HEALTH_CHECK_FAILURE.test(task.stoppedReason ?? '');

const taskId = (arn: string): string => arn.split('/').pop() ?? arn;

/**
 * The first service observation at or after `since` in which ECS shows the bad release failing:
 * one of its tasks stopped with a failure stop, or its deployment's rolloutState is FAILED.
 */
export const ecsFailureSignal = (
  observations: readonly ServiceObservation[],
  since: number,
  badTaskDefinition: string,
): { t: number; reason: string } | undefined => {
  for (const o of observations) {
    if (o.t < since) continue;
    const task = o.newStoppedTasks.find((s) => s.taskDefinitionArn === badTaskDefinition && isFailureStop(s));
    if (task) return { t: o.t, reason: `task ${taskId(task.taskArn)} of the bad release stopped: ${task.stoppedReason ?? task.stopCode}` };
    const failed = o.deployments.find((d) => d.taskDefinition === badTaskDefinition && d.rolloutState === 'FAILED');
    if (failed) return { t: o.t, reason: `deployment ${failed.id} FAILED: ${failed.rolloutStateReason ?? 'no reason given'}` };
  }
  return undefined;
};
