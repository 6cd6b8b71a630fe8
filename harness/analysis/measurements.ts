// Measurements: what a drill found, as pure functions of its timeline. Nothing here reads a
// clock or does I/O, so every figure in a journal can be recomputed from the journal alone.
//
// All measurements look at the drill window: from inject until the restore phase starts (or the
// end of the timeline). Restore always puts the baseline back, so anything it does must not
// count as the rollback path working.

import type { ActionObservation, DeploymentSnapshot, GateObservation, Observation, PhaseObservation, ProbeObservation, ServiceObservation } from '../observe/timeline.ts';
import { isSteady } from '../ecs/steady.ts';
import { ecsFailureSignal, probeDoneAt } from './gate.ts';
import { rollbackTrigger, type RollbackTrigger } from './rollback-trigger.ts';

export interface Markers {
  injectAt: number;
  baselineTaskDefinition: string;
  badTaskDefinition: string;
  /** The versions the prober sees (the image tags): deployments name task definitions, probes name versions. */
  baselineVersion: string;
  badVersion: string;
  /** The baseline must serve every probe this long for recovery to count. */
  stableWindowMs: number;
}

export type BadDeploymentEnd = 'FAILED' | 'replaced' | 'still-active' | 'never-seen';

export interface Measurements {
  /** Inject until the first failure signal: a failed probe, ECS showing the release failing, or a gate firing. */
  timeToDetectMs?: number;
  detectedBy?: { source: 'probe' | 'ecs' | 'gate'; detail: string };
  /** Inject until the rollback started: firedrill triggered it, or ECS returned to the baseline deployment. */
  timeToRollbackStartMs?: number;
  rollbackStartedBy?: { source: 'firedrill' | 'ecs'; detail: string };
  /** What triggered the rollback, from ECS's own record (rollback-trigger.ts). */
  rollbackTrigger?: RollbackTrigger;
  /** Inject until recovery (see recoveredAt); undefined when the service never recovered in the drill window. */
  timeToRecoverMs?: number;
  probesAfterInject: number;
  /** Probes after inject answered by a release that named its version. */
  answeredProbes: number;
  badAnswers: number;
  /** badAnswers / answeredProbes; 0 when nothing answered. */
  badTrafficShare: number;
  failedProbes: { count: number; share: number };
  /** Whether the bad release's deployment ever reached rolloutState COMPLETED. */
  badReleaseCompleted: boolean;
  badDeploymentEnd: BadDeploymentEnd;
  /** The last service observation: baseline task definition, running = desired, one deployment. */
  endsOnBaseline: boolean;
}

interface Window {
  probes: ProbeObservation[];
  services: ServiceObservation[];
  actions: ActionObservation[];
  gates: GateObservation[];
}

const drillWindow = (observations: readonly Observation[], injectAt: number): Window => {
  const restore = observations.find((o): o is PhaseObservation => o.source === 'phase' && o.phase === 'restore' && o.event === 'start' && o.t >= injectAt);
  const end = restore?.t ?? Number.POSITIVE_INFINITY;
  const inWindow = observations.filter((o) => o.t >= injectAt && o.t < end);
  const of = <S extends Observation['source']>(source: S) => inWindow.filter((o): o is Extract<Observation, { source: S }> => o.source === source);
  return {
    // By request start: the timeline holds probes in the order their answers came back.
    probes: of('probe').sort((a, b) => a.t - b.t),
    services: of('service'),
    actions: of('action'),
    gates: of('gate'),
  };
};

interface Signal<S> {
  t: number;
  source: S;
  detail: string;
}

const earliest = <S>(candidates: Array<Signal<S> | undefined>): Signal<S> | undefined =>
  candidates.reduce<Signal<S> | undefined>((first, c) => (c && (!first || c.t < first.t) ? c : first), undefined);

const detection = (w: Window, m: Markers): Signal<'probe' | 'ecs' | 'gate'> | undefined => {
  const failed = w.probes.filter((p) => !p.ok).sort((a, b) => probeDoneAt(a) - probeDoneAt(b))[0];
  const ecs = ecsFailureSignal(w.services, m.injectAt, m.badTaskDefinition);
  const gate = w.gates.find((g) => g.fired);
  return earliest([
    // A failed probe is known when its answer or its timeout came back, not when it was sent.
    failed && { t: probeDoneAt(failed), source: 'probe', detail: `probe failed: ${failed.error ?? `HTTP ${failed.status}`}` },
    ecs && { t: ecs.t, source: 'ecs', detail: ecs.reason },
    gate && { t: gate.t, source: 'gate', detail: `gate ${gate.signal} fired (${gate.value} > ${gate.threshold})` },
  ]);
};

const baselineDeployment = (o: ServiceObservation, m: Markers): DeploymentSnapshot | undefined =>
  o.deployments.find((d) => d.taskDefinition === m.baselineTaskDefinition);
const badDeployment = (o: ServiceObservation, m: Markers): DeploymentSnapshot | undefined =>
  o.deployments.find((d) => d.taskDefinition === m.badTaskDefinition);

