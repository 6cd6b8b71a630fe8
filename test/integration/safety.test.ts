// The guards against a sandbox this test started: the drill lock (held, expired), the account
// allow-list, the production guard, the blast-radius cap, a phase deadline and a reply lost after
// ECS applied the call. Refusals go through `firedrill run` and `firedrill plan`, for their exit
// codes and messages; drills that run go through runDrill in this process, as drill-phases.test.ts
// does. A refused drill must leave no trace in the sandbox's event log beyond reads; one that runs
// must leave the service on its baseline with no lock.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_EXPIRES_TAG, LOCK_HOLDER_TAG, LOCK_TAG } from '../../harness/safety/lock.ts';
import { ofKind, readEventLog } from '../../sandbox/index.ts';
import { seedWhere } from '../support/faults.ts';
import { CLUSTER, drill, expectInactive, expectSteadyOnBaseline, isMutating, journalContext, run, SERVICE, stage, type Stage } from '../support/drill-stage.ts';
import { cleanUpFiredrill, describeRun, journalsIn, runFiredrill, scenarioCopy } from '../support/firedrill-cli.ts';

const MINUTE = 60_000;
const LOCK_KEYS = [LOCK_TAG, LOCK_HOLDER_TAG, LOCK_EXPIRES_TAG];

let s: Stage;
let serviceArn: string;
/** bad-image-tag with HTTP smoke only: a browser launch adds seconds and proves nothing here. */
let fastScenario: string;

beforeAll(async () => {
  s = await stage();
  serviceArn = s.serviceArn;
  fastScenario = scenarioCopy(s.dir, 'bad-image-tag.yaml', (doc) => doc.deleteIn(['smoke', 'browser']));
}, 3 * MINUTE);

afterEach(async () => {
  await s.t.ecs.send(new UntagResourceCommand({ resourceArn: serviceArn, tagKeys: LOCK_KEYS }));
});

afterAll(async () => {
  // Kills any command left running and removes the stage's folder, so only after the last test.
  await cleanUpFiredrill();
  await s?.t.stop();
});

/** An environment file like the stage's, with some lines replaced. */
const environmentWith = (name: string, replace: Record<string, string>): string => {
  let text = `${[
    `name: ${name}`,
    'kind: sandbox',
    `endpoint: ${s.t.sandbox.endpoint}`,
    `region: ${s.t.sandbox.region}`,
    `cluster: ${CLUSTER}`,
    'allowedAccountIds: ["000000000000"]',
    'services:',
    '  demo:',
    `    service: ${SERVICE}`,
    `    url: ${s.t.demoUrl}`,
    'probe: { intervalMs: 500, timeoutMs: 2000 }',
    'poll: { intervalMs: 250 }',
    'timeouts: { baselineSeconds: 60, restoreSeconds: 120, drillSeconds: 900 }',
    'sandbox: { embedded: false }',
  ].join('\n')}\n`;
  for (const [from, to] of Object.entries(replace)) {
    if (!text.includes(from)) throw new Error(`the environment template has no "${from}"`);
    text = text.replace(from, to);
  }
  const file = join(s.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
};

const runWith = (envFile: string, scenario: string, extra: string[] = []) =>
  runFiredrill(['run', scenario, '--env', envFile, '--report-dir', s.reportDir, '--no-html', ...extra], 4 * MINUTE);

const callsSince = (t0: number) => ofKind(readEventLog(s.t.sandbox.eventLogPath), 'api.call').filter((e) => e.epochMs >= t0);

const lockTagsNow = async () =>
  ((await s.t.ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }))).tags ?? []).filter((t) => LOCK_KEYS.includes(t.key!));

const lastJournal = () => journalsIn(s.reportDir).at(-1)!;

