// How much of a service a drill can affect, worst case, and whether that is within the caps.
// Pure: the inputs are what DescribeServices says and what the scenario injects.
//
// "Affected" counts the tasks users may lose to the drill: tasks the bad release may replace, or
// baseline tasks the rollout may stop. A release that can pass health checks may, if nothing stops
// it, replace every task. A release that can never serve only costs the baseline tasks ECS may
// stop while it tries, which minimumHealthyPercent bounds (ECS rounds that floor up).

import type { BlastRadius } from '../config/environment.ts';
import type { ReleaseKind } from '../config/scenario.ts';

/**
 * Releases that may answer traffic: they pass (or may pass) the load balancer's health checks.
 * failing-health-check is here because a load balancer may route to the task until ECS stops it.
 */
const MAY_SERVE: ReadonlySet<ReleaseKind> = new Set<ReleaseKind>(['http-errors', 'slow-responses', 'crash-after', 'missing-env', 'failing-health-check']);

export interface ServiceShape {
  desiredCount: number;
  /** ECS's default is 100. */
  minimumHealthyPercent?: number;
}

export interface BlastEstimate {
  affectedTasks: number;
  desiredCount: number;
  /** 0..100 */
  affectedPercent: number;
  why: string;
}

export const estimateBlastRadius = (service: ServiceShape, kind: ReleaseKind): BlastEstimate => {
  const desired = Math.max(0, service.desiredCount);
  const percent = (n: number) => (desired === 0 ? 0 : (n / desired) * 100);
  if (MAY_SERVE.has(kind)) {
    return { affectedTasks: desired, desiredCount: desired, affectedPercent: percent(desired), why: `a ${kind} release can pass health checks and replace all ${desired} task(s)` };
  }
  const minHealthy = service.minimumHealthyPercent ?? 100;
  const floor = Math.min(desired, Math.ceil((desired * minHealthy) / 100));
  const stoppable = desired - floor;
  return {
    affectedTasks: stoppable,
    desiredCount: desired,
    affectedPercent: percent(stoppable),
    why: `a ${kind} release never serves; ECS may stop ${stoppable} of ${desired} baseline task(s) while it tries (minimumHealthyPercent ${minHealthy})`,
  };
};

/** The stricter of each bound. */
export const combineCaps = (...caps: Array<BlastRadius | undefined>): BlastRadius => {
  const min = (values: Array<number | undefined>) => {
    const set = values.filter((v): v is number => v !== undefined);
    return set.length === 0 ? undefined : Math.min(...set);
  };
  return { maxTasks: min(caps.map((c) => c?.maxTasks)), maxPercent: min(caps.map((c) => c?.maxPercent)) };
};

/** Why the estimate exceeds the cap, or undefined when it fits. */
export const blastRadiusRefusal = (estimate: BlastEstimate, cap: BlastRadius): string | undefined => {
  const over: string[] = [];
  if (cap.maxTasks !== undefined && estimate.affectedTasks > cap.maxTasks) over.push(`${estimate.affectedTasks} task(s) over the cap of ${cap.maxTasks}`);
  if (cap.maxPercent !== undefined && estimate.affectedPercent > cap.maxPercent + 1e-9) {
    over.push(`${round(estimate.affectedPercent)}% of the service over the cap of ${cap.maxPercent}%`);
  }
  if (over.length === 0) return undefined;
  return `blast radius: the drill could affect ${over.join(' and ')}: ${estimate.why}. Raise blastRadius in the scenario or environment, pick a release that never serves, or raise the service's minimumHealthyPercent`;
};

const round = (n: number): number => Math.round(n * 10) / 10;
