// The restore ticket: what `firedrill recover` needs to put a service back when the drill that
// touched it died without restoring (SIGKILL, an OOM kill, a machine that went down). The journal
// is written once, at the end, so a dead drill leaves none; the ticket is written before anything
// is touched and rewritten after every change, so it always says what may need undoing.
//
// It lives at <report dir>/<run id>/restore-ticket.json. It is working state, not evidence: recover
// rewrites it after the run's bundle was sealed, so the manifest leaves it out (see
// harness/evidence/manifest.ts); the journal stays the record of what the drill did.
// It holds names, ARNs and the environment's coordinates only: never credentials or values.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/fs/write-file-atomic.ts';
import { RESTORE_TICKET_FILE } from '../evidence/manifest.ts';
import type { Phase } from '../observe/timeline.ts';

/** The manifest leaves this file out of the sealed bundle; one name for both. */
export const TICKET_FILE = RESTORE_TICKET_FILE;
export const TICKET_VERSION = 1;

/** Which process owns a ticket: recover leaves a run alone while its drill is still alive. */
export interface TicketOwner {
  host: string;
  pid: number;
  /** Linux: /proc/sys/kernel/random/boot_id. After a reboot every old pid is dead, whatever now runs under it. */
  bootId?: string;
  /** Linux: the process's start time (clock ticks since boot), so a reused pid is not mistaken for the drill. */
  startTicks?: string;
}

export interface RestoreTicket {
  ticketVersion: number;
  runId: string;
  createdAt: string;
  updatedAt: string;
  owner: TicketOwner;
  environment: { file: string; name: string; kind: string; endpoint?: string; region: string; cluster: string };
  serviceName: string;
  /** Known once preflight (or the lock) has described the service; recover describes it by name otherwise. */
  serviceArn?: string;
  /** Restore's deadline and poll interval, from the environment the drill ran with. */
  restoreTimeoutMs: number;
  pollIntervalMs: number;
  /** The phase the drill was in when the ticket was last written. */
  phase: Phase;
  /** Set before the first change to the service or its task definitions; false means nothing but the lock can need undoing. */
  touched: boolean;
  baselineTaskDefinitionArn?: string;
  /** The family the drill registers its bad release in: recover searches it for revisions tagged with this run. */
  family?: string;
  /** Task definitions the drill registered and learnt the ARN of. */
  registered: string[];
  /**
   * Whether the drill may hold the drill lock (harness/safety/lock.ts). Set before acquiring and
   * cleared after releasing: releaseLock is a no-op for a lock this run does not hold, so "may" is safe.
   */
  lockHeld: boolean;
  /** The service is back on its baseline, the registered task definitions are deregistered. */
  restored: boolean;
  restoredAt?: string;
  restoredBy?: 'drill' | 'recover';
  /** What the last `firedrill recover` did with this run, successful or not. */
  recovery?: { at: string; ok: boolean; actions: string[]; state: string; durationMs: number };
}

export type TicketPatch = Partial<Omit<RestoreTicket, 'ticketVersion' | 'runId' | 'createdAt' | 'updatedAt' | 'owner'>>;

