// The drill lock: one drill per service at a time, held as tags on the ECS service itself, so
// every harness that can touch the service sees it, whatever machine it runs on.
//
// ECS tags have no compare-and-swap. A taker writes its tags, then reads them back: when two
// drills race, the last writer holds the lock and the other sees a foreign run id and backs off.

import type { Tag } from '@aws-sdk/client-ecs';
import type { Driver, Persist } from '../ecs/driver.ts';

export const LOCK_TAG = 'firedrill:lock';
export const LOCK_HOLDER_TAG = 'firedrill:lock-holder';
export const LOCK_EXPIRES_TAG = 'firedrill:lock-expires';
const LOCK_KEYS = [LOCK_TAG, LOCK_HOLDER_TAG, LOCK_EXPIRES_TAG];

export interface LockInfo {
  runId: string;
  holder: string;
  /** Epoch ms; NaN when the tag is garbled (treated as expired). */
  expiresAt: number;
}

export type LockState = { state: 'free' } | { state: 'held'; lock: LockInfo } | { state: 'expired'; lock: LockInfo };

/** What the service's tags say about the lock at `now`. Pure. */
export const readLock = (tags: Tag[], now: number): LockState => {
  const value = (key: string): string | undefined => tags.find((t) => t.key === key)?.value;
  const runId = value(LOCK_TAG);
  if (!runId) return { state: 'free' };
  const expiresAt = Date.parse(value(LOCK_EXPIRES_TAG) ?? '');
  const lock = { runId, holder: value(LOCK_HOLDER_TAG) ?? 'unknown', expiresAt };
  return Number.isFinite(expiresAt) && expiresAt > now ? { state: 'held', lock } : { state: 'expired', lock };
};

/** ECS tag values allow letters, digits, spaces and `+ - = . _ : / @`; anything else becomes `_`. */
export const tagValue = (text: string): string => text.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '_').slice(0, 256);

export const lockTags = (lock: { runId: string; holder: string; expiresAt: number }): Tag[] => [
  { key: LOCK_TAG, value: tagValue(lock.runId) },
  { key: LOCK_HOLDER_TAG, value: tagValue(lock.holder) },
  { key: LOCK_EXPIRES_TAG, value: new Date(lock.expiresAt).toISOString() },
];

export const describeLock = (lock: LockInfo): string =>
  `run ${lock.runId} by ${lock.holder}, ${Number.isFinite(lock.expiresAt) ? `expires ${new Date(lock.expiresAt).toISOString()}` : 'with no valid expiry'}`;

export class LockHeldError extends Error {
  constructor(readonly lock: LockInfo, serviceArn: string) {
    super(
      `another drill holds the lock on ${serviceArn}: ${describeLock(lock)}. Wait for it to finish, or if that drill is dead, ` +
        `run \`firedrill recover\` where it ran, or remove the tags ${LOCK_KEYS.join(', ')} from the service.`,
    );
    this.name = 'LockHeldError';
  }
}

export interface AcquireOptions {
  serviceArn: string;
  runId: string;
  holder: string;
  /** How long the lock holds without its drill: past it, another drill may take it over. */
  ttlMs: number;
}

export interface Acquired {
  /** Set when an expired lock was taken over: the caller warns about it. */
  tookOver?: LockInfo;
}

/** Takes the lock, riding out throttling until `call.deadline`; LockHeldError when another drill holds it. */
export const acquireLock = async (driver: Driver, options: AcquireOptions, call: Persist): Promise<Acquired> => {
  const before = readLock(await driver.listTags(options.serviceArn, call), driver.now());
  if (before.state === 'held' && before.lock.runId !== options.runId) throw new LockHeldError(before.lock, options.serviceArn);
  const mine = { runId: options.runId, holder: options.holder, expiresAt: driver.now() + options.ttlMs };
  await driver.tagResource(options.serviceArn, lockTags(mine), call);
  const after = readLock(await driver.listTags(options.serviceArn, call), driver.now());
  if (after.state !== 'free' && after.lock.runId !== tagValue(options.runId)) throw new LockHeldError(after.lock, options.serviceArn);
  return before.state === 'expired' ? { tookOver: before.lock } : {};
};

/** Removes the lock when `runId` holds it; a lock taken over by another drill is left alone. Returns whether it released. */
export const releaseLock = async (driver: Driver, serviceArn: string, runId: string, call: Persist): Promise<boolean> => {
  const current = readLock(await driver.listTags(serviceArn, call), Number.NEGATIVE_INFINITY);
  if (current.state === 'free' || current.lock.runId !== tagValue(runId)) return false;
  await driver.untagResource(serviceArn, LOCK_KEYS, call);
  return true;
};

/** Who holds a lock, as its tag says: user@host, and the CI run when there is one. */
export const lockHolder = (user: string, host: string, env: NodeJS.ProcessEnv = process.env): string =>
  `${user}@${host}${env['GITHUB_RUN_ID'] ? ` gh-run ${env['GITHUB_RUN_ID']}` : ''}`;
