import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seconds } from '../lib/format.ts';

// What keeps the bench from leaving a sandbox or its task processes behind: every section
// registers how to undo what it started, Ctrl-C runs those undo steps, and every wait is a
// condition polled against a deadline that gives up as soon as the run is interrupted.

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

const controller = new AbortController();
export const interruptSignal = controller.signal;

export const interrupt = (): void => controller.abort();

export const throwIfInterrupted = (): void => {
  if (controller.signal.aborted) throw new Interrupted();
};

interface Cleanup {
  what: string;
  run: () => Promise<void>;
}

const cleanups = new Set<Cleanup>();

/** Registers an undo step for something just started; call the returned function once it is undone. */
export const onCleanup = (what: string, run: () => Promise<void>): (() => void) => {
  const entry: Cleanup = { what, run };
  cleanups.add(entry);
  return () => cleanups.delete(entry);
};

/** Runs the outstanding undo steps, newest first; one failing does not stop the others. */
export const runCleanups = async (log: (line: string) => void): Promise<void> => {
  for (const entry of [...cleanups].reverse()) {
    cleanups.delete(entry);
    log(`stopping ${entry.what}`);
    await entry.run().catch((error: unknown) => log(`  could not stop ${entry.what}: ${error instanceof Error ? error.message : String(error)}`));
  }
};

export interface TempDir {
  path: string;
  remove(): void;
  /** Leaves the directory in place (as evidence) and no longer removes it on Ctrl-C. */
  keep(): void;
}

/** A fresh directory under the system temp dir, removed by remove() or on Ctrl-C. */
export const tempDir = (prefix: string): TempDir => {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => {
    unregister();
    rmSync(path, { recursive: true, force: true });
  };
  const unregister = onCleanup(`temporary directory ${path}`, async () => remove());
  return { path, remove, keep: unregister };
};

/** Resolves after `ms`, or at once (rejecting) when the run is interrupted. Only for pacing polls. */
const pause = (ms: number): Promise<void> =>
  new Promise((resolve, reject) => {
    if (controller.signal.aborted) {
      reject(new Interrupted());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    const timer = setTimeout(() => {
      controller.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    controller.signal.addEventListener('abort', onAbort, { once: true });
  });

export class DeadlineError extends Error {
  constructor(what: string, timeoutMs: number, lastSeen: string) {
    super(`timed out after ${seconds(timeoutMs, 0)} waiting for ${what}${lastSeen ? ` (last seen: ${lastSeen})` : ''}`);
    this.name = 'DeadlineError';
  }
}

export interface PollOptions {
  timeoutMs: number;
  /** Start-to-start interval between checks. */
  intervalMs: number;
  /** What the last check saw, for the timeout message. */
  describe?: () => string;
}

/**
 * Runs `check` every `intervalMs` (start to start) until it returns something other than
 * undefined, and returns that; throws at the deadline or on Ctrl-C.
 */
export const pollUntil = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, options: PollOptions): Promise<T> => {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    throwIfInterrupted();
    const startedAt = Date.now();
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new DeadlineError(what, options.timeoutMs, options.describe?.() ?? '');
    await pause(Math.max(0, startedAt + options.intervalMs - Date.now()));
  }
};
