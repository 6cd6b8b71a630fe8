// The one way firedrill talks to ECS: the AWS SDK v3 client, pointed at the sandbox,
// LocalStack or a real account. The same calls run against all three.

import { ECSClient } from '@aws-sdk/client-ecs';

export interface EcsTarget {
  /** http://127.0.0.1:4599 for the sandbox; absent for a real account. */
  endpoint?: string;
  region: string;
}

const isLoopback = (endpoint: string): boolean => {
  try {
    const host = new URL(endpoint).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
};

export const ecsClient = (target: EcsTarget): ECSClient => {
  const local = target.endpoint !== undefined && isLoopback(target.endpoint);
  return new ECSClient({
    region: target.region,
    endpoint: target.endpoint,
    // A local endpoint accepts any signature; fixed placeholder keys keep a machine's real
    // credentials from ever being sent to it.
    credentials: local ? { accessKeyId: 'firedrill-sandbox', secretAccessKey: 'firedrill-sandbox' } : undefined,
    maxAttempts: 5,
  });
};
