// Waiting on ECS the way an operator would: poll DescribeServices until a condition holds,
// with a deadline, reporting what is being waited for. Each poll rides out throttling and 5xx
// until the same deadline, so a wait ends only when the condition holds, the deployment it waits
// on has failed, or the time is up.

import type { Service } from '@aws-sdk/client-ecs';
import type { Driver, Persist } from './driver.ts';
import { isSteady, primaryOf } from './steady.ts';

export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly waitedMs: number,
    readonly lastSeen: string,
  ) {
    super(`timed out after ${Math.round(waitedMs / 1000)} s waiting for ${what} (last seen: ${lastSeen})`);
    this.name = 'WaitTimeoutError';
  }
}

export interface WaitOptions extends Persist {
  intervalMs: number;
  onProgress?: (summary: string) => void;
}

export const summarizeService = (s: Service): string => {
  const primary = primaryOf(s);
  return `${s.serviceName}: running ${s.runningCount ?? 0}/${s.desiredCount ?? 0}, primary ${primary?.id ?? '-'} ${primary?.rolloutState ?? ''} (${s.deployments?.length ?? 0} deployments)`;
};

/** The service in one line for an operator: its task definition, counts and every deployment. */
export const describeServiceState = (s: Service): string =>
  `${summarizeService(s)}, task definition ${s.taskDefinition}, deployments ${(s.deployments ?? []).map((d) => `${d.id} ${d.status} ${d.rolloutState} ${d.taskDefinition}`).join('; ')}`;

const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export const waitForService = async (driver: Driver, cluster: string, service: string, what: string, condition: (s: Service) => boolean, options: WaitOptions): Promise<Service> => {
  const started = driver.now();
  for (;;) {
    const current = await driver.describeService(cluster, service, options);
    const last = summarizeService(current);
    options.onProgress?.(last);
    if (condition(current)) return current;
    if (driver.now() >= options.deadline) throw new WaitTimeoutError(what, driver.now() - started, last);
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error(`stopped waiting for ${what}`);
    await pause(Math.min(options.intervalMs, Math.max(0, options.deadline - driver.now())), options.signal);
  }
};

export class DeploymentFailedError extends Error {
  constructor(readonly service: Service) {
    const primary = primaryOf(service);
    super(`${service.serviceName}: deployment ${primary?.id ?? '?'} FAILED (${primary?.rolloutStateReason ?? 'no reason given'}); latest event: ${service.events?.[0]?.message ?? 'none'}`);
    this.name = 'DeploymentFailedError';
  }
}

/**
 * Steady (steady.ts), on `taskDefinition` when one is given; an error as soon as the PRIMARY
 * deployment (on that task definition) has FAILED, since waiting longer cannot help. Steady on a
 * named task definition: a circuit-breaker rollback racing a restore must end there too.
 */
export const waitForSteadyState = (driver: Driver, cluster: string, service: string, options: WaitOptions & { taskDefinition?: string }): Promise<Service> =>
  waitForService(
    driver,
    cluster,
    service,
    options.taskDefinition ? `${service} to be steady on ${options.taskDefinition}` : `${service} to reach a steady state`,
    (s) => {
      const primary = primaryOf(s);
      if (primary?.rolloutState === 'FAILED' && (options.taskDefinition === undefined || primary.taskDefinition === options.taskDefinition)) throw new DeploymentFailedError(s);
      return isSteady(s, options.taskDefinition);
    },
    options,
  );
