// What the ECS API put the harness through: per operation, the calls made, the attempts the
// SDK's retry strategy needed, the error codes each failed attempt returned, and the calls that
// failed for good. A drill's journal carries these, so a run that survived throttling or 5xx
// says so instead of hiding it in its timings.
//
// Two middlewares on the client's stack: one around the whole command (a call), one inside the
// retry loop (an attempt). Nothing is changed on the way through.

import type { ECSClient } from '@aws-sdk/client-ecs';

export interface ApiOperationStats {
  /** Commands sent (one per `client.send`). */
  calls: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Attempts after the first, i.e. retries the SDK made. */
  retries: number;
  /** Calls that failed after every retry. */
  failed: number;
  /** Error code (ThrottlingException, ServerException, ECONNRESET ...) -> attempts that returned it. */
  errors: Record<string, number>;
}

export interface ApiStats extends ApiOperationStats {
  byOperation: Record<string, ApiOperationStats>;
}

const empty = (): ApiOperationStats => ({ calls: 0, attempts: 0, retries: 0, failed: 0, errors: {} });

/** The code of a failed attempt: the service's error code, else the network error's. */
export const errorCodeOf = (error: unknown): string => {
  const e = error as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (e && typeof e.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
  const status = e?.$metadata?.httpStatusCode;
  return status ? `HTTP ${status}` : 'UnknownError';
};

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);
// A connection dropped or timed out mid-call. Not ECONNREFUSED or ENOTFOUND: nobody is listening
// there, and hammering it until a deadline only delays the report of what state was left.
const NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** Throttling, a server-side failure or a dropped connection: what the retry strategy exists for. */
export const isTransientCode = (code: string): boolean => THROTTLING.has(code) || NETWORK.has(code) || /^(ServerException|ServiceUnavailable|InternalFailure|HTTP 5\d\d)/.test(code);

const addInto = (target: ApiOperationStats, source: ApiOperationStats, sign: 1 | -1): void => {
  target.calls += sign * source.calls;
  target.attempts += sign * source.attempts;
  target.retries += sign * source.retries;
  target.failed += sign * source.failed;
  for (const [code, n] of Object.entries(source.errors)) target.errors[code] = (target.errors[code] ?? 0) + sign * n;
};

const prune = (s: ApiOperationStats): ApiOperationStats => ({ ...s, errors: Object.fromEntries(Object.entries(s.errors).filter(([, n]) => n !== 0)) });

export class ApiCounter {
  private readonly ops = new Map<string, ApiOperationStats>();
  private readonly attemptsOf = new WeakMap<object, number>();

  private op(name: string): ApiOperationStats {
    let s = this.ops.get(name);
    if (!s) this.ops.set(name, (s = empty()));
    return s;
  }

  call(operation: string): void {
    this.op(operation).calls++;
  }

  failedCall(operation: string): void {
    this.op(operation).failed++;
  }

  /** One attempt of the call identified by `context`; the first attempt of a call is not a retry. */
  attempt(operation: string, context: object): void {
    const s = this.op(operation);
    const n = (this.attemptsOf.get(context) ?? 0) + 1;
    this.attemptsOf.set(context, n);
    s.attempts++;
    if (n > 1) s.retries++;
  }

  error(operation: string, code: string): void {
    const s = this.op(operation);
    s.errors[code] = (s.errors[code] ?? 0) + 1;
  }

  snapshot(): ApiStats {
    const total: ApiStats = { ...empty(), byOperation: {} };
    for (const [name, s] of [...this.ops.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      total.byOperation[name] = { ...s, errors: { ...s.errors } };
      addInto(total, s, 1);
    }
    return total;
  }

  /** What happened since `before` (a snapshot of this counter): one drill's share of a shared client. */
  since(before: ApiStats | undefined): ApiStats {
    const now = this.snapshot();
    if (!before) return now;
    const out: ApiStats = { ...empty(), byOperation: {} };
    for (const [name, s] of Object.entries(now.byOperation)) {
      const d = { ...s, errors: { ...s.errors } };
      const b = before.byOperation[name];
      if (b) addInto(d, b, -1);
      const pruned = prune(d);
      if (pruned.calls > 0 || pruned.attempts > 0 || pruned.failed > 0) out.byOperation[name] = pruned;
    }
    for (const s of Object.values(out.byOperation)) addInto(out, s, 1);
    return { ...prune(out), byOperation: out.byOperation };
  }
}

type Stack = ECSClient['middlewareStack'];
type Middleware = Parameters<Stack['addRelativeTo']>[0];
type Next = (args: unknown) => Promise<unknown>;
type Context = { commandName?: string };

const operationOf = (context: Context): string => (context.commandName ?? 'Unknown').replace(/Command$/, '');

/** One function for both steps: the stack's overloads differ only in the handler types, which this does not look into. */
const middleware = (around: (operation: string, context: object, run: () => Promise<unknown>) => Promise<unknown>): Middleware =>
  ((next: Next, context: Context) => (args: unknown) => around(operationOf(context), context, () => next(args))) as unknown as Middleware;

const counters = new WeakMap<object, ApiCounter>();

/** The counter a client was given by `countApiCalls`, if any. */
export const apiCounterOf = (client: object): ApiCounter | undefined => counters.get(client);

const install = (stack: Stack, counter: ApiCounter): void => {
  (stack.add as (m: Middleware, o: { step: 'initialize'; name: string; priority: 'high'; override: boolean }) => void)(
    middleware(async (operation, _context, run) => {
      counter.call(operation);
      try {
        return await run();
      } catch (error) {
        counter.failedCall(operation);
        throw error;
      }
    }),
    { step: 'initialize', name: 'firedrillApiCalls', priority: 'high', override: true },
  );
  stack.addRelativeTo(
    middleware(async (operation, context, run) => {
      counter.attempt(operation, context);
      try {
        return await run();
      } catch (error) {
        counter.error(operation, errorCodeOf(error));
        throw error;
      }
    }),
    // Inside the retry loop: it sees every attempt and the error each one returned.
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'firedrillApiAttempts', override: true },
  );
};

/** Counts `client`'s calls, attempts and errors from now on; `apiCounterOf(client)` reads them. */
export const countApiCalls = (client: ECSClient): ApiCounter => {
  const existing = counters.get(client);
  if (existing) return existing;
  const counter = new ApiCounter();
  install(client.middlewareStack, counter);
  counters.set(client, counter);
  return counter;
};
