// Drills that cannot pass, in process against one real sandbox: a budget no rollback meets, a
// rollback path that does nothing, and a baseline that is unhealthy before anything is touched.
// Each must reach its verdict and still leave the service steady on its baseline with nothing
// of the drill left behind. (The CLI's exit codes for the same outcomes are drills.test.ts's.)

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ofKind, readEventLog } from '../../sandbox/index.ts';
import { drill, expectInactive, expectSteadyOnBaseline, isMutating, journalContext, phaseOf, SERVICE, stage, verdictOf, type Stage } from '../support/drill-stage.ts';
import { scenarioCopy } from '../support/firedrill-cli.ts';

const MINUTE = 60_000;

let s: Stage;
beforeAll(async () => {
  // One sandbox for every case: each starts by checking that the service is steady on its baseline.
  s = await stage();
}, 2 * MINUTE);
afterAll(async () => {
  await s?.t.stop();
});

/** A shipped scenario without its browser checks (a browser launch proves nothing here), edited. */
const scenario = (shipped: string, name: string, edit: Parameters<typeof scenarioCopy>[2]) =>
  scenarioCopy(s.dir, shipped, (doc) => {
    doc.deleteIn(['smoke', 'browser']);
    edit(doc);
  }, `${name}.yaml`);

describe('drills that cannot pass', () => {
  it('a recovery budget of 1 ms fails with a clear verdict and still restores', async () => {
    await expectSteadyOnBaseline(s, 'before the drill');
    const file = scenario('bad-image-tag.yaml', 'one-ms-budget', (doc) => doc.setIn(['expectations', 'recoveryWithinSeconds'], 0.001));
    const j = await drill(s, file, { reportDir: join(s.dir, 'one-ms-budget') });
    const context = journalContext(j);
    expect(j.scenario.file).toBe(file);
    expect(j.outcome, context).toBe('failed');
    expect(j.exitCode).toBe(1);
    const recovery = verdictOf(j, 'recovery-within-budget');
    expect(recovery.passed).toBe(false);
    expect(recovery.summary).toContain('0.001 s');
    expect(recovery.evidence).toMatchObject({ budgetMs: 1 });
    expect(j.restore.ok, j.restore.state).toBe(true);
    expect(phaseOf(j, 'restore').outcome).toBe('ok');
    await expectSteadyOnBaseline(s, context);
    await expectInactive(s, [j.injected!.taskDefinitionArn]);
  }, 4 * MINUTE);

  it('a rollback path that does nothing fails the recovery verdict, and restore puts the baseline back', async () => {
    await expectSteadyOnBaseline(s, 'before the drill');
    const file = scenario('http-errors.yaml', 'rollback-does-nothing', (doc) => {
      doc.setIn(['rollback'], doc.createNode({ path: 'command', command: 'true' }));
      // Short, since verify waits out the whole budget for a recovery that never comes.
      doc.setIn(['expectations', 'recoveryWithinSeconds'], 8);
    });
    const j = await drill(s, file, { reportDir: join(s.dir, 'rollback-does-nothing') });
    const context = journalContext(j);
    expect(j.outcome, context).toBe('failed');
    expect(j.exitCode).toBe(1);
    expect(j.rollbackPath).toBe('command');
    // The gate did fire and the "rollback" ran: it is the path that failed, not the detection.
    expect(j.markers.detectedBy).toMatch(/^gate /);
    expect(j.timeline.some((o) => o.source === 'action' && o.action === 'rollback-command')).toBe(true);
    const recovery = verdictOf(j, 'recovery-within-budget');
    expect(recovery.passed).toBe(false);
    expect(recovery.summary).toContain('8 s');
    expect(j.restore.ok, j.restore.state).toBe(true);
    const badArn = j.injected!.taskDefinitionArn;
    expect(j.restore.actions).toContain(`UpdateService ${SERVICE} taskDefinition=${s.baselineArn} (it was on ${badArn})`);
    expect(j.restore.actions).toContain(`DeregisterTaskDefinition ${badArn}`);
    await expectSteadyOnBaseline(s, context);
    await expectInactive(s, [badArn]);
  }, 4 * MINUTE);
});

describe('drills that must touch nothing', () => {
  it('an unhealthy baseline ends unhealthy-baseline (exit 3) and makes no change to the service', async () => {
    const before = await expectSteadyOnBaseline(s, 'before the drill');
    const file = scenario('bad-image-tag.yaml', 'teapot-baseline', (doc) => {
      doc.setIn(['smoke'], doc.createNode({ http: [{ name: 'a teapot', path: '/api/version', status: 418 }] }));
    });
    const started = Date.now();
    const j = await drill(s, file, { reportDir: join(s.dir, 'teapot-baseline') });
    const context = journalContext(j);
    expect(j.outcome, context).toBe('unhealthy-baseline');
    expect(j.exitCode).toBe(3);
    expect(j.problems.join('\n')).toMatch(/smoke checks failed before anything was touched: a teapot/);
    expect(j.markers.injectAt).toBeUndefined();

    const after = readEventLog(s.t.sandbox.eventLogPath).filter((e) => e.epochMs >= started);
    const calls = ofKind(after, 'api.call');
    expect(calls.length).toBeGreaterThan(0); // it did look
    expect(calls.filter(isMutating)).toEqual([]);
    const svc = await expectSteadyOnBaseline(s, context);
    // The lock it took is the one thing it gives back.
    expect(j.restore).toEqual({ ok: true, state: 'nothing was touched', actions: [`released the drill lock on ${svc.serviceArn}`] });
    expect(svc.deployments![0]!.id).toBe(before.deployments![0]!.id);
  }, 4 * MINUTE);
});
