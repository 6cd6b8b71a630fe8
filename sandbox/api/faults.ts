// API fault injection: ECS's bad days on demand. Per operation (or `*` for every operation), a
// share of calls is throttled, fails with a server error or a 503, and every call can be slowed
// down. Deterministic: each operation draws from its own seeded PRNG stream, so the nth call of
// DescribeServices meets the same fault on every run with the same seed, however the calls of
// other operations interleave with it.
//
// What ECS answers, and what is rendered here:
//   throttle     HTTP 400 ThrottlingException "Rate exceeded" (ECS's API throttling)
//   error        HTTP 500 ServerException (ECS's modeled server-side error)
//   applied      HTTP 500 ServerException after the operation ran: the change landed and the
//                reply was lost, as happens on a real ECS; a client that retries makes it twice
//   unavailable  HTTP 503 ServiceUnavailableException (AWS's front door when overloaded; not in
//                ECS's model, so SDKs handle it by status code alone)
// A faulted call never reaches the operation: the sandbox's state is untouched, so a retried
// RegisterTaskDefinition cannot leave a second revision behind.

import { z } from 'zod';
import { mulberry32 } from '../../lib/prng.ts';

export type FaultKind = 'throttle' | 'error' | 'applied' | 'unavailable';

export interface OperationFaults {
  /** Share of calls (0-1) answered with ThrottlingException. */
  throttle: number;
  /** Share of calls (0-1) answered with a 500 ServerException. */
  error: number;
  /** Share of calls (0-1) answered with a 503 ServiceUnavailableException. */
  unavailable: number;
  /** Share of calls (0-1) that run and are then answered with a 500 ServerException. */
  applied: number;
  /** Added to every matching call before it is answered (faulted or not). */
  latencyMs: number;
}

export interface FaultConfig {
  /** Seeds every operation's PRNG stream; the same seed and call sequence give the same faults. */
  seed: number;
  /** Operation name (`DescribeServices`, `GetCallerIdentity`) or `*` -> faults. */
  operations: Record<string, Partial<OperationFaults>>;
}

const share = z.number().min(0).max(1);

export const faultConfigSchema = z
  .strictObject({
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    operations: z
      .record(
        z.string().regex(/^(\*|[A-Za-z][A-Za-z0-9]{0,127})$/, 'must be an operation name such as DescribeServices, or *'),
        z
          .strictObject({
            throttle: share.optional(),
            error: share.optional(),
            unavailable: share.optional(),
            applied: share.optional(),
            latencyMs: z.number().int().min(0).max(60_000).optional(),
          })
          .refine((f) => (f.throttle ?? 0) + (f.error ?? 0) + (f.unavailable ?? 0) + (f.applied ?? 0) <= 1, 'throttle + error + unavailable + applied must not exceed 1'),
      )
      .default({}),
  })
  .refine(
    (c) => {
      // The shares of `*` and an operation's own entry combine field by field; the sum must still be a probability.
      const star = c.operations['*'] ?? {};
      return Object.values(c.operations).every((f) => {
        const m = { ...star, ...f };
        return (m.throttle ?? 0) + (m.error ?? 0) + (m.unavailable ?? 0) + (m.applied ?? 0) <= 1;
      });
    },
    { message: 'throttle + error + unavailable + applied must not exceed 1 for any operation (with * applied)' },
  );

export interface FaultDecision {
  kind?: FaultKind;
  latencyMs: number;
}

export interface RenderedFault {
  status: number;
  code: string;
  message: string;
}

/** ECS's answer for each fault kind. */
export const ECS_FAULTS: Record<FaultKind, RenderedFault> = {
  throttle: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' },
  error: { status: 500, code: 'ServerException', message: 'Service encountered an unexpected error. (injected by the firedrill sandbox)' },
  unavailable: { status: 503, code: 'ServiceUnavailableException', message: 'Service Unavailable (injected by the firedrill sandbox)' },
  applied: { status: 500, code: 'ServerException', message: 'Service encountered an unexpected error. (injected by the firedrill sandbox, after the call took effect)' },
};

/** STS's (awsQuery) answer for each fault kind. */
export const STS_FAULTS: Record<FaultKind, RenderedFault> = {
  throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
  error: { status: 500, code: 'InternalFailure', message: 'The request processing has failed because of an unknown error. (injected by the firedrill sandbox)' },
  unavailable: { status: 503, code: 'ServiceUnavailable', message: 'Service Unavailable (injected by the firedrill sandbox)' },
  applied: { status: 500, code: 'InternalFailure', message: 'The request processing has failed because of an unknown error. (injected by the firedrill sandbox, after the call took effect)' },
};

/** FNV-1a, to give each operation its own stream from one seed. */
const hash = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

export const NO_FAULTS: FaultConfig = { seed: 1, operations: {} };

export class FaultInjector {
  private config: FaultConfig = NO_FAULTS;
  private streams = new Map<string, () => number>();

  constructor(config?: FaultConfig) {
    if (config) this.set(config);
  }

  /** Replaces the configuration and restarts every stream from the seed. */
  set(config: FaultConfig): void {
    this.config = { seed: config.seed, operations: structuredClone(config.operations) };
    this.streams.clear();
  }

  clear(): void {
    this.set(NO_FAULTS);
  }

  get(): FaultConfig {
    return { seed: this.config.seed, operations: structuredClone(this.config.operations) };
  }

  /** The faults of one call of `operation`; draws from its stream only when a share is configured. */
  decide(operation: string): FaultDecision {
    const star = this.config.operations['*'];
    const own = Object.hasOwn(this.config.operations, operation) ? this.config.operations[operation] : undefined;
    if (!star && !own) return { latencyMs: 0 };
    const f = { ...star, ...own };
    const latencyMs = f.latencyMs ?? 0;
    const throttle = f.throttle ?? 0;
    const error = f.error ?? 0;
    const unavailable = f.unavailable ?? 0;
    const applied = f.applied ?? 0;
    if (throttle + error + unavailable + applied <= 0) return { latencyMs };
    let next = this.streams.get(operation);
    if (!next) {
      next = mulberry32((this.config.seed ^ hash(operation)) >>> 0);
      this.streams.set(operation, next);
    }
    const r = next();
    // Appended last, so a configuration without `applied` draws exactly as before.
    const kind: FaultKind | undefined =
      r < throttle ? 'throttle' : r < throttle + error ? 'error' : r < throttle + error + unavailable ? 'unavailable' : r < throttle + error + unavailable + applied ? 'applied' : undefined;
    return { kind, latencyMs };
  }
}