const rollbackStart = (w: Window, m: Markers): Signal<'firedrill' | 'ecs'> | undefined => {
  const triggered = w.actions.find((a) => a.action === 'rollback-triggered' || a.action === 'rollback-command');
  // The baseline PRIMARY "again": only once the bad deployment has shown up, because a poll
  // taken just after inject may still show the baseline PRIMARY before the update took effect.
  const firstBad = w.services.findIndex((o) => badDeployment(o, m));
  const primaryAgain = (firstBad < 0 ? [] : w.services.slice(firstBad)).flatMap((o) => {
    const d = baselineDeployment(o, m);
    return d?.status === 'PRIMARY' ? [{ t: o.t, d }] : [];
  })[0];
  const rollingBackEvent = w.services.flatMap((o) => o.newEvents.filter((e) => e.message.includes('rolling back to deployment')).map((e) => ({ t: o.t, e })))[0];
  return earliest([
    triggered && { t: triggered.t, source: 'firedrill', detail: 'firedrill triggered the rollback path' },
    primaryAgain && {
      t: primaryAgain.t,
      source: 'ecs',
      detail: `baseline deployment ${primaryAgain.d.id} is PRIMARY again: ${primaryAgain.d.rolloutStateReason ?? primaryAgain.d.rolloutState ?? ''}`,
    },
    rollingBackEvent && { t: rollingBackEvent.t, source: 'ecs', detail: rollingBackEvent.e.message },
  ]);
};

/** The first item of the final unbroken run of items that satisfy `good`, the run reaching the last item. */
const finalRunStart = <T>(items: readonly T[], good: (item: T) => boolean): T | undefined => {
  let start: T | undefined;
  for (const item of items) start = good(item) ? (start ?? item) : undefined;
  return start;
};

/**
 * When the service recovered, precisely:
 * - steadySince: the first service observation of the final unbroken run of observations that
 *   show it steady on the baseline (one deployment, the baseline's, PRIMARY, COMPLETED,
 *   running = desired), the run lasting to the end of the drill window. The final run, not the
 *   first sighting: a poll taken just after inject still shows the old steady state.
 * - probesGoodSince: the first probe (by request start) of the final unbroken run of good probes
 *   (2xx, served by the baseline version), the run lasting to the end of the drill window.
 * - recoveredAt = max(steadySince, probesGoodSince), provided the good-probe run goes on for at
 *   least stableWindowMs after it (a probe started at or after recoveredAt + stableWindowMs).
 * So recovery is the start of the first stable window in which every probe succeeded on the
 * baseline and ECS showed the baseline steady, and that state held until the window ended.
 */
const recoveredAt = (w: Window, m: Markers): number | undefined => {
  const steady = finalRunStart(w.services, (o) => isSteady(o, m.baselineTaskDefinition));
  const good = finalRunStart(w.probes, (p) => p.ok && p.version === m.baselineVersion);
  const last = w.probes.at(-1);
  if (!steady || !good || !last) return undefined;
  const at = Math.max(steady.t, good.t);
  return last.t - at >= m.stableWindowMs ? at : undefined;
};

const badDeploymentEnd = (w: Window, m: Markers): BadDeploymentEnd => {
  const lastSighting = [...w.services].reverse().find((o) => badDeployment(o, m));
  if (!lastSighting) {
    // A poller backing off from throttling can miss a short-lived deployment altogether. ECS's
    // events still name the failure; in a drill the only deployment after inject that is not
    // the baseline's is the bad one.
    const baselineIds = new Set(w.services.flatMap((o) => o.deployments.filter((d) => d.taskDefinition === m.baselineTaskDefinition).map((d) => d.id)));
    const failedOther = w.services.some((o) =>
      o.newEvents.some((e) => {
        const id = /\(deployment ([^)]+)\) deployment failed/.exec(e.message)?.[1];
        return id !== undefined && !baselineIds.has(id);
      }),
    );
    return failedOther ? 'FAILED' : 'never-seen';
  }
  const final = badDeployment(lastSighting, m)!;
  if (final.rolloutState === 'FAILED') return 'FAILED';
  // A circuit-breaker rollback can fail the deployment and finish between two polls, so the
  // FAILED state itself is never seen; ECS's service event for it is the evidence then.
  const failedEvent = `(deployment ${final.id}) deployment failed`;
  if (w.services.some((o) => o.newEvents.some((e) => e.message.includes(failedEvent)))) return 'FAILED';
  return lastSighting === w.services.at(-1) ? 'still-active' : 'replaced';
};

const endsOnBaseline = (w: Window, m: Markers): boolean => {
  const last = w.services.at(-1);
  return (
    last !== undefined &&
    last.taskDefinition === m.baselineTaskDefinition &&
    last.runningCount === last.desiredCount &&
    last.deployments.length === 1 &&
    last.deployments[0]!.taskDefinition === m.baselineTaskDefinition
  );
};

const share = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);

export const measure = (observations: readonly Observation[], markers: Markers): Measurements => {
  const w = drillWindow(observations, markers.injectAt);
  const detected = detection(w, markers);
  const rollback = rollbackStart(w, markers);
  const recovered = recoveredAt(w, markers);
  const answered = w.probes.filter((p) => p.version !== undefined);
  const badAnswers = answered.filter((p) => p.version === markers.badVersion).length;
  const failed = w.probes.filter((p) => !p.ok).length;
  return {
    timeToDetectMs: detected && detected.t - markers.injectAt,
    detectedBy: detected && { source: detected.source, detail: detected.detail },
    timeToRollbackStartMs: rollback && rollback.t - markers.injectAt,
    rollbackStartedBy: rollback && { source: rollback.source, detail: rollback.detail },
    rollbackTrigger: rollbackTrigger(w.services, markers.injectAt, rollback?.source === 'firedrill'),
    timeToRecoverMs: recovered === undefined ? undefined : recovered - markers.injectAt,
    probesAfterInject: w.probes.length,
    answeredProbes: answered.length,
    badAnswers,
    badTrafficShare: share(badAnswers, answered.length),
    failedProbes: { count: failed, share: share(failed, w.probes.length) },
    badReleaseCompleted: w.services.some((o) => badDeployment(o, markers)?.rolloutState === 'COMPLETED'),
    badDeploymentEnd: badDeploymentEnd(w, markers),
    endsOnBaseline: endsOnBaseline(w, markers),
  };
};
