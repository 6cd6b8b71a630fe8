// The restore ticket on disk: written whole, read back or refused with a reason, and whose drill
// counts as alive. And the hold points a test can ask for.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleFiles } from '../../harness/evidence/manifest.ts';
import { holdPoint, HOLD_POINTS } from '../../harness/run/hold.ts';
import { currentOwner, needsRecovery, ownerState, readTicket, TICKET_FILE, TicketWriter, ticketsIn } from '../../harness/run/restore-ticket.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'firedrill-ticket-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const writer = (reportDir: string, runId = 'run-1') =>
  new TicketWriter(join(reportDir, runId, TICKET_FILE), {
    runId,
    environment: { file: '/envs/sandbox.yaml', name: 'sandbox', kind: 'sandbox', endpoint: 'http://127.0.0.1:4599', region: 'us-east-1', cluster: 'firedrill' },
    serviceName: 'demo',
    restoreTimeoutMs: 60_000,
    pollIntervalMs: 250,
  });

describe('restore ticket', () => {
  it('is written on every update, read back, and needs recovery until restored with the lock released', () => {
    const reportDir = tempDir();
    const w = writer(reportDir);
    w.update({ phase: 'inject', touched: true, baselineTaskDefinitionArn: 'arn:td/web:1', family: 'web', lockHeld: true });
    w.update({ registered: ['arn:td/web:2'] });
    const [found, ...others] = ticketsIn(reportDir);
    expect(others).toEqual([]);
    expect(found!.read.ok).toBe(true);
    const ticket = found!.read.ok ? found!.read.ticket : undefined;
    expect(ticket).toMatchObject({ runId: 'run-1', phase: 'inject', touched: true, registered: ['arn:td/web:2'], lockHeld: true, restored: false });
    expect(ticket!.owner.pid).toBe(process.pid);
    expect(needsRecovery(ticket!)).toBe(true);
    w.update({ restored: true });
    expect(needsRecovery(w.current)).toBe(true); // the lock may still be held
    w.update({ lockHeld: false });
    expect(needsRecovery(w.current)).toBe(false);
    expect(readdirSync(dirname(w.path)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a damaged or foreign ticket with a reason instead of guessing', () => {
    const reportDir = tempDir();
    const w = writer(reportDir);
    w.update({});
    writeFileSync(w.path, readFileSync(w.path, 'utf8').slice(0, 40));
    const damaged = readTicket(w.path);
    expect(damaged.ok).toBe(false);
    expect(!damaged.ok && damaged.problem).toContain('cannot read');
    writeFileSync(w.path, JSON.stringify({ ticketVersion: 1, runId: 'x' }));
    const partial = readTicket(w.path);
    expect(!partial.ok && partial.problem).toMatch(/missing or wrong serviceName, environment, registered, restored, owner/);
    writeFileSync(w.path, JSON.stringify({ ticketVersion: 99 }));
    expect(readTicket(w.path)).toMatchObject({ ok: false, problem: expect.stringContaining('ticketVersion 99') });
  });

  it('is not sealed into the evidence bundle: recover may rewrite it after the manifest', () => {
    const reportDir = tempDir();
    const w = writer(reportDir);
    w.update({});
    writeFileSync(join(reportDir, 'run-1', 'journal.json'), '{}');
    expect(bundleFiles(join(reportDir, 'run-1'))).toEqual(['journal.json']);
  });

  it('knows a live owner from a dead one, a reused pid and another host', () => {
    expect(ownerState(currentOwner())).toBe('alive');
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    expect(ownerState({ ...currentOwner(), pid: Number(exited.stdout) })).toBe('dead');
    if (currentOwner().startTicks) expect(ownerState({ ...currentOwner(), startTicks: '1' })).toBe('dead');
    if (currentOwner().bootId) expect(ownerState({ ...currentOwner(), bootId: 'another-boot' })).toBe('dead');
    expect(ownerState({ ...currentOwner(), host: `${hostname()}-elsewhere` })).toBe('unknown');
  });
});

describe('FIREDRILL_HOLD_AT', () => {
  it('names a phase or inject:registered; anything else is bad input', () => {
    expect(holdPoint({})).toBeUndefined();
    expect(holdPoint({ FIREDRILL_HOLD_AT: 'gate' })).toBe('gate');
    expect(holdPoint({ FIREDRILL_HOLD_AT: 'inject:registered' })).toBe('inject:registered');
    expect(HOLD_POINTS).toContain('report');
    expect(() => holdPoint({ FIREDRILL_HOLD_AT: 'gates' })).toThrow(/names no hold point; use one of preflight, baseline/);
  });
});
