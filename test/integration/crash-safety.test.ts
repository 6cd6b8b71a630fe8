// Crash safety, end to end: `firedrill run` held in each phase (FIREDRILL_HOLD_AT), then
// - SIGKILL to every process of the run at once (the CLI, and Playwright and its worker in their
//   own process group): no teardown runs, and `firedrill recover` must put everything back;
// - SIGINT or SIGTERM to the CLI (held before restore, and in it): the drill must restore by
//   itself, and recover find nothing.
// After each: the service steady on its baseline, no revision of the family ACTIVE but the
// baseline, no drill lock on the service, and a second recover with nothing to do.
//
// The tracks (SIGKILL in two lanes, SIGINT, SIGTERM) run side by side, each on its own sandbox in this test
// process (so killing the harness never kills a sandbox, and one track's revisions and lock never
// show in another's); within a track the phases run one after another on one service. Most of a
// case is waiting (process start-up, the circuit breaker, restore), so the tracks overlap well.
// The scenario is the fastest real drill: a missing image tag under the circuit breaker, HTTP
// smoke only (a Chromium launch costs seconds per run).

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTaskDefinitionCommand, ListTagsForResourceCommand, ListTaskDefinitionsCommand, UntagResourceCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverCommand } from '../../harness/cli/commands/recover.ts';
import { DEMO_FAMILY } from '../../harness/ecs/demo-service.ts';
import { verifyBundle } from '../../harness/evidence/bundle.ts';
import { readManifest } from '../../harness/evidence/manifest.ts';
import { HOLD_ENV, holdMarker, type HoldPoint } from '../../harness/run/hold.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { RUN_TAG } from '../../harness/run/restore.ts';
import { readTicket, TICKET_FILE, TicketWriter, writeTicket, type RestoreTicket } from '../../harness/run/restore-ticket.ts';
import { LOCK_TAG } from '../../harness/safety/lock.ts';
import { cleanUpFiredrill, describeRun, journalsIn, runFiredrill, scenarioCopy, startFiredrill, tempDir, type RunningCli } from '../support/firedrill-cli.ts';
import { stage as demoStage, type Stage } from '../support/drill-stage.ts';
import { service } from '../support/sandbox.ts';
import { waitFor } from '../support/wait.ts';

const CLUSTER = 'firedrill';
const SERVICE = 'demo';
const MINUTE = 60_000;
/**
 * Where SIGINT and SIGTERM land through the CLI: a hold before restore (the drill must stop and
 * restore, exit 1), and in restore and report (the interrupt cuts nothing short, exit 0). An interrupt at
 * the start of every phase is drill-phases.test.ts's, in process; here it is the CLI's signal
 * handling that is under test.
 */
const SIGNAL_POINTS = ['gate', 'restore', 'report'] as const;
/** Holds reached with the drill lock held (taken during preflight, released at the end of restore). */
const LOCKED_AT = new Set<HoldPoint>(['baseline', 'inject', 'inject:registered', 'gate', 'rollback', 'verify', 'restore']);
/** Holds reached after the bad release was registered. */
const REGISTERED_AT = new Set<HoldPoint>(['inject:registered', 'gate', 'rollback', 'verify', 'restore', 'report']);

type Track = 'SIGKILL' | 'SIGINT' | 'SIGTERM';
/** The SIGKILL cases in two lanes, each on a sandbox of its own, so that no lane is much longer than the signal tracks. */
type Lane = 'SIGKILL' | 'SIGKILL-late';
const SIGKILL_LANES: Array<{ lane: Lane; points: HoldPoint[] }> = [
  { lane: 'SIGKILL', points: ['preflight', 'baseline', 'inject', 'inject:registered'] },
  { lane: 'SIGKILL-late', points: ['gate', 'rollback', 'verify', 'restore', 'report'] },
];
/** Every phase, and `inject:registered` too: the kill lands with RegisterTaskDefinition answered but its ARN not yet written down. */
const SIGKILL_POINTS: HoldPoint[] = SIGKILL_LANES.flatMap((l) => l.points);

const stages = new Map<Track | Lane, Stage>();
let dir: string;
let scenario: string;
/** A release ECS takes (healthy tasks answering 500): nothing but a restore brings the baseline back. */
let liveBadScenario: string;

