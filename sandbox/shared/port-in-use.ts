// A loopback port the sandbox needs that something else holds. The API server and the load
// balancer throw it instead of a bare EADDRINUSE, so the CLI can say which port, what it was
// for, and what to do, without a stack trace.

import { createServer } from 'node:net';

/** What the sandbox wanted the port for: its ECS API, or the listener of a target group. */
export type PortPurpose = { kind: 'api' } | { kind: 'listener'; targetGroup: string };

const describe = (purpose: PortPurpose): string =>
  purpose.kind === 'api' ? 'the ECS API' : `the load balancer of target group ${purpose.targetGroup}`;

export class PortInUseError extends Error {
  readonly host = '127.0.0.1';

  constructor(
    readonly port: number,
    readonly purpose: PortPurpose,
    options?: { cause?: unknown },
  ) {
    super(`127.0.0.1:${port} is already in use; the sandbox needs it for ${describe(purpose)}`, options);
    this.name = 'PortInUseError';
  }

  /** "the ECS API", "the load balancer of target group demo-web". */
  get what(): string {
    return describe(this.purpose);
  }
}

/** The error to reject a failed listen with: a PortInUseError for EADDRINUSE, else undefined. */
export const portInUse = (error: unknown, port: number, purpose: PortPurpose): PortInUseError | undefined =>
  (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' ? new PortInUseError(port, purpose, { cause: error }) : undefined;

/**
 * Binds the port on 127.0.0.1 and lets it go again: throws PortInUseError when something holds
 * it. Port 0 (a free one, picked later) is always free. The port is not reserved afterwards.
 */
export const assertPortFree = (port: number, purpose: PortPurpose): Promise<void> =>
  port === 0
    ? Promise.resolve()
    : new Promise((resolve, reject) => {
        const probe = createServer();
        probe.once('error', (error) => reject(portInUse(error, port, purpose) ?? error));
        probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
      });
