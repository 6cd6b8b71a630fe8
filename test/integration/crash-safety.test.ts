// Crash safety, end to end: `firedrill run` held in each phase (FIREDRILL_HOLD_AT), then
// - SIGKILL to every process of the run at once (the CLI, and Playwright and its worker in their
//   own process group): no teardown runs, and `firedrill recover` must put everything back;
// - SIGINT or SIGTERM to the CLI: the drill must restore by itself, and recover find nothing.
// After each: the service steady on its baseline, no revision of the family ACTIVE but the
// baseline, no drill lock on the service, and a second recover with nothing to do.
//
// One sandbox, in this test process, for the whole file (so killing the harness never kills the
// sandbox), and a fast scenario: a missing image tag under the circuit breaker, HTTP smoke only.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTaskDefinitionCommand, ListTagsForResourceCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployDemoService, DEMO_FAMILY } from '../../harness/ecs/demo-service.ts';
import { verifyBundle } from '../../harness/evidence/bundle.ts';
import { readManifest } from '../../harness/evidence/manifest.ts';
import { HOLD_ENV, holdMarker, type HoldPoint } from '../../harness/run/hold.ts';
import type { Journal } from '../../harness/run/journal.ts';
import { RUN_TAG } from '../../harness/run/recover.ts';
import { readTicket, TICKET_FILE, type RestoreTicket } from '../../harness/run/restore-ticket.ts';
import { LOCK_TAG } from '../../harness/safety/lock.ts';
import { cleanUpFiredrill, describeRun, journalsIn, runFiredrill, scenarioCopy, startFiredrill, tempDir, writeEnvironment, type RunningCli } from '../support/firedrill-cli.ts';
import { service, startTestSandbox, type TestSandbox } from '../support/sandbox.ts';
import { waitFor } from '../support/wait.ts';

const CLUSTER = 'firedrill';
const SERVICE = 'demo';
const MINUTE = 60_000;
const PHASES = ['preflight', 'baseline', 'inject', 'gate', 'rollback', 'verify', 'restore', 'report'] as const;
/** Phases whose hold is reached with the drill lock held (the lock is taken during preflight and released at the end of restore). */
const LOCKED_AT = new Set<HoldPoint>(['baseline', 'inject', 'inject:registered', 'gate', 'rollback', 'verify', 'restore']);
/** Hold points reached after the bad release was registered. */
const REGISTERED_AT = new Set<HoldPoint>(['inject:registered', 'gate', 'rollback', 'verify', 'restore', 'report']);

let t: TestSandbox;
let baselineArn: string;
let serviceArn: string;
let dir: string;
let envFile: string;
let scenario: string;

interface Row {
  point: HoldPoint;
  how: 'SIGKILL + recover' | 'SIGINT' | 'SIGTERM';
  exit: string;
  outcome: string;
  restoreMs: number;
  note: string;
}
const results: Row[] = [];
const fileStarted = Date.now();

beforeAll(async () => {
  t = await startTestSandbox();
  const deployed = await deployDemoService(t.ecs, { cluster: CLUSTER, service: SERVICE, targetGroupArn: t.demoTargetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: 90_000 });
  baselineArn = deployed.taskDefinitionArn;
  serviceArn = deployed.service.serviceArn!;
  dir = tempDir('firedrill-crash-');
  envFile = writeEnvironment(dir, t, 'crash-test');
  // The fastest real drill: ECS sees the missing tag at once and the circuit breaker rolls back;
  // no browser check (a Chromium launch costs seconds per run).
  scenario = scenarioCopy(dir, 'bad-image-tag.yaml', (doc) => {
    doc.setIn(['smoke', 'browser'], doc.createNode([]));
    doc.setIn(['expectations', 'stableWindowSeconds'], 1);
  });
}, 2 * MINUTE);

afterEach(async () => {
  // A failed case may leave a held drill behind; it must not hold the next one's service.
  for (const cli of live.splice(0)) {
    if (cli.exit) continue;
    killTree(cli.child.pid!);
    await cli.exited;
  }
});