const readProc = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses. */
const statFields = (pid: number): string[] | undefined => {
  const stat = readProc(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
};

/** Field 22 (start time) of /proc/<pid>/stat. */
const startTicksOf = (pid: number): string | undefined => statFields(pid)?.[19];

export const currentOwner = (): TicketOwner => {
  const bootId = readProc('/proc/sys/kernel/random/boot_id')?.trim();
  const startTicks = startTicksOf(process.pid);
  return { host: hostname(), pid: process.pid, ...(bootId ? { bootId } : {}), ...(startTicks ? { startTicks } : {}) };
};

/**
 * Whether the ticket's owner is still running: 'alive', 'dead', or 'unknown' when it ran on
 * another host (its process table is not ours to read).
 */
export const ownerState = (owner: TicketOwner): 'alive' | 'dead' | 'unknown' => {
  if (owner.host !== hostname()) return 'unknown';
  const here = currentOwner();
  if (owner.bootId && here.bootId && owner.bootId !== here.bootId) return 'dead';
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: some process runs under that pid (another user's); the start time below decides.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  const fields = statFields(owner.pid);
  // A zombie still answers kill(pid, 0) but will never restore anything.
  if (fields?.[0] === 'Z') return 'dead';
  if (owner.startTicks && fields?.[19] !== undefined && fields[19] !== owner.startTicks) return 'dead';
  return 'alive';
};

/**
 * Written so that a reader finds the old ticket or the new one, never half of either, and so the
 * new one survives a power cut once this returns: temporary file, fsync, rename, fsync the folder.
 */
export const writeTicket = (path: string, ticket: RestoreTicket): void => {
  writeFileAtomic(path, JSON.stringify(ticket, null, 2) + '\n', { durable: true });
};

export type ReadTicket = { ok: true; ticket: RestoreTicket } | { ok: false; problem: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const readTicket = (path: string): ReadTicket => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { ok: false, problem: `cannot read ${path}: ${(error as Error).message}` };
  }
  if (!isRecord(parsed)) return { ok: false, problem: `${path} is not a restore ticket: it holds no JSON object` };
  if (parsed['ticketVersion'] !== TICKET_VERSION) return { ok: false, problem: `${path} has ticketVersion ${JSON.stringify(parsed['ticketVersion'])}; this firedrill reads version ${TICKET_VERSION}` };
  const env = parsed['environment'];
  const missing = [
    typeof parsed['runId'] !== 'string' && 'runId',
    typeof parsed['serviceName'] !== 'string' && 'serviceName',
    !isRecord(env) && 'environment',
    isRecord(env) && typeof env['cluster'] !== 'string' && 'environment.cluster',
    isRecord(env) && typeof env['region'] !== 'string' && 'environment.region',
    !Array.isArray(parsed['registered']) && 'registered',
    typeof parsed['restored'] !== 'boolean' && 'restored',
    !isRecord(parsed['owner']) && 'owner',
  ].filter(Boolean);
  if (missing.length > 0) return { ok: false, problem: `${path} is not a usable restore ticket: missing or wrong ${missing.join(', ')}` };
  return { ok: true, ticket: parsed as unknown as RestoreTicket };
};

/** The ticket of every run folder directly under `reportDir`, by run folder name. */
export const ticketsIn = (reportDir: string): Array<{ path: string; read: ReadTicket }> => {
  if (!existsSync(reportDir)) return [];
  return readdirSync(reportDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(reportDir, e.name, TICKET_FILE)))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const path = join(reportDir, name, TICKET_FILE);
      return { path, read: readTicket(path) };
    });
};

/** Whether recover has anything to do for this ticket: an unfinished restore, or a lock that may still be held. */
export const needsRecovery = (ticket: RestoreTicket): boolean => !ticket.restored || ticket.lockHeld;

/** The drill's handle on its ticket: every update is written through at once. */
export class TicketWriter {
  private ticket: RestoreTicket;

  constructor(
    readonly path: string,
    initial: Omit<RestoreTicket, 'ticketVersion' | 'createdAt' | 'updatedAt' | 'owner' | 'registered' | 'touched' | 'lockHeld' | 'restored' | 'phase'>,
  ) {
    const now = new Date().toISOString();
    this.ticket = {
      ticketVersion: TICKET_VERSION,
      ...initial,
      createdAt: now,
      updatedAt: now,
      owner: currentOwner(),
      phase: 'preflight',
      touched: false,
      registered: [],
      lockHeld: false,
      restored: false,
    };
  }

  get current(): Readonly<RestoreTicket> {
    return this.ticket;
  }

  /** Applies the patch and writes the ticket; throws when it cannot be written. */
  update(patch: TicketPatch): void {
    this.ticket = { ...this.ticket, ...patch, updatedAt: new Date().toISOString() };
    writeTicket(this.path, this.ticket);
  }
}
