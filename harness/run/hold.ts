// A test and debugging aid, not a feature: FIREDRILL_HOLD_AT=<point> stops a drill at that point
// until the process is killed or the drill is interrupted. Some phases last milliseconds, so a
// crash test cannot reliably land a kill inside them by watching the output; with the hold it
// lands there every time.
//
// On reaching the point the drill writes <run dir>/held-at-<point> (its pid inside) and waits.
// An abort (Ctrl-C, SIGTERM) still ends the wait, and the drill goes on to restore as always; the
// marker is removed then, so it never ends up in the evidence bundle.

import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PHASES, type Phase } from '../observe/timeline.ts';
import { DrillStop } from '../journal/outcome.ts';

export const HOLD_ENV = 'FIREDRILL_HOLD_AT';

/**
 * Besides the start of each phase: `inject:registered`, after RegisterTaskDefinition answered and
 * before its ARN is recorded anywhere. A kill there is a kill with the registration in flight:
 * the revision exists and only its `firedrill:run` tag says whose it is.
 */
export const HOLD_POINTS = [...PHASES, 'inject:registered'] as const;
export type HoldPoint = Phase | 'inject:registered';

/** The point named by FIREDRILL_HOLD_AT, if any; a name that is no point is bad input. */
export const holdPoint = (env: NodeJS.ProcessEnv = process.env): HoldPoint | undefined => {
  const value = env[HOLD_ENV];
  if (value === undefined || value === '') return undefined;
  if (!(HOLD_POINTS as readonly string[]).includes(value)) {
    throw new DrillStop('invalid', `${HOLD_ENV}=${value} names no hold point; use one of ${HOLD_POINTS.join(', ')} (a test aid: unset it for real drills)`);
  }
  return value as HoldPoint;
};

export const holdMarker = (runDir: string, point: HoldPoint): string => join(runDir, `held-at-${point.replace(':', '-')}`);

/** Holds when FIREDRILL_HOLD_AT names `point`: resolves once `signal` aborts (immediately if it already has). */
export const holdIfAsked = async (point: HoldPoint, runDir: string, signal: AbortSignal | undefined, announce: (what: string) => void): Promise<void> => {
  if (holdPoint() !== point) return;
  const marker = holdMarker(runDir, point);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(marker, `${JSON.stringify({ point, pid: process.pid, at: new Date().toISOString() })}\n`);
  announce(`${HOLD_ENV}=${point}: held until the process is killed or interrupted (a test aid)`);
  try {
    await new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      // A pending promise alone does not keep Node running; the timer does, until the abort.
      const keepAlive = setInterval(() => undefined, 60_000);
      signal?.addEventListener(
        'abort',
        () => {
          clearInterval(keepAlive);
          resolve();
        },
        { once: true },
      );
    });
  } finally {
    rmSync(marker, { force: true });
  }
};
