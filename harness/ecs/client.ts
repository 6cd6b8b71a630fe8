// The AWS SDK v3 clients the driver (driver.ts) talks through, pointed at the sandbox,
// LocalStack or a real account: the same calls run against all three. Tests and the sandbox's
// set-up make clients here too, named apart by their user agent.

import { readFileSync } from 'node:fs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { countApiCalls } from './api-stats.ts';

export interface EcsTarget {
  /** http://127.0.0.1:4599 for the sandbox; absent for a real account. */
  endpoint?: string;
  region: string;
  /**
   * The user-agent product token. `firedrill` (the default) marks the harness's own calls, the
   * ones docs/iam-policy.json must allow; test code and the sandbox's demo set-up name themselves
   * differently so they are not mistaken for the harness.
   */
  agent?: 'firedrill' | 'firedrill-test' | 'firedrill-sandbox-setup';
  /** How long one HTTP request may take before it is abandoned and retried; ECS_REQUEST_TIMEOUT_MS by default. */
  requestTimeoutMs?: number;
}

/**
 * Attempts per call, the first included. ECS throttles per account and region with a token
 * bucket that refills within seconds; the standard strategy's backoff (about 1 s, 2 s, 4 s, 8 s
 * for throttling, capped jitter) spreads 7 attempts over roughly 30 s at worst, which outlasts a
 * throttling burst without stalling a drill phase for minutes. The SDK's default of 3 gives up
 * after about 3 s.
 */
export const ECS_MAX_ATTEMPTS = 7;

/**
 * Standard, not adaptive: adaptive mode puts a client-side rate limiter in front of every call
 * once it has seen throttling, so the service poller's observations would thin out and the
 * measured detect and recovery times would include the harness's own slow-down. Standard retries
 * only the call that failed, and its retry quota still stops a storm of retries when ECS is
 * really down.
 */
export const ECS_RETRY_MODE = 'standard';

/**
 * Every wait has a deadline, a single call included: a connection that hangs (a dead proxy, a
 * half-open socket) ends after this long and is retried like any transient error. ECS answers in
 * well under a second; the sandbox's injected latency stays below it.
 */
export const ECS_REQUEST_TIMEOUT_MS = 30_000;
export const ECS_CONNECT_TIMEOUT_MS = 5_000;

const packageVersion = (): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
};

/** `firedrill/<version>`, the user-agent token that tells firedrill's own calls apart in CloudTrail and the sandbox's event log. */
export const FIREDRILL_USER_AGENT: [string, string] = ['firedrill', packageVersion()];

export const isLoopback = (endpoint: string): boolean => {
  try {
    const host = new URL(endpoint).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
};

/** The settings every client shares: region, endpoint, placeholder keys for a local endpoint, deadlines, user agent. */
const common = (target: EcsTarget) => {
  const local = target.endpoint !== undefined && isLoopback(target.endpoint);
  return {
    region: target.region,
    endpoint: target.endpoint,
    // A local endpoint accepts any signature; fixed placeholder keys keep a machine's real
    // credentials from ever being sent to it.
    credentials: local ? { accessKeyId: 'firedrill-sandbox', secretAccessKey: 'firedrill-sandbox' } : undefined,
    retryMode: ECS_RETRY_MODE,
    // throwOnRequestTimeout: without it the SDK only logs a warning when the timeout passes.
    requestHandler: { requestTimeout: target.requestTimeoutMs ?? ECS_REQUEST_TIMEOUT_MS, connectionTimeout: ECS_CONNECT_TIMEOUT_MS, throwOnRequestTimeout: true },
    customUserAgent: [target.agent && target.agent !== 'firedrill' ? [target.agent, FIREDRILL_USER_AGENT[1]] : FIREDRILL_USER_AGENT] as [string, string][],
  };
};

export const ecsClient = (target: EcsTarget): ECSClient => {
  const client = new ECSClient({ ...common(target), maxAttempts: ECS_MAX_ATTEMPTS });
  // Every client counts its calls, retries and errors; a drill reads them with apiCounterOf().
  countApiCalls(client);
  return client;
};

/** STS answers one call a drill (GetCallerIdentity); fewer attempts than ECS, whose throttling is the one to outlast. */
export const stsClient = (target: EcsTarget): STSClient => new STSClient({ ...common(target), maxAttempts: 5 });

/** ELBv2, read-only: the target groups' health-check and deregistration settings that validate predicts with. */
export const elbClient = (target: EcsTarget): ElasticLoadBalancingV2Client => new ElasticLoadBalancingV2Client({ ...common(target), maxAttempts: 5 });