interface Row {
  track: Track;
  point: HoldPoint;
  exit: string;
  outcome: string;
  restoreMs: number;
  caseMs: number;
  note: string;
}
const results: Row[] = [];
const fileStarted = Date.now();

beforeAll(async () => {
  dir = tempDir('firedrill-crash-');
  scenario = scenarioCopy(dir, 'bad-image-tag.yaml', (doc) => {
    doc.setIn(['smoke', 'browser'], doc.createNode([]));
    doc.setIn(['expectations', 'stableWindowSeconds'], 1);
  });
  liveBadScenario = scenarioCopy(dir, 'http-errors.yaml', (doc) => doc.setIn(['smoke', 'browser'], doc.createNode([])));
  await Promise.all(
    (['SIGKILL', 'SIGKILL-late', 'SIGINT', 'SIGTERM'] as const).map(async (track) => {
      stages.set(track, await demoStage({ envName: `crash-${track.toLowerCase()}` }));
    }),
  );
}, 3 * MINUTE);

afterAll(async () => {
  await cleanUpFiredrill();
  await Promise.all([...stages.values()].map((s) => s.t.stop()));
  if (results.length > 0) {
    const order = (r: Row) => ['SIGKILL', 'SIGINT', 'SIGTERM'].indexOf(r.track) * 100 + SIGKILL_POINTS.indexOf(r.point) + (r.note.startsWith('http-errors') ? 0.5 : 0);
    const ms = (n: number) => (Number.isNaN(n) ? '-' : `${(n / 1000).toFixed(1)} s`);
    const lines = [...results].sort((a, b) => order(a) - order(b)).map((r) => `| ${r.point} | ${r.track} | ${r.exit} | ${r.outcome} | ${ms(r.restoreMs)} | ${ms(r.caseMs)} | ${r.note} |`);
    process.stdout.write(
      [
        '',
        "crash safety: restore = firedrill recover's time for the run (SIGKILL), the journal's restore phase (SIGINT, SIGTERM)",
        '| hold at | how | exit | outcome | restore | whole case | note |',
        '|---|---|---|---|---|---|---|',
        ...lines,
        `whole file: ${((Date.now() - fileStarted) / 1000).toFixed(0)} s`,
        '',
      ].join('\n'),
    );
  }
});

/** Starts `firedrill run` with FIREDRILL_HOLD_AT set for that one process. */
const startHeld = (stage: Stage, point: HoldPoint, reportDir: string, scenarioFile = scenario): RunningCli => {
  // startFiredrill copies process.env synchronously at spawn, so no other case can see the variable.
  process.env[HOLD_ENV] = point;
  try {
    return startFiredrill(['run', scenarioFile, '--env', stage.envFile, '--report-dir', reportDir, '--no-html']);
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
const killTree = (root: number): { pids: number[]; groups: Set<number> } => {
  const pids = descendants(root);
  const groups = new Set(pids.map((pid) => stat(pid)?.pgrp).filter((g): g is number => g !== undefined && g > 1));
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return { pids, groups };
};

// ---- what must hold afterwards

const lockTags = async (stage: Stage) =>
  ((await stage.t.ecs.send(new ListTagsForResourceCommand({ resourceArn: stage.serviceArn }))).tags ?? []).filter((tag) => tag.key?.startsWith('firedrill:lock'));

/** Steady on the baseline, only the baseline ACTIVE in the family, no lock; returns this run's revisions (all INACTIVE). */
const expectRestored = async (stage: Stage, runId: string, context: string): Promise<string[]> => {
  const { ecs } = stage.t;
  const steady = await waitFor(
    async () => {
      const svc = await service(ecs, CLUSTER, SERVICE);
      const [only, ...others] = svc.deployments ?? [];
      return others.length === 0 && only?.status === 'PRIMARY' && only.rolloutState === 'COMPLETED' && svc.runningCount === 2 ? svc : undefined;
    },
    30_000,
    'the service to be steady',
  );
  expect(steady.taskDefinition, context).toBe(stage.baselineArn);
  expect(steady.deployments![0]!.taskDefinition, context).toBe(stage.baselineArn);
  const active = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: DEMO_FAMILY, status: 'ACTIVE' }));
  expect(active.taskDefinitionArns, context).toEqual([stage.baselineArn]);
  expect(await lockTags(stage), context).toEqual([]);
  // This run's revisions: the newest inactive ones carrying its tag.
  const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: DEMO_FAMILY, status: 'INACTIVE', sort: 'DESC', maxResults: 5 }));
  const ours: string[] = [];
  for (const arn of inactive.taskDefinitionArns ?? []) {
    const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    if (d.tags?.some((tag) => tag.key === RUN_TAG && tag.value === runId)) ours.push(arn);
  }
  return ours;
};

