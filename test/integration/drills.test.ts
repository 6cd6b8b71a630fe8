// Rollback drills end to end, as a user runs them: `firedrill run` as a subprocess against a
// sandbox this test process started (the environment file says embedded: false, so firedrill
// never starts one of its own), judged by the journals it wrote, the sandbox's ground-truth
// event log and the service as DescribeServices shows it afterwards.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../harness/config/load.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { allurePaths } from '../../harness/report/allure-html.ts';
import {
  cleanUpFiredrill,
  describeRun,
  journalsIn,
  PROBE_INTERVAL_MS,
  runFiredrill,
  SCENARIOS_DIR,
  scenarioCopy,
  startFiredrill,
  waitForStdout,
  type FinishedCli,
} from '../support/firedrill-cli.ts';
import { ofKind, readEventLog, type SandboxEvent } from '../../sandbox/index.ts';
import { service } from '../support/sandbox.ts';
import { CLUSTER, expectInactive, expectSteadyOnBaseline, phaseOf, SERVICE, stage, type Stage } from '../support/drill-stage.ts';
import { waitFor } from '../support/wait.ts';

const MINUTE = 60_000;

const SHIPPED = readdirSync(SCENARIOS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();


const onlyJournal = (reportDir: string, r: FinishedCli): Journal => {
  const journals = journalsIn(reportDir);
  expect(journals, describeRun(r)).toHaveLength(1);
  return journals[0]!;
};

// ---- ground truth from the sandbox's event log

/**
 * The drill window of a journal, as the measurements use it: from inject until restore starts.
 * Anything restore does must not count as the rollback path working.
 */
const drillWindow = (j: Journal) => {
  const from = j.markers.injectAt;
  if (from === undefined) throw new Error(`journal ${j.runId} has no injectAt`);
  return { from, to: phaseOf(j, 'restore').startedAt };
};

const inWindow = <E extends SandboxEvent>(events: E[], j: Journal): E[] => {
  const { from, to } = drillWindow(j);
  return events.filter((e) => e.epochMs >= from && e.epochMs < to);
};

/** When the sandbox completed a deployment of the baseline task definition after inject: exactly one such event. */
const baselineCompletedAt = (events: SandboxEvent[], j: Journal): number => {
  const completed = ofKind(inWindow(events, j), 'deployment.state').filter(
    (e) => e.rolloutState === 'COMPLETED' && e.taskDefinition === j.baseline!.taskDefinitionArn,
  );
  expect(completed, `baseline COMPLETED events in the drill window of ${j.runId}`).toHaveLength(1);
  return completed[0]!.epochMs;
};

/**
 * When the load balancer began sending every request to the baseline, for good: the first
 * `traffic.switch` of the final unbroken run of switches (in the drill window) whose serving set
 * is non-empty and all on the baseline task definition. With no switch after inject, the
 * serving set never changed and inject itself is the answer (the baseline served throughout).
 */
const baselineServesEverythingSince = (events: SandboxEvent[], j: Journal, targetGroup = 'demo-web'): number => {
  const baseline = j.baseline!.taskDefinitionArn;
  const switches = ofKind(inWindow(events, j), 'traffic.switch').filter((e) => e.targetGroup === targetGroup);
  if (switches.length === 0) return drillWindow(j).from;
  let since: number | undefined;
  for (const s of switches) {
    const allBaseline = s.healthyTargets.length > 0 && s.healthyTargets.every((h) => h.taskDefinitionArn === baseline);
    since = allBaseline ? (since ?? s.epochMs) : undefined;
  }
  if (since === undefined) throw new Error(`the load balancer did not end the drill window of ${j.runId} serving the baseline alone: ${JSON.stringify(switches.at(-1))}`);
  return since;
};

const measuredRecoveredAt = (j: Journal): number => {
  const { injectAt, recoveredAt } = j.markers;
  const ttr = j.measurements?.timeToRecoverMs;
  expect(ttr, `timeToRecoverMs of ${j.runId}`).toBeTypeOf('number');
  expect(recoveredAt).toBe(injectAt! + ttr!);
  return recoveredAt!;
};

// One sandbox for the file: every drill starts on the steady baseline and must leave it so.
let s: Stage;
beforeAll(async () => {
  s = await stage();
}, 2 * MINUTE);
afterAll(async () => {
  await cleanUpFiredrill();
  await s?.t.stop();
});

/** A report folder of its own for each test, so each finds its journals alone. */
const reportDirFor = (name: string) => join(s.dir, name);

describe('every shipped scenario through firedrill run', () => {
  let r: FinishedCli;
  let journals: Journal[] = [];
  let events: SandboxEvent[] = [];
  let summary = '';
  let htmlBuilt = true;
  let resultsWritten = 0;

  // One CLI run of every scenario, which each test below judges: -t on any of them still runs it.
  beforeAll(async () => {
    const reportDir = reportDirFor('shipped');
    // --no-html: building the Allure report is allure.test.ts's to prove; here it would only cost time.
    r = await runFiredrill(['run', ...SHIPPED.map((f) => join(SCENARIOS_DIR, f)), '--env', s.envFile, '--report-dir', reportDir, '--no-html'], 19 * MINUTE);
    htmlBuilt = existsSync(allurePaths(reportDir).report);
    resultsWritten = existsSync(allurePaths(reportDir).results) ? readdirSync(allurePaths(reportDir).results).filter((f) => f.endsWith('-result.json')).length : 0;
    journals = journalsIn(reportDir);
    events = readEventLog(s.t.sandbox.eventLogPath);
    summary = `${describeRun(r)}\n--- journals\n${journals.map((j) => `${j.scenario.name}: ${j.outcome} ${j.problems.join('; ')}`).join('\n')}`;
  }, 20 * MINUTE);

  const journalOf = (name: string): Journal => {
    const j = journals.find((x) => x.scenario.name === name);
    if (!j) throw new Error(`no journal for ${name}; the run wrote ${journals.map((x) => x.scenario.name).join(', ') || 'none'}\n${summary}`);
    return j;
  };

  it('every shipped scenario passes, restores, and leaves the service steady on its original task definition', async () => {
    expect(r.code, summary).toBe(0);
    expect(journals.map((j) => j.scenario.name).sort(), summary).toEqual(SHIPPED.map((f) => loadScenario(join(SCENARIOS_DIR, f)).scenario.name).sort());
    for (const j of journals) {
      expect({ scenario: j.scenario.name, outcome: j.outcome, exitCode: j.exitCode, restoreOk: j.restore.ok }, summary).toEqual({
        scenario: j.scenario.name,
        outcome: 'passed',
        exitCode: 0,
        restoreOk: true,
      });
      expect(j.verdicts.filter((v) => !v.passed), j.scenario.name).toEqual([]);
      expect(j.baseline?.taskDefinitionArn, j.scenario.name).toBe(s.baselineArn);
    }
    await expectSteadyOnBaseline(s, summary);
    const injected = journals.map((j) => j.injected!.taskDefinitionArn);
    expect(new Set(injected).size).toBe(SHIPPED.length);
    await expectInactive(s, injected);
  });

  it('--no-html writes every Allure result and no HTML report', () => {
    expect(r.stdout, summary).not.toContain('HTML report');
    expect(htmlBuilt).toBe(false);
    expect(resultsWritten, summary).toBe(SHIPPED.length);
  });

  /*
   * What the measurement means (harness/analysis/measurements.ts): recoveredAt is the later of
   * - steadySince: the first service poll of the final run of polls showing one deployment, the
   *   baseline's, PRIMARY, COMPLETED, running = desired. A poll is stamped when DescribeServices
   *   answered, so it is at or after the sandbox's COMPLETED and at most one poll interval (250 ms
   *   here) plus a poll's own duration later;
   * - probesGoodSince: the request start of the first probe of the final run of 2xx probes served
   *   by the baseline version.
   * Ground truth for the same two things, from the sandbox's own log:
   * - the baseline deployment's `deployment.state` COMPLETED (the sandbox completes a deployment
   *   only once every other task is STOPPED, which is what "alone" and "running = desired" mean);
   * - the baseline serving every request: the load balancer's serving set became all-baseline for
   *   good (the first `traffic.switch` of the final run of all-baseline switches). A probe sent
   *   after that switch can only reach a baseline task, so the first good probe of the final run
   *   is at most one probe interval after it. It may also be earlier (round robin can hand the
   *   last probes before the switch to a baseline task), but never later than that bound.
   * So truth = max(COMPLETED, switch) and measured is within [truth - a probe interval, truth +
   * max(poll lag, probe interval)]; on the sandbox the switch comes first (draining tasks leave
   * the serving set at once, and the deployment completes only after they stopped), so measured
   * is in practice COMPLETED plus the poll lag.
   */
  it('bad-image-tag (circuit breaker): the measured recovery agrees with the sandbox event log within one probe interval', () => {
    const j = journalOf('bad-image-tag');
    const badArn = j.injected!.taskDefinitionArn;
    // The bad release never started a task, so it never served and the baseline's COMPLETED is the whole truth.
    expect(ofKind(inWindow(events, j), 'traffic.switch').filter((e) => e.healthyTargets.some((h) => h.taskDefinitionArn === badArn))).toEqual([]);
    expect(ofKind(inWindow(events, j), 'deployment.rollback').some((e) => e.taskDefinition === s.baselineArn)).toBe(true);
    const truth = baselineCompletedAt(events, j);
    const measured = measuredRecoveredAt(j);
    expect(Math.abs(measured - truth), `measured ${measured}, sandbox COMPLETED ${truth}`).toBeLessThanOrEqual(PROBE_INTERVAL_MS);
  });

  it('http-errors (gate, redeploy-previous): the measured recovery agrees with the sandbox event log within one probe interval', () => {
    const j = journalOf('http-errors');
    const badArn = j.injected!.taskDefinitionArn;
    // The bad release did serve (that is what the gate saw), so the serving set matters here.
    expect(ofKind(inWindow(events, j), 'traffic.switch').some((e) => e.healthyTargets.some((h) => h.taskDefinitionArn === badArn))).toBe(true);
    expect(j.markers.detectedBy).toMatch(/^gate /);
    const completed = baselineCompletedAt(events, j);
    const serving = baselineServesEverythingSince(events, j);
    const truth = Math.max(completed, serving);
    const measured = measuredRecoveredAt(j);
    expect(Math.abs(measured - truth), `measured ${measured}, sandbox COMPLETED ${completed}, all-baseline serving since ${serving}`).toBeLessThanOrEqual(PROBE_INTERVAL_MS);
  });
});

describe('interrupting a drill', () => {
  it(
    'Ctrl-C while the drill waits in gate restores the baseline and still writes the journal',
    async () => {
      const reportDir = reportDirFor('ctrl-c');
      // A gate that cannot fire (an error rate cannot exceed 1): the drill sits in gate with the bad release live.
      const file = scenarioCopy(s.dir, 'http-errors.yaml', (doc) => {
        doc.setIn(['gate', 'signals', 0, 'threshold'], 1);
        doc.setIn(['expectations', 'recoveryWithinSeconds'], 600);
      });
      const started = Date.now();
      const cli = startFiredrill(['run', file, '--env', s.envFile, '--report-dir', reportDir, '--no-html']);
      await waitForStdout(cli, /^\s+\d+\.\ds {2}gate: waiting for /m, 3 * MINUTE);
      // And the bad release is really serving, so there is something to restore.
      const bad = await waitFor(
        () => {
          const badSwitch = ofKind(readEventLog(s.t.sandbox.eventLogPath), 'traffic.switch').find(
            (e) => e.epochMs >= started && e.healthyTargets.some((h) => h.taskDefinitionArn !== s.baselineArn),
          );
          if (cli.exit) throw new Error(`firedrill exited early\n${describeRun({ ...cli.exit, stdout: cli.stdout(), stderr: cli.stderr() })}`);
          return badSwitch?.healthyTargets.find((h) => h.taskDefinitionArn !== s.baselineArn)?.taskDefinitionArn;
        },
        2 * MINUTE,
        'the bad release to serve',
      );
      expect(cli.exit).toBeUndefined();

      process.kill(cli.child.pid!, 'SIGINT');
      const exit = await waitFor(() => cli.exit, 4 * MINUTE, 'firedrill to exit after SIGINT');
      const output = describeRun({ ...exit, stdout: cli.stdout(), stderr: cli.stderr() });
      expect(exit, output).toEqual({ code: 1, signal: null });
      expect(cli.stderr()).toContain('SIGINT: stopping the drill');

      const j = onlyJournal(reportDir, { ...exit, stdout: cli.stdout(), stderr: cli.stderr(), ms: 0 });
      expect(j.outcome, output).toBe('interrupted');
      expect(j.exitCode).toBe(1);
      expect(j.injected!.taskDefinitionArn).toBe(bad);
      expect(phaseOf(j, 'gate').outcome).toBe('interrupted');
      const restore = phaseOf(j, 'restore');
      expect(restore.outcome, restore.detail).toBe('ok');
      expect(restore.endedAt).toBeTypeOf('number');
      expect(j.restore.ok, j.restore.state).toBe(true);
      expect(j.phases.map((p) => p.phase)).not.toContain('rollback');
      const steady = await expectSteadyOnBaseline(s, output);
      expect(j.restore.actions).toEqual([`UpdateService ${SERVICE} taskDefinition=${s.baselineArn} (it was on ${bad})`, `DeregisterTaskDefinition ${bad}`, `released the drill lock on ${steady.serviceArn}`]);
      await expectInactive(s, [bad]);
    },
    8 * MINUTE,
  );
});

describe('a scenario that does not load', () => {
  it(
    'a scenario with an unknown field exits 2 naming file:line:column, writes no journal and calls nothing',
    async () => {
      const reportDir = reportDirFor('unknown-field');
      const file = scenarioCopy(s.dir, 'bad-image-tag.yaml', (doc) => doc.setIn(['expectations', 'recoveryWithinSecnds'], 60));
      const lines = readFileSync(file, 'utf8').split('\n');
      const line = lines.findIndex((l) => l.startsWith('  recoveryWithinSecnds:')) + 1;
      expect(line).toBeGreaterThan(0);
      const before = (await service(s.t.ecs, CLUSTER, SERVICE)).deployments!.map((d) => d.id);
      const started = Date.now();
      const r = await runFiredrill(['run', file, '--env', s.envFile, '--report-dir', reportDir], 2 * MINUTE);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr).toContain(`firedrill: ${file}:${line}:3: expectations.recoveryWithinSecnds: unknown field`);
      expect(r.stderr.split('\n').filter((l) => /^\s+at /.test(l))).toEqual([]);
      expect(journalsIn(reportDir)).toEqual([]);
      // firedrill's calls only: the test's own DescribeServices just before can be logged in the same millisecond as `started`.
      expect(ofKind(readEventLog(s.t.sandbox.eventLogPath), 'api.call').filter((e) => e.epochMs >= started && e.firedrill)).toEqual([]);
      const svc = await service(s.t.ecs, CLUSTER, SERVICE);
      expect(svc.deployments!.map((d) => d.id)).toEqual(before);
    },
    3 * MINUTE,
  );
});