afterAll(async () => {
  await cleanUpFiredrill();
  await t?.stop();
  if (results.length > 0) {
    const ms = (n: number) => (Number.isNaN(n) ? '-' : `${(n / 1000).toFixed(1)} s`);
    const lines = results.map((r) => `| ${r.point} | ${r.how} | ${r.exit} | ${r.outcome} | ${ms(r.restoreMs)} | ${r.note} |`);
    process.stdout.write(
      [
        '',
        'crash safety: restore times (SIGKILL: firedrill recover\'s own time for the run; signals: the journal\'s restore phase)',
        '| hold at | how | exit | outcome | restore | note |',
        '|---|---|---|---|---|---|',
        ...lines,
        `whole file: ${((Date.now() - fileStarted) / 1000).toFixed(0)} s`,
        '',
      ].join('\n'),
    );
  }
});

const live: RunningCli[] = [];

/** Starts `firedrill run` with FIREDRILL_HOLD_AT set for that one process. */
const startHeld = (point: HoldPoint, reportDir: string): RunningCli => {
  // startFiredrill copies process.env at spawn time; the variable must reach the drill and nothing else.
  process.env[HOLD_ENV] = point;
  try {
    const cli = startFiredrill(['run', scenario, '--env', envFile, '--report-dir', reportDir]);
    live.push(cli);
    return cli;
  } finally {
    delete process.env[HOLD_ENV];
  }
};

/** The run dir of the drill once it is held at `point` (its marker file exists). */
const heldRunDir = (cli: RunningCli, point: HoldPoint, reportDir: string): Promise<string> =>
  waitFor(
    () => {
      if (cli.exit) throw new Error(`firedrill exited before holding at ${point}\n${describeRun({ ...cli.exit, stdout: cli.stdout(), stderr: cli.stderr() })}`);
      if (!existsSync(reportDir)) return undefined;
      for (const entry of readdirSync(reportDir)) {
        if (existsSync(holdMarker(join(reportDir, entry), point))) return join(reportDir, entry);
      }
      return undefined;
    },
    3 * MINUTE,
    `the drill to hold at ${point}`,
  );

// ---- the process tree, from /proc: the CLI, and Playwright and its worker in their own group

const stat = (pid: number): { ppid: number; pgrp: number; state: string } | undefined => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
};

const descendants = (root: number): number[] => {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .map((pid) => ({ pid, s: stat(pid) }));
  const found = [root];
  for (let i = 0; i < found.length; i++) for (const p of all) if (p.s?.ppid === found[i]) found.push(p.pid);
  return found;
};

const alive = (pid: number): boolean => {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
};

/** SIGKILL to every process group the run's tree spans, all at once: nothing gets to clean up. */
const killTree = (root: number): number[] => {
  const pids = descendants(root);
  const groups = new Set(pids.map((pid) => stat(pid)?.pgrp).filter((g): g is number => g !== undefined && g > 1));
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
};

// ---- what must hold afterwards

const tagsOfService = async () => (await t.ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }))).tags ?? [];

const lockTags = async () => (await tagsOfService()).filter((tag) => tag.key?.startsWith('firedrill:lock'));

/** Steady on the baseline, only the baseline ACTIVE in the family, no lock; returns this run's revisions (all INACTIVE). */
const expectRestored = async (runId: string, context: string): Promise<string[]> => {
  const steady = await waitFor(
    async () => {
      const svc = await service(t.ecs, CLUSTER, SERVICE);
      const [only, ...others] = svc.deployments ?? [];
      return others.length === 0 && only?.status === 'PRIMARY' && only.rolloutState === 'COMPLETED' && svc.runningCount === 2 ? svc : undefined;
    },
    30_000,
    'the service to be steady',
  );
  expect(steady.taskDefinition, context).toBe(baselineArn);
  expect(steady.deployments![0]!.taskDefinition, context).toBe(baselineArn);
  const active = await t.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: DEMO_FAMILY, status: 'ACTIVE' }));
  expect(active.taskDefinitionArns, context).toEqual([baselineArn]);
  expect(await lockTags(), context).toEqual([]);
  // This run's revisions: the newest inactive ones carrying its tag.
  const inactive = await t.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: DEMO_FAMILY, status: 'INACTIVE', sort: 'DESC', maxResults: 5 }));
  const ours: string[] = [];
  for (const arn of inactive.taskDefinitionArns ?? []) {
    const d = await t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    if (d.tags?.some((tag) => tag.key === RUN_TAG && tag.value === runId)) ours.push(arn);
  }
  return ours;
};