const ticketOf = (runDir: string): RestoreTicket => {
  const read = readTicket(join(runDir, TICKET_FILE));
  if (!read.ok) throw new Error(read.problem);
  return read.ticket;
};

/** `firedrill recover` in this process: the command's own code, without another process start-up. */
const recoverHere = async (args: string[]): Promise<{ code: number; stdout: string }> => {
  let stdout = '';
  const code = await recoverCommand(args, (text) => (stdout += text));
  return { code, stdout };
};

const expectNothingToRecover = async (reportDir: string, context: string) => {
  const again = await recoverHere(['--report-dir', reportDir]);
  expect(again, `${context}\n--- second recover\n${again.stdout}`).toMatchObject({ code: 0, stdout: expect.stringMatching(/^firedrill recover: nothing to recover in /) });
};

/**
 * Runs a case; when it fails, puts its service back before the next case of the track starts, so
 * one failure is reported once instead of as a lock held over every later case.
 */
const guarded = async (stage: Stage, reportDir: string, body: (started: (cli: RunningCli) => void) => Promise<void>) => {
  let cli: RunningCli | undefined;
  try {
    await body((c) => (cli = c));
  } catch (error) {
    if (cli && !cli.exit) {
      killTree(cli.child.pid!);
      await cli.exited;
    }
    if (existsSync(reportDir)) await recoverHere(['--report-dir', reportDir, '--force']).catch(() => undefined);
    const leftover = await lockTags(stage).catch(() => []);
    if (leftover.length > 0) await stage.t.ecs.send(new UntagResourceCommand({ resourceArn: stage.serviceArn, tagKeys: leftover.map((tag) => tag.key!) }));
    throw error;
  }
};

// ---- the cases

