// Waiting on ECS the way an operator would: poll DescribeServices until a condition holds,
// with a deadline, reporting what is being waited for.

import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';

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

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  onProgress?: (summary: string) => void;
}

export const describeService = async (client: ECSClient, cluster: string, service: string): Promise<Service> => {
  const out = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = out.services?.[0];
  if (!found) throw new Error(`service ${service} not found in cluster ${cluster} (${out.failures?.[0]?.reason ?? 'no reason given'})`);
  return found;
};

export const summarizeService = (s: Service): string => {
  const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
  return `${s.serviceName}: running ${s.runningCount ?? 0}/${s.desiredCount ?? 0}, primary ${primary?.id ?? '-'} ${primary?.rolloutState ?? ''} (${s.deployments?.length ?? 0} deployments)`;
};

/** Steady: the PRIMARY deployment is COMPLETED, it is the only one, and running equals desired. */
export const isSteady = (s: Service): boolean => {
  const deployments = s.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  return deployments.length === 1 && primary?.rolloutState === 'COMPLETED' && s.runningCount === s.desiredCount;
};

export const waitForService = async (
  client: ECSClient,
  cluster: string,
  service: string,
  what: string,
  condition: (s: Service) => boolean,
  options: WaitOptions,
): Promise<Service> => {
  const started = Date.now();
  let last = 'nothing yet';
  for (;;) {
    const current = await describeService(client, cluster, service);
    last = summarizeService(current);
    options.onProgress?.(last);
    if (condition(current)) return current;
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) throw new WaitTimeoutError(what, waited, last);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
};

export class DeploymentFailedError extends Error {
  constructor(readonly service: Service) {
    const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
    super(`${service.serviceName}: deployment ${primary?.id ?? '?'} FAILED (${primary?.rolloutStateReason ?? 'no reason given'}); latest event: ${service.events?.[0]?.message ?? 'none'}`);
    this.name = 'DeploymentFailedError';
  }
}

/** Steady state, or an error as soon as the PRIMARY deployment has FAILED: waiting longer cannot help. */
export const waitForSteadyState = (client: ECSClient, cluster: string, service: string, options: WaitOptions): Promise<Service> =>
  waitForService(
    client,
    cluster,
    service,
    `${service} to reach a steady state`,
    (s) => {
      if (s.deployments?.find((d) => d.status === 'PRIMARY')?.rolloutState === 'FAILED') throw new DeploymentFailedError(s);
      return isSteady(s);
    },
    options,
  );