describe('drill lock', () => {
  it(
    'a drill is refused while another holds the lock, naming the holder, and touches nothing',
    async () => {
      const foreign = [
        { key: LOCK_TAG, value: 'nightly-orders-1234' },
        { key: LOCK_HOLDER_TAG, value: 'ci@runner-7' },
        { key: LOCK_EXPIRES_TAG, value: new Date(Date.now() + 30 * MINUTE).toISOString() },
      ];
      await s.t.ecs.send(new TagResourceCommand({ resourceArn: serviceArn, tags: foreign }));
      const t0 = Date.now();
      const r = await run(s, [fastScenario], 4 * MINUTE);
      expect(r.code, describeRun(r)).toBe(3);
      expect(r.stdout + r.stderr).toMatch(/another drill holds the lock .*run nightly-orders-1234 by ci@runner-7/);
      const j = lastJournal();
      expect(j.outcome).toBe('locked');
      expect(j.restore.state).toBe('nothing was touched');
      expect(callsSince(t0).filter(isMutating)).toEqual([]);
      // The foreign lock is left exactly as it was.
      expect(await lockTagsNow()).toEqual(expect.arrayContaining(foreign));
      expect(await lockTagsNow()).toHaveLength(3);
    },
    5 * MINUTE,
  );

  it(
    'an expired lock is taken over with a warning, and released when the drill ends',
    async () => {
      await s.t.ecs.send(
        new TagResourceCommand({
          resourceArn: serviceArn,
          tags: [
            { key: LOCK_TAG, value: 'crashed-run' },
            { key: LOCK_HOLDER_TAG, value: 'ana@laptop' },
            { key: LOCK_EXPIRES_TAG, value: new Date(Date.now() - MINUTE).toISOString() },
          ],
        }),
      );
      const j = await drill(s, fastScenario);
      const context = journalContext(j);
      expect(j.exitCode, context).toBe(0);
      expect(j.problems.join('\n')).toMatch(/warning: took over an expired drill lock \(run crashed-run by ana@laptop/);
      const acquired = j.timeline.find((o) => o.source === 'action' && o.action === 'lock-acquired');
      const released = j.timeline.find((o) => o.source === 'action' && o.action === 'lock-released');
      expect(acquired && released && acquired.t < released.t).toBe(true);
      await expectSteadyOnBaseline(s, context);
      await expectInactive(s, [j.injected!.taskDefinitionArn]);
    },
    5 * MINUTE,
  );
});

describe('where a drill may run', () => {
  it(
    'an account outside allowedAccountIds is refused before anything is touched',
    async () => {
      const envFile = environmentWith('wrong-account', { '"000000000000"': '"111111111111"' });
      const t0 = Date.now();
      const r = await runWith(envFile, fastScenario);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/AWS account 000000000000, which environment wrong-account does not allow \(allowedAccountIds: 111111111111\)/);
      expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/); // no stack trace for a configuration mistake
      expect(lastJournal().outcome).toBe('invalid');
      const calls = callsSince(t0);
      expect(calls.map((c) => c.operation)).toContain('GetCallerIdentity');
      expect(calls.filter(isMutating)).toEqual([]);
      expect(await lockTagsNow()).toEqual([]);
    },
    5 * MINUTE,
  );

  it(
    'a production environment needs --allow-production and a scenario tagged production',
    async () => {
      const envFile = environmentWith('prod-like', { 'kind: sandbox': 'kind: production' });
      const untagged = await runWith(envFile, fastScenario, ['--allow-production']);
      expect(untagged.code, describeRun(untagged)).toBe(2);
      expect(untagged.stderr).toMatch(/production environment; a drill runs there only with the tag "production"/);

      const tagged = scenarioCopy(s.dir, 'bad-image-tag.yaml', (doc) => {
        doc.deleteIn(['smoke', 'browser']);
        doc.setIn(['tags'], doc.createNode(['production']));
      }, 'tagged-for-production.yaml');
      const t0 = Date.now();
      const noFlag = await runWith(envFile, tagged);
      expect(noFlag.code, describeRun(noFlag)).toBe(2);
      expect(noFlag.stderr).toMatch(/only with the --allow-production flag/);
      expect(callsSince(t0)).toEqual([]); // refused by the command itself: not even a read

      const planned = await runFiredrill(['plan', tagged, '--env', envFile, '--allow-production'], MINUTE);
      expect(planned.code, describeRun(planned)).toBe(0);
      expect(planned.stdout).toMatch(/account\s+000000000000 \(allowed: 000000000000\)/);
    },
    5 * MINUTE,
  );

  it(
    'a scenario over the blast-radius cap is refused by plan and by run before anything is touched',
    async () => {
      const capped = scenarioCopy(s.dir, 'http-errors.yaml', (doc) => {
        doc.deleteIn(['smoke', 'browser']);
        doc.setIn(['blastRadius'], doc.createNode({ maxPercent: 50 }));
      }, 'capped-http-errors.yaml');
      const t0 = Date.now();
      const planned = await runFiredrill(['plan', capped, '--env', s.envFile], MINUTE);
      expect(planned.code, describeRun(planned)).toBe(2);
      expect(planned.stdout).toMatch(/REFUSED\s+blast radius: the drill could affect 100% of the service over the cap of 50%/);
      const r = await run(s, [capped], 4 * MINUTE);
      expect(r.code, describeRun(r)).toBe(2);
      expect(lastJournal().problems.join('\n')).toMatch(/blast radius: .*a http-errors release can pass health checks and replace all 2 task\(s\)/);
      expect(callsSince(t0).filter(isMutating)).toEqual([]);

      // A release that never serves cannot take capacity from a service that keeps 100% healthy.
      const harmless = scenarioCopy(s.dir, 'bad-image-tag.yaml', (doc) => doc.setIn(['blastRadius'], doc.createNode({ maxTasks: 0 })), 'zero-cap.yaml');
      const fine = await runFiredrill(['plan', harmless, '--env', s.envFile], MINUTE);
      expect(fine.code, describeRun(fine)).toBe(0);
      expect(fine.stdout).toMatch(/blast radius 0 of 2 task\(s\)/);
      // And the baseline's security checks, with what its settings make a deployment and a rollback take.
      expect(fine.stdout).toMatch(/Security checks \(firedrill check\) of the baseline:\n {2}a rolling update takes about \d+ s \(provisioning measured on 2 running tasks\)\n {2}the worst-case rollback by ECS takes about \d+ s against the 600 s budget\n {2}no findings/);
    },
    5 * MINUTE,
  );
});