for (const { lane, points } of SIGKILL_LANES) describe.concurrent(`SIGKILL in each phase, then firedrill recover (${points.join(', ')})`, () => {
  for (const point of points) {
    it.sequential(
      `killed at ${point}: recover restores the baseline, deregisters the bad release, releases the lock; a second recover does nothing`,
      async () => {
        const stage = stages.get(lane)!;
        const caseStarted = Date.now();
        const reportDir = join(dir, `kill-${point.replace(':', '-')}`);
        await guarded(stage, reportDir, async (started) => {
          const cli = startHeld(stage, point, reportDir);
          started(cli);
          const runDir = await heldRunDir(cli, point, reportDir);
          const before = ticketOf(runDir);
          const runId = before.runId;
          expect(before).toMatchObject({ phase: point.split(':')[0], restored: point === 'report' });
          if (point === 'inject:registered') expect(before).toMatchObject({ touched: true, registered: [] });
          const lockedBefore = (await lockTags(stage)).some((tag) => tag.key === LOCK_TAG && tag.value === runId);
          expect(lockedBefore, `the drill lock while held at ${point}`).toBe(LOCKED_AT.has(point));

          const { pids, groups } = killTree(cli.child.pid!);
          const exit = await cli.exited;
          expect(exit.signal).toBe('SIGKILL');
          // The CLI's group and Playwright's (spawned detached): both were killed, not just the CLI.
          expect(groups.size, `process groups of the run: ${[...groups].join(', ')}`).toBeGreaterThanOrEqual(2);
          await waitFor(() => pids.every((pid) => !alive(pid)), 30_000, 'every process of the run to be gone');
          expect(existsSync(join(runDir, 'journal.json')), 'a killed drill writes no journal').toBe(false);

          // The user's command, as a user runs it.
          const recover = await runFiredrill(['recover', '--report-dir', reportDir], 5 * MINUTE);
          const context = `killed at ${point}\n--- recover\n${describeRun(recover)}`;
          expect(recover.code, context).toBe(0);
          const ours = await expectRestored(stage, runId, context);
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
          if (lockedBefore) expect(recover.stdout, context).toContain('released the drill lock');
          await expectNothingToRecover(reportDir, context);

          const took = /restored in (\d+\.\d) s/.exec(recover.stdout);
          results.push({
            track: 'SIGKILL',
            point,
            exit: `recover ${recover.code}`,
            outcome: point === 'report' ? 'nothing to do' : 'restored',
            restoreMs: took ? Number(took[1]) * 1000 : NaN,
            caseMs: Date.now() - caseStarted,
            note: `recover ${(recover.ms / 1000).toFixed(1)} s wall; ${recover.stdout.split('\n').filter((l) => /^\s+(UpdateService|DeregisterTaskDefinition|released)/.test(l)).map((l) => l.trim().split(' ')[0]).join(', ') || 'no ECS change'}`,
          });
        });
      },
      8 * MINUTE,
    );
  }

  if (lane !== 'SIGKILL-late') return;
  // Above, the circuit breaker has usually rolled the missing tag back by the time recover runs.
  // Here ECS never will: recover itself must move the service off a bad release that is serving.
  it.sequential(
    'killed at gate while a bad release ECS accepted is serving: recover rolls the service back itself',
    async () => {
      const stage = stages.get(lane)!;
      const caseStarted = Date.now();
      const reportDir = join(dir, 'kill-gate-live');
      await guarded(stage, reportDir, async (started) => {
        const cli = startHeld(stage, 'gate', reportDir, liveBadScenario);
        started(cli);
        const runDir = await heldRunDir(cli, 'gate', reportDir);
        const { runId, registered } = ticketOf(runDir);
        expect(registered).toHaveLength(1);
        await waitFor(
          async () => {
            const svc = await service(stage.t.ecs, CLUSTER, SERVICE);
            const primary = svc.deployments?.find((d) => d.status === 'PRIMARY');
            return primary !== undefined && primary.taskDefinition === registered[0] && (primary.runningCount ?? 0) >= 1;
          },
          2 * MINUTE,
          'the bad release to have a running task',
        );
        const { pids } = killTree(cli.child.pid!);
        await cli.exited;
        await waitFor(() => pids.every((pid) => !alive(pid)), 30_000, 'every process of the run to be gone');

        const recover = await runFiredrill(['recover', '--report-dir', reportDir], 5 * MINUTE);
        const context = `killed at gate, bad release serving\n--- recover\n${describeRun(recover)}`;
        expect(recover.code, context).toBe(0);
        expect(recover.stdout, context).toContain(`UpdateService ${SERVICE} taskDefinition=${stage.baselineArn} (it was on ${registered[0]})`);
        expect(recover.stdout, context).toContain(`DeregisterTaskDefinition ${registered[0]}`);
        expect(recover.stdout, context).toContain('released the drill lock');
        expect(await expectRestored(stage, runId, context)).toEqual(registered);
        await expectNothingToRecover(reportDir, context);
        const took = /restored in (\d+\.\d) s/.exec(recover.stdout);
        results.push({
          track: 'SIGKILL',
          point: 'gate',
          exit: `recover ${recover.code}`,
          outcome: 'restored',
          restoreMs: took ? Number(took[1]) * 1000 : NaN,
          caseMs: Date.now() - caseStarted,
          note: `http-errors, bad release serving; recover ${(recover.ms / 1000).toFixed(1)} s wall; UpdateService, DeregisterTaskDefinition, released`,
        });
      });
    },
    8 * MINUTE,
  );
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  describe.concurrent(`${signal} in each phase`, () => {
    for (const point of SIGNAL_POINTS) {
      it.sequential(
        `${signal} at ${point}: the drill restores by itself and writes its journal; recover finds nothing`,
        async () => {
          const stage = stages.get(signal)!;
          const caseStarted = Date.now();
          const reportDir = join(dir, `${signal.toLowerCase()}-${point}`);
          await guarded(stage, reportDir, async (started) => {
            const cli = startHeld(stage, point, reportDir);
            started(cli);
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

            const ours = await expectRestored(stage, runId, output);
            expect(ours.length, output).toBe(REGISTERED_AT.has(point) ? 1 : 0);
            const ticket = ticketOf(runDir);
            expect(ticket).toMatchObject({ restored: true, restoredBy: 'drill' });
            // The bundle is sealed without the ticket (recover may rewrite it later), and verifies.
            const manifest = readManifest(runDir);
            expect(manifest.ok && manifest.manifest.files.map((f) => f.path)).not.toContain(TICKET_FILE);
            expect(verifyBundle(runDir)).toMatchObject({ ok: true });
            expect(existsSync(holdMarker(runDir, point)), 'the hold marker is gone').toBe(false);
            await expectNothingToRecover(reportDir, output);

            results.push({
              track: signal,
              point,
              exit: String(exit.code),
              outcome: j.outcome,
              restoreMs: restore?.endedAt !== undefined ? restore.endedAt - restore.startedAt : NaN,
              caseMs: Date.now() - caseStarted,
              note: j.restore.actions.length === 0 ? 'nothing to undo' : j.restore.actions.map((a) => a.split(' ')[0]).join(', '),
            });
          });
        },
        6 * MINUTE,
      );
    }
  });
}

describe('firedrill recover: bad input', () => {
  it('--help teaches; a missing report dir exits 2 without a stack trace; an unknown option exits 2; an empty dir has nothing to do', async () => {
    const help = await runFiredrill(['recover', '--help'], MINUTE);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: firedrill recover');
    expect(help.stdout).toContain(TICKET_FILE);
    const missing = await runFiredrill(['recover', '--report-dir', join(dir, 'no-such-dir')], MINUTE);
    expect(missing.code, describeRun(missing)).toBe(2);
    expect(missing.stderr).toContain('no report directory');
    expect(missing.stderr.split('\n').filter((l) => /^\s+at /.test(l))).toEqual([]);
    const unknown = await recoverHere(['--frobnicate']).catch((error: Error) => error);
    expect(unknown).toBeInstanceOf(Error);
    expect(String(unknown)).toContain("Unknown option '--frobnicate'");
    const empty = await recoverHere(['--report-dir', tempDir('firedrill-empty-')]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/nothing to recover/);
  });

  // None of these reach ECS: recover must decide from the ticket alone to leave the run be.
  const unfinished = (reportDir: string, runId: string, environment = 'elsewhere-env'): TicketWriter => {
    const w = new TicketWriter(join(reportDir, runId, TICKET_FILE), {
      runId,
      environment: { file: '/nowhere.yaml', name: environment, kind: 'sandbox', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', cluster: CLUSTER },
      serviceName: SERVICE,
      restoreTimeoutMs: 1000,
      pollIntervalMs: 100,
    });
    w.update({ phase: 'gate', touched: true, baselineTaskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/x:1' });
    return w;
  };

  it('leaves alone a run whose drill is alive here, refuses one from another host without --force, and names a damaged ticket (exit 4)', async () => {
    const reportDir = tempDir('firedrill-tickets-');
    unfinished(reportDir, 'run-alive'); // owned by this very process, which is alive
    const alive = await recoverHere(['--report-dir', reportDir]);
    expect(alive, alive.stdout).toMatchObject({ code: 0, stdout: expect.stringContaining('its drill is still running (pid') });

    const other = tempDir('firedrill-tickets-');
    const w = unfinished(other, 'run-elsewhere');
    writeTicket(w.path, { ...w.current, owner: { host: 'another-machine', pid: 1 } });
    const foreign = await recoverHere(['--report-dir', other]);
    expect(foreign.code, foreign.stdout).toBe(4);
    expect(foreign.stdout).toContain('it ran on host another-machine');
    expect(foreign.stdout).toContain('--force');

    const damaged = tempDir('firedrill-tickets-');
    mkdirSync(join(damaged, 'run-damaged'));
    writeFileSync(join(damaged, 'run-damaged', TICKET_FILE), '{"ticketVersion": 1, "runId"');
    const broken = await recoverHere(['--report-dir', damaged]);
    expect(broken.code, broken.stdout).toBe(4);
    expect(broken.stdout).toMatch(/NOT RECOVERED: cannot read .*run-damaged.*check its service by hand/);
  });

  it('--env selects the runs of one environment', async () => {
    const reportDir = tempDir('firedrill-tickets-');
    const w = unfinished(reportDir, 'run-other-env', 'some-other-environment');
    writeTicket(w.path, { ...w.current, owner: { host: 'another-machine', pid: 1 } });
    const selected = await recoverHere(['--report-dir', reportDir, '--env', stages.get('SIGKILL')!.envFile]);
    expect(selected, selected.stdout).toMatchObject({ code: 0, stdout: expect.stringContaining('1 unfinished in other environments, not selected') });
  });
});