const ticketOf = (runDir: string): RestoreTicket => {
  const read = readTicket(join(runDir, TICKET_FILE));
  if (!read.ok) throw new Error(read.problem);
  return read.ticket;
};

const expectNothingToRecover = async (reportDir: string, context: string) => {
  const again = await runFiredrill(['recover', '--report-dir', reportDir], 2 * MINUTE);
  expect(again.code, `${context}\n--- second recover\n${describeRun(again)}`).toBe(0);
  expect(again.stdout, context).toMatch(/^firedrill recover: nothing to recover in /);
};

// ---- the cases

const SIGKILL_POINTS: HoldPoint[] = ['preflight', 'baseline', 'inject', 'inject:registered', 'gate', 'rollback', 'verify', 'restore', 'report'];

describe.sequential('SIGKILL in each phase, then firedrill recover', () => {
  for (const point of SIGKILL_POINTS) {
    it(
      `killed at ${point}: recover restores the baseline, deregisters the bad release, releases the lock; a second recover does nothing`,
      async () => {
        const reportDir = join(dir, `kill-${point.replace(':', '-')}`);
        const cli = startHeld(point, reportDir);
        const runDir = await heldRunDir(cli, point, reportDir);
        const before = ticketOf(runDir);
        const runId = before.runId;
        expect(before).toMatchObject({ phase: point.split(':')[0], restored: point === 'report' });
        if (point === 'inject:registered') expect(before).toMatchObject({ touched: true, registered: [] });
        const lockedBefore = (await lockTags()).some((tag) => tag.key === LOCK_TAG && tag.value === runId);
        expect(lockedBefore, `the drill lock while held at ${point}`).toBe(LOCKED_AT.has(point));

        const pids = killTree(cli.child.pid!);
        const exit = await cli.exited;
        expect(exit.signal).toBe('SIGKILL');
        await waitFor(() => pids.every((pid) => !alive(pid)), 30_000, 'every process of the run to be gone');
        expect(existsSync(join(runDir, 'journal.json')), 'a killed drill writes no journal').toBe(false);

        const recover = await runFiredrill(['recover', '--report-dir', reportDir], 5 * MINUTE);
        const context = `killed at ${point}\n--- recover\n${describeRun(recover)}`;
        expect(recover.code, context).toBe(0);
        const ours = await expectRestored(runId, context);
        const after = ticketOf(runDir);
        expect(after.restored, context).toBe(true);
        expect(after.lockHeld, context).toBe(false);
        if (point === 'report') {
          // The drill had restored everything before it reached report.
          expect(recover.stdout, context).toMatch(/nothing to recover/);
          expect(after.restoredBy).toBe('drill');
        } else {
          expect(recover.stdout, context).toContain(`run ${runId}`);
          expect(recover.stdout, context).toMatch(/restored in \d+\.\d s/);
          expect(after.restoredBy, context).toBe('recover');
        }
        if (REGISTERED_AT.has(point)) {
          expect(ours, `${context}\nthe bad release, INACTIVE`).toHaveLength(1);
          if (point !== 'report') expect(recover.stdout, context).toContain(`DeregisterTaskDefinition ${ours[0]}`);
          if (point === 'inject:registered') expect(recover.stdout, context).toContain(`(found by its ${RUN_TAG} tag)`);
        } else {
          expect(ours, context).toEqual([]);
        }
        if (lockedBefore && point !== 'report') expect(recover.stdout, context).toContain('released the drill lock');
        await expectNothingToRecover(reportDir, context);

        const took = /restored in (\d+\.\d) s/.exec(recover.stdout);
        results.push({
          point,
          how: 'SIGKILL + recover',
          exit: `recover ${recover.code}`,
          outcome: '-',
          restoreMs: took ? Number(took[1]) * 1000 : NaN,
          note: `recover command ${(recover.ms / 1000).toFixed(1)} s wall${point === 'report' ? '; nothing to do' : ''}`,
        });
      },
      8 * MINUTE,
    );
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  describe.sequential(`${signal} in each phase`, () => {
    for (const point of PHASES) {
      it(
        `${signal} at ${point}: the drill restores by itself and writes its journal; recover finds nothing`,
        async () => {
          const reportDir = join(dir, `${signal.toLowerCase()}-${point}`);
          const cli = startHeld(point, reportDir);
          const runDir = await heldRunDir(cli, point, reportDir);
          const runId = ticketOf(runDir).runId;
          process.kill(cli.child.pid!, signal);
          const exit = await waitFor(() => cli.exit, 4 * MINUTE, `firedrill to exit after ${signal}`);
          const output = describeRun({ ...exit, stdout: cli.stdout(), stderr: cli.stderr() });
          // Interrupted before restore: the drill did not finish, exit 1. Held in restore or
          // report, every expectation was already judged; the interrupt cuts nothing short.
          const finished = point === 'restore' || point === 'report';
          expect(exit, output).toEqual({ code: finished ? 0 : 1, signal: null });
          expect(cli.stderr(), output).toContain(`${signal}: stopping the drill`);
          const journals = journalsIn(reportDir);
          expect(journals, output).toHaveLength(1);
          const j: Journal = journals[0]!;
          expect(j.runId).toBe(runId);
          expect(j.outcome, output).toBe(finished ? 'passed' : 'interrupted');
          if (!finished) expect(j.phases.find((p) => p.phase === point)?.outcome, output).toBe('interrupted');
          const restore = j.phases.find((p) => p.phase === 'restore');
          expect(restore?.outcome, output).toBe('ok');
          expect(j.restore.ok, j.restore.state).toBe(true);

          const ours = await expectRestored(runId, output);
          expect(ours.length, output).toBe(REGISTERED_AT.has(point) ? 1 : 0);
          const ticket = ticketOf(runDir);
          expect(ticket).toMatchObject({ restored: true, restoredBy: 'drill', lockHeld: false });
          // The bundle is sealed without the ticket, which recover may still rewrite, and verifies.
          const manifest = readManifest(runDir);
          expect(manifest.ok && manifest.manifest.files.map((f) => f.path)).not.toContain(TICKET_FILE);
          expect(verifyBundle(runDir)).toMatchObject({ ok: true });
          expect(existsSync(holdMarker(runDir, point)), 'the hold marker is gone').toBe(false);
          await expectNothingToRecover(reportDir, output);

          results.push({
            point,
            how: signal,
            exit: String(exit.code),
            outcome: j.outcome,
            restoreMs: restore?.endedAt !== undefined ? restore.endedAt - restore.startedAt : NaN,
            note: j.restore.actions.length === 0 ? 'nothing to undo' : j.restore.actions.map((a) => a.split(' ')[0]).join(', '),
          });
        },
        6 * MINUTE,
      );
    }
  });
}

describe('firedrill recover: bad input', () => {
  it('--help teaches; a missing report dir exits 2 without a stack trace; an empty one has nothing to do', async () => {
    const help = await runFiredrill(['recover', '--help'], MINUTE);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: firedrill recover');
    expect(help.stdout).toContain(TICKET_FILE);
    const missing = await runFiredrill(['recover', '--report-dir', join(dir, 'no-such-dir')], MINUTE);
    expect(missing.code, describeRun(missing)).toBe(2);
    expect(missing.stderr).toContain('no report directory');
    expect(missing.stderr.split('\n').filter((l) => /^\s+at /.test(l))).toEqual([]);
    const unknown = await runFiredrill(['recover', '--frobnicate'], MINUTE);
    expect(unknown.code).toBe(2);
    const empty = await runFiredrill(['recover', '--report-dir', tempDir('firedrill-empty-')], MINUTE);
    expect(empty.code, describeRun(empty)).toBe(0);
    expect(empty.stdout).toMatch(/nothing to recover/);
  });
});
