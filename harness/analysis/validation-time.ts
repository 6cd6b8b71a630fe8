// How long `firedrill validate` will take on this service, step by step, predicted from the
// service's own settings before anything is touched (the deployment math in deployment-time.ts).
// Validation is three deployments:
//   deploy-candidate        a rolling update to the candidate;
//   failing-release-caught  a drill of a failing release on top of it, which the rollback path
//                           brings back to the candidate;
//   rollback-to-current     a rolling update back to the current release, measured against the
//                           rollback budget; it is also the restore.
// Pure: the settings in, the estimate out.

import type { ReleaseKind, Scenario } from '../config/scenario.ts';
import { addEstimates, breakerRollback, breakerTrip, rollingUpdate, type Cost, type Estimate, type FailureMode, type ServiceTiming } from './deployment-time.ts';

export type ValidationStepName = 'deploy-candidate' | 'failing-release-caught' | 'rollback-to-current';

export interface ValidationPrediction {
  ms: number;
  steps: Array<{ name: ValidationStepName; estimate: Estimate }>;
  /** Every step's costs merged by setting, the costliest first: what a refusal names. */
  costs: Cost[];
  notes: string[];
}

export interface HarnessTiming {
  probeIntervalMs: number;
  pollIntervalMs: number;
}

/** The baseline's probes (3) and the smoke checks before and after: what firedrill itself adds to a drill. */
const BASELINE_PROBES = 3;
const SMOKE_CHECKS_MS = 3000;

const FAILS_TO_START = new Set<ReleaseKind>(['missing-image-tag', 'crash-on-start', 'missing-env', 'missing-secret', 'memory-too-low']);

/** How the circuit breaker sees a failing release of this kind; undefined when ECS cannot see it fail (5xx, slow answers). */
export const failureModeOf = (kind: ReleaseKind): FailureMode | undefined => {
  if (FAILS_TO_START.has(kind)) return 'fails-to-start';
  if (kind === 'http-errors' || kind === 'slow-responses') return undefined;
  return 'fails-health-checks';
};

const steadyNoticed = (h: HarnessTiming): Cost => ({ setting: 'firedrill noticing the steady state (poll interval)', ms: h.pollIntervalMs });

/** The drill on top of the candidate: firedrill's own checks, then ECS catching the release and returning to the candidate. */
export const drillTime = (t: ServiceTiming, scenario: Pick<Scenario, 'release' | 'rollback' | 'expectations'>, h: HarnessTiming): Estimate => {
  const own: Estimate = {
    ms: 0,
    costs: [
      { setting: 'firedrill: baseline probes and smoke checks', ms: BASELINE_PROBES * h.probeIntervalMs + SMOKE_CHECKS_MS },
      { setting: 'firedrill: stable window and smoke checks after recovery', ms: scenario.expectations.stableWindowSeconds * 1000 + SMOKE_CHECKS_MS },
    ],
  };
  const mode = failureModeOf(scenario.release.kind);
  if (scenario.rollback.path === 'circuit-breaker' && mode) return addEstimates(own, breakerTrip(t, mode), breakerRollback(t, mode), { ms: 0, costs: [steadyNoticed(h)] });
  // firedrill's gate or the team's command catches it: at worst the bad release rolls out, then the previous one rolls back in.
  return addEstimates(own, rollingUpdate(t), rollingUpdate(t), { ms: 0, costs: [steadyNoticed(h)] });
};

export const predictValidation = (t: ServiceTiming, scenario: Pick<Scenario, 'release' | 'rollback' | 'expectations'>, h: HarnessTiming): ValidationPrediction => {
  const deploy = addEstimates(rollingUpdate(t), { ms: 0, costs: [steadyNoticed(h)] });
  const steps: ValidationPrediction['steps'] = [
    { name: 'deploy-candidate', estimate: deploy },
    { name: 'failing-release-caught', estimate: drillTime(t, scenario, h) },
    { name: 'rollback-to-current', estimate: deploy },
  ];
  const total = addEstimates(...steps.map((s) => s.estimate));
  return { ms: total.ms, steps, costs: [...total.costs].sort((a, b) => b.ms - a.ms), notes: total.notes ?? [] };
};
