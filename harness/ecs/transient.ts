// Past the SDK's retries: a call that must succeed before a deadline (restore's steps) keeps
// trying while ECS keeps answering with throttling or server errors. Anything else (a bad
// request, a missing service, a failed deployment, the deadline itself) ends it at once.

import { errorCodeOf, isTransientCode } from './api-stats.ts';

/** Throttling, a 5xx or a dropped connection: worth another try once the SDK has given up. */
export const isTransientError = (error: unknown): boolean => {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return (status !== undefined && status >= 500) || isTransientCode(errorCodeOf(error));
};

export interface PersistOptions {
  /** Epoch ms after which the last transient error is thrown. */
  deadline: number;
  now?: () => number;
  /** Told about each transient error that is about to be retried. */
  onRetry?: (error: unknown, attempt: number) => void;
  /** An abort ends the retries: the last error is thrown. */
  signal?: AbortSignal;
}

/** Runs `body` until it succeeds, it fails for a reason other than a transient one, or the deadline passes. */
export const persist = async <T>(body: (remainingMs: number) => Promise<T>, options: PersistOptions): Promise<T> => {
  const now = options.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    try {
      return await body(Math.max(0, options.deadline - now()));
    } catch (error) {
      if (!isTransientError(error)) throw error;
      // Backoff grows to 2 s: the SDK has just spent its own backoff, ECS needs room, the deadline still counts.
      const pause = Math.min(2000, 250 * 2 ** Math.min(attempt - 1, 3));
      if (now() + pause >= options.deadline || options.signal?.aborted) throw error;
      options.onRetry?.(error, attempt);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
};