describe('deadlines', () => {
  it(
    'a call that hangs past its phase deadline stops the drill, names the setting, and the service is restored',
    async () => {
      // RegisterTaskDefinition answers only after 12 s; inject may take 1 s (plus the backstop margin).
      const faults = await fetch(`${s.t.sandbox.endpoint}/_firedrill/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seed: 1, operations: { RegisterTaskDefinition: { latencyMs: 12_000 } } }),
      });
      expect(faults.ok).toBe(true);
      try {
        const envFile = environmentWith('tight-inject', { 'drillSeconds: 900': 'drillSeconds: 900, injectSeconds: 1' });
        const j = await drill(s, fastScenario, { envFile });
        const context = journalContext(j);
        expect(j.exitCode, context).toBe(1);
        expect(j.outcome).toBe('error');
        expect(j.problems.join('\n')).toMatch(/inject exceeded its deadline, timeouts.injectSeconds \(1 s\)/);
        expect(j.phases.find((p) => p.phase === 'inject')?.outcome).toBe('failed');
        expect(j.restore.ok).toBe(true);
        await expectSteadyOnBaseline(s, context);
        // The revision the slow call registered was still learnt and deregistered by restore.
        expect(j.injected?.taskDefinitionArn).toMatch(/:task-definition\//);
        await expectInactive(s, [j.injected!.taskDefinitionArn]);
      } finally {
        await fetch(`${s.t.sandbox.endpoint}/_firedrill/faults`, { method: 'DELETE' });
      }
    },
    5 * MINUTE,
  );
});

describe('a reply lost after ECS applied the call', () => {
  it(
    'a registration that took effect but answered 500 leaves no revision behind: restore finds it by its tag',
    async () => {
      // A seed whose first RegisterTaskDefinition is applied-then-500 and whose retry succeeds: two revisions, one ARN learnt.
      const operations = { RegisterTaskDefinition: { applied: 0.5 } };
      const seed = seedWhere(operations, 'RegisterTaskDefinition', ['applied', undefined]);
      const faults = await fetch(`${s.t.sandbox.endpoint}/_firedrill/faults`, { method: 'PUT', body: JSON.stringify({ seed, operations }) });
      expect(faults.ok).toBe(true);
      try {
        const t0 = Date.now();
        const j = await drill(s, fastScenario);
        const context = journalContext(j);
        expect(j.exitCode, context).toBe(0);
        const registrations = ofKind(readEventLog(s.t.sandbox.eventLogPath), 'api.fault').filter((e) => e.epochMs >= t0 && e.operation === 'RegisterTaskDefinition');
        expect(registrations.map((e) => e.fault)).toEqual(['applied']);
        const deregistered = j.timeline.filter((o) => o.source === 'action' && o.action === 'deregister-task-definition');
        expect(deregistered).toHaveLength(2);
        expect(deregistered.filter((o) => o.source === 'action' && o.detail['found'] === 'by its firedrill:run tag')).toHaveLength(1);
        // Only the baseline stays ACTIVE: the revision whose ARN the drill never learnt is gone too.
        await expectSteadyOnBaseline(s, context);
      } finally {
        await fetch(`${s.t.sandbox.endpoint}/_firedrill/faults`, { method: 'DELETE' });
      }
    },
    5 * MINUTE,
  );
});
