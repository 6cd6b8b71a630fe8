// The phase machine in process against a real sandbox: runDrill with a driver, no CLI, no
// Playwright, no Chromium. An interrupt lands at the start of every phase (the progress callback
// fires as a phase begins, before its interrupt point), and in the middle of the waits of gate:
// the phase is marked interrupted, the phases after it never start, restore (preflight's
// teardown) runs and is not cut short, and the service ends steady on its baseline with nothing
// of the drill left behind. The journal is written and sealed every time, and the ticket says the
// drill restored the service itself, so recover finds nothing to do. (How the CLI turns SIGINT and
// SIGTERM into this interrupt is crash-safety.test.ts's and drills.test.ts's to show.)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverCommand } from '../../harness/cli/commands/recover.ts';
import { verifyBundle } from '../../harness/evidence/bundle.ts';
import { readManifest } from '../../harness/evidence/manifest.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import type { Phase } from '../../harness/observe/timeline.ts';
import type { Progress } from '../../harness/run/drill.ts';
import { holdMarker } from '../../harness/run/hold.ts';
import { readTicket, TICKET_FILE } from '../../harness/run/restore-ticket.ts';
import { drill, expectInactive, expectSteadyOnBaseline, stage, type Stage } from '../support/drill-stage.ts';
import { scenarioCopy } from '../support/firedrill-cli.ts';

const MINUTE = 60_000;
const BEFORE_RESTORE: Phase[] = ['preflight', 'baseline', 'inject', 'gate', 'rollback', 'verify'];

let s: Stage;
let scenarioFile: string;
beforeAll(async () => {
  // One sandbox for every case: each starts by checking the service is steady on its baseline.
  s = await stage();
  // The fastest real drill: a missing image tag under the circuit breaker, HTTP smoke only.
  scenarioFile = scenarioCopy(s.dir, 'bad-image-tag.yaml', (doc) => doc.deleteIn(['smoke', 'browser']));
}, 2 * MINUTE);
afterAll(async () => {
  await s?.t.stop();
});

/** Runs the drill, aborting it the first time `when` says so. */
const drillInterrupted = async (when: (p: Progress) => boolean): Promise<{ journal: Journal; at?: Progress }> => {
  const interrupt = new AbortController();
  let at: Progress | undefined;
  const journal = await drill(s, scenarioFile, {
    signal: interrupt.signal,
    progress: (p) => {
      if (!at && when(p)) {
        at = p;
        interrupt.abort();
      }
    },
  });
  return { journal, at };
};

const phaseOf = (j: Journal, phase: Phase) => j.phases.find((p) => p.phase === phase);

/**
 * What a drill that restored by itself leaves: its ticket marked restored by the drill with no
 * lock, a sealed bundle that verifies (without the ticket, which recover may rewrite), no hold
 * marker, and nothing for `firedrill recover` to do.
 */
const expectRestoredByItself = async (j: Journal, phase: Phase, context: string) => {
  const runDir = join(s.reportDir, j.runId);
  const ticket = readTicket(join(runDir, TICKET_FILE));
  expect(ticket.ok && ticket.ticket, context).toMatchObject({ restored: true, restoredBy: 'drill', lockHeld: false });
  const manifest = readManifest(runDir);
  expect(manifest.ok && manifest.manifest.files.map((f) => f.path), context).not.toContain(TICKET_FILE);
  expect(verifyBundle(runDir), context).toMatchObject({ ok: true });
  expect(existsSync(holdMarker(runDir, phase)), 'no hold marker').toBe(false);
  let out = '';
  expect(await recoverCommand(['--report-dir', s.reportDir], (text) => (out += text)), out).toBe(0);
  expect(out, context).toMatch(/^firedrill recover: nothing to recover in /);
};

describe('an interrupt in each phase', () => {
  for (const phase of BEFORE_RESTORE) {
    it(`at the start of ${phase}: ${phase} is interrupted, nothing after it runs, restore puts everything back`, async () => {
      await expectSteadyOnBaseline(s, 'before the drill');
      const { journal: j } = await drillInterrupted((p) => p.phase === phase);
      const context = JSON.stringify({ phases: j.phases, problems: j.problems, restore: j.restore }, null, 2);
      expect(j.outcome, context).toBe('interrupted');
      expect(j.exitCode).toBe(1);
      expect(phaseOf(j, phase)?.outcome, context).toBe('interrupted');
      const ran = j.phases.map((p) => p.phase);
      expect(ran, context).toEqual([...BEFORE_RESTORE.slice(0, BEFORE_RESTORE.indexOf(phase) + 1), 'restore', 'report']);
      expect(phaseOf(j, 'restore')?.outcome, context).toBe('ok');
      expect(j.restore.ok, j.restore.state).toBe(true);
      expect(j.problems, context).toContain(`interrupted during ${phase}`);
      const registered = j.injected?.taskDefinitionArn;
      const touched = BEFORE_RESTORE.indexOf(phase) > BEFORE_RESTORE.indexOf('inject');
      expect(Boolean(registered), context).toBe(touched);
      expect(j.restore.state, context).toBe(touched ? `steady on the baseline ${s.baselineArn}` : 'nothing was touched');
      // The lock was taken in preflight, so every phase after it gives it back.
      expect(j.restore.actions.some((a) => a.startsWith('released the drill lock on ')), context).toBe(phase !== 'preflight');
      await expectSteadyOnBaseline(s, context);
      if (registered) await expectInactive(s, [registered]);
      await expectRestoredByItself(j, phase, context);
    }, 4 * MINUTE);
  }

  it('while gate waits for a failure signal: the bad release is rolled back by restore, not by the drill', async () => {
    await expectSteadyOnBaseline(s, 'before the drill');
    const { journal: j, at } = await drillInterrupted((p) => p.phase === 'gate' && p.waitingFor !== undefined);
    const context = JSON.stringify({ at, phases: j.phases, problems: j.problems, restore: j.restore }, null, 2);
    expect(at?.waitingFor, context).toMatch(/failure signal/);
    expect(j.outcome, context).toBe('interrupted');
    expect(phaseOf(j, 'gate')?.outcome, context).toBe('interrupted');
    expect(phaseOf(j, 'rollback'), context).toBeUndefined();
    expect(j.restore.ok, j.restore.state).toBe(true);
    await expectSteadyOnBaseline(s, context);
    await expectInactive(s, [j.injected!.taskDefinitionArn]);
  }, 4 * MINUTE);

  it('at the start of restore: the interrupt comes too late to matter; restore finishes and the drill passes', async () => {
    await expectSteadyOnBaseline(s, 'before the drill');
    const { journal: j } = await drillInterrupted((p) => p.phase === 'restore');
    const context = JSON.stringify({ phases: j.phases, problems: j.problems, restore: j.restore, verdicts: j.verdicts }, null, 2);
    expect(j.outcome, context).toBe('passed');
    expect(j.phases.map((p) => [p.phase, p.outcome]), context).toEqual([...BEFORE_RESTORE, 'restore', 'report'].map((p) => [p, 'ok']));
    expect(j.restore.state).toBe(`steady on the baseline ${s.baselineArn}`);
    await expectSteadyOnBaseline(s, context);
    await expectInactive(s, [j.injected!.taskDefinitionArn]);
    await expectRestoredByItself(j, 'restore', context);
  }, 4 * MINUTE);
});
