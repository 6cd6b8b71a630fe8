// Section 4: the drills themselves, as `firedrill demo` runs them. The sandbox runs as `firedrill
// sandbox start` in a process (and process group) of its own with the demo service deployed on it,
// as `--demo` does; an environment file points at it with `sandbox: {embedded: false}`; then
// `node bin/firedrill.js run scenarios/*.yaml --env <that file> --report-dir <tmp>` runs every
// shipped scenario in a child process. That is exactly what `firedrill demo` does, apart from
// starting the sandbox inside its own process, which would mix the sandbox's memory with the
// harness's. Figures:
//   - wall time of the whole run and of each drill (journal endedAt - startedAt);
//   - the harness's overhead per drill: its wall time minus the sandbox's own time from inject to
//     recovery, read from the sandbox's event log (ground truth), beside the drill's measured
//     recovery (journal measurements.timeToRecoverMs);
//   - the harness's peak memory: VmRSS of the `firedrill run` process and every descendant (the
//     Playwright runner, its worker, Chromium for browser checks, team commands), sampled every
//     200 ms from /proc; the sandbox's process tree is not among them.
// Ctrl-C sends SIGINT to the run and waits while its drill restores the service, then stops the
// sandbox.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Journal } from '../harness/journal/journal.ts';
import { ecsClient } from '../harness/ecs/client.ts';
import { deployDemoService } from '../harness/ecs/demo-service.ts';
import { findChromium } from '../harness/smoke/browser.ts';
import { ofKind, readEventLog, type SandboxEvent } from '../sandbox/index.ts';
import { tempDir, throwIfInterrupted } from './lifecycle.ts';
import { commandLine, descendantsOf, procStat, vmRssKib } from './procfs.ts';
import { kibToMib, load1, ms, print, progress, stats, table } from './report.ts';
import { secondsFigure } from '../lib/format.ts';
import { startSandboxProcess } from './sandbox-process.ts';
import { CLUSTER, SERVICE, environmentFor, startFiredrillProcess, type FiredrillExit } from './firedrill-process.ts';

const SAMPLE_INTERVAL_MS = 200;
/** The whole `firedrill run`; a normal run of the shipped scenarios on the sandbox takes a few minutes. */
const RUN_DEADLINE_MS = 30 * 60_000;
/** `inject` in the event log may precede the journal's injectAt marker by this much (the brief's tolerance). */
const INJECT_SLACK_MS = 1000;

// Seconds to a hundredth, without the unit: the tables say it in their headers.
const sec = (millis: number | undefined): string => secondsFigure(millis, 2);
const signedSec = (millis: number): string => `${millis >= 0 ? '+' : ''}${secondsFigure(millis, 2)}`;

// ---- memory: the run's process tree, from /proc

type Kind = 'firedrill run' | 'Playwright runner' | 'Playwright worker' | 'Playwright loader' | 'Chromium' | 'team commands' | 'other';
const KINDS: Kind[] = ['firedrill run', 'Playwright runner', 'Playwright worker', 'Playwright loader', 'Chromium', 'team commands', 'other'];

interface Labelled {
  kind: Kind;
  /** Short: the kind and, for Chromium, its --type; for anything else, its executable. */
  label: string;
}

/**
 * What a process is, from its command line now. Not cached by pid: a process keeps its pid and
 * start time across exec, and /usr/bin/chromium is a `/bin/sh` script that execs the browser, as
 * the pyenv shim behind `aws` is a bash script.
 */
const classify = (pid: number, root: number, parent: Labelled | undefined): Labelled => {
  const own = classifyOwn(pid, root);
  // A helper a browser wrapper script or a team command runs (uname, tr, ...) counts as theirs.
  if (own.kind === 'other' && (parent?.kind === 'Chromium' || parent?.kind === 'team commands')) return { kind: parent.kind, label: `${own.label} (under ${parent.label})` };
  return own;
};

const classifyOwn = (pid: number, root: number): Labelled => {
  const cmd = commandLine(pid);
  const words = cmd.split(' ');
  const exe = basename(words[0] ?? '');
  const script = basename(words[1] ?? '');
  if (pid === root) return { kind: 'firedrill run', label: 'firedrill run (node bin/firedrill.js)' };
  if (/workerProcessEntry/.test(cmd)) return { kind: 'Playwright worker', label: 'Playwright worker (runs the drill)' };
  if (/loaderProcessEntry/.test(cmd)) return { kind: 'Playwright loader', label: 'Playwright loader' };
  if (/@playwright\/test\/cli|playwright\/cli\.js/.test(cmd)) return { kind: 'Playwright runner', label: 'Playwright runner' };
  // The browser, its zygotes and their children (some re-exec as /proc/self/exe), and the /usr/bin/chromium wrapper script.
  if (/chrom(e|ium)/i.test(exe) || /chrom(e|ium)/i.test(script) || (exe === 'exe' && /--type=/.test(cmd))) {
    const type = /--type=(\S+)/.exec(cmd)?.[1];
    return { kind: 'Chromium', label: `Chromium ${type ?? (/^(sh|bash|dash)$/.test(exe) ? 'wrapper script' : 'browser')}` };
  }
  // The scenarios' deploy and rollback commands: a shell, the aws CLI (here a pyenv shim, itself bash) and its Python.
  if (/^(sh|bash|dash|zsh)$/.test(exe) || /(^|[\s/])aws(\s|$)/.test(cmd) || /pyenv|^python/.test(exe + ' ' + script)) {
    return { kind: 'team commands', label: `${exe}${script && exe !== script ? ` ${script}` : ''}` };
  }
  return { kind: 'other', label: exe || 'a process exiting (no command line)' };
};

interface Sample {
  t: number;
  totalKib: number;
  processes: number;
  largest: { kib: number; pid: number; label: string };
  byKind: Map<Kind, { kib: number; n: number }>;
}

interface Sampler {
  samples: Sample[];
  /** Processes of the sandbox's tree found among the run's descendants (there should be none). */
  sandboxOverlap: number;
  /** Every distinct process (pid and start time) seen, with what it was when last seen. */
  seen: Map<string, Labelled>;
  stop(): void;
}

/** Every SAMPLE_INTERVAL_MS (start to start): summed VmRSS of `root` and its descendants, the sandbox's tree excluded. */
const startSampler = (root: number, sandboxPid: number): Sampler => {
  const sampler: Sampler = { samples: [], sandboxOverlap: 0, seen: new Map(), stop: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const sampleOnce = () => {
    const t = Date.now();
    const rootInfo = procStat(root);
    if (!rootInfo || rootInfo.state === 'Z') return;
    const sandboxTree = new Set([sandboxPid, ...descendantsOf(sandboxPid).map((p) => p.pid)]);
    const sample: Sample = { t, totalKib: 0, processes: 0, largest: { kib: 0, pid: 0, label: '' }, byKind: new Map() };
    // Parents come before their children here (a breadth-first walk from the root).
    const labelled = new Map<number, Labelled>();
    for (const p of [rootInfo, ...descendantsOf(root)]) {
      if (sandboxTree.has(p.pid)) {
        sampler.sandboxOverlap++;
        continue;
      }
      const kib = p.state === 'Z' ? undefined : vmRssKib(p.pid);
      if (kib === undefined || kib === 0) continue; // Gone, a zombie, or a kernel thread.
      const what = classify(p.pid, root, labelled.get(p.ppid));
      labelled.set(p.pid, what);
      sampler.seen.set(`${p.pid}:${p.startTime}`, what);
      sample.totalKib += kib;
      sample.processes++;
      if (kib > sample.largest.kib) sample.largest = { kib, pid: p.pid, label: what.label };
      const k = sample.byKind.get(what.kind) ?? { kib: 0, n: 0 };
      sample.byKind.set(what.kind, { kib: k.kib + kib, n: k.n + 1 });
    }
    sampler.samples.push(sample);
  };
  const tick = () => {
    if (stopped) return;
    const startedAt = Date.now();
    sampleOnce();
    timer = setTimeout(tick, Math.max(0, startedAt + SAMPLE_INTERVAL_MS - Date.now()));
  };
  tick();
  sampler.stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  return sampler;
};

const readJournals = (reportDir: string): Journal[] => {
  if (!existsSync(reportDir)) return [];
  return readdirSync(reportDir)
    .map((entry) => join(reportDir, entry, 'journal.json'))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as Journal)
    .sort((a, b) => a.startedAt - b.startedAt);
};

// ---- ground truth: inject and recovery in the sandbox's event log

interface Truth {
  injectAt: number;
  /** Which event stood for inject. */
  injectBy: string;
  recoveredAt?: number;
  why?: string;
}

const groundTruth = (j: Journal, events: SandboxEvent[]): Truth | { why: string } => {
  const marker = j.markers.injectAt;
  const bad = j.injected?.taskDefinitionArn;
  const baseline = j.baseline?.taskDefinitionArn;
  if (marker === undefined || !bad || !baseline) return { why: 'the drill never injected' };
  const from = marker - INJECT_SLACK_MS;
  const byCommand = j.scenario.spec.rollout.method === 'command';
  // The team's deploy command is a process of its own: the sandbox's first launch of the bad task
  // definition is where its rollout is known to have begun.
  const inject = byCommand
    ? ofKind(events, 'task.launched').find((e) => e.taskDefinitionArn === bad && e.epochMs >= from)
    : ofKind(events, 'api.call').find((e) => e.operation === 'UpdateService' && e.status === 200 && e.epochMs >= from);
  if (!inject) return { why: `no ${byCommand ? 'task.launched of the bad task definition' : 'api.call UpdateService'} in the event log after injectAt` };
  const injectBy = byCommand ? 'first task.launched of the bad task definition' : 'api.call UpdateService';
  // Recovery by the rollback path, not by restore: restore always puts the baseline back.
  const restoreAt = j.phases.find((p) => p.phase === 'restore')?.startedAt ?? j.endedAt ?? Number.POSITIVE_INFINITY;
  const done = ofKind(events, 'deployment.state').find(
    (e) =>
      e.rolloutState === 'COMPLETED' &&
      e.service === j.environment.service &&
      e.taskDefinition === baseline &&
      e.epochMs > inject.epochMs &&
      e.epochMs < restoreAt,
  );
  return done
    ? { injectAt: inject.epochMs, injectBy, recoveredAt: done.epochMs }
    : { injectAt: inject.epochMs, injectBy, why: 'no deployment.state COMPLETED of the baseline task definition before restore' };
};

// ---- the section

interface DrillFigures {
  scenario: string;
  rollout: string;
  rollback: string;
  outcome: string;
  wallMs: number;
  startedAt: number;
  endedAt: number;
  truthMs?: number;
  measuredMs?: number;
  overheadMs?: number;
  beforeInjectMs?: number;
  afterRecoveryMs?: number;
  injectBy?: string;
  why?: string;
  peakKib?: number;
}

export interface DrillsSummary {
  scenarios: number;
  passed: number;
  runMs: number;
  sandboxStartMs: number;
  wall: ReturnType<typeof stats>;
  overhead: ReturnType<typeof stats>;
  peakKib: number;
  largestKib: number;
  largestLabel: string;
  exitCode: number | null;
}

export const drillsBench = async (): Promise<DrillsSummary> => {
  const workDir = tempDir('firedrill-bench-drills-');
  let keep = false;
  try {
    const chromium = findChromium();
    progress('starting a sandbox process (node bin/firedrill.js sandbox start --port 0 --config <tmp yaml>, its own process group)');
    const sandboxStartedAt = Date.now();
    const sandbox = await startSandboxProcess(workDir.path, { detached: true });
    let sandboxStopped = false;
    try {
      // What `sandbox start --demo` does once the sandbox answers.
      progress(`deploying the demo service as --demo does (cluster ${CLUSTER}, service ${SERVICE}, 2 tasks of v1.0.0) on ${sandbox.endpoint}`);
      const ecs = ecsClient({ endpoint: sandbox.endpoint, region: sandbox.region });
      try {
        await deployDemoService(ecs, { cluster: CLUSTER, service: SERVICE, targetGroupArn: sandbox.targetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: 60_000 });
      } finally {
        ecs.destroy();
      }
      const sandboxStartMs = Date.now() - sandboxStartedAt;
      throwIfInterrupted();

      const envFile = join(workDir.path, 'environment.yaml');
      // JSON is YAML: the environment needs no YAML library here.
      writeFileSync(envFile, JSON.stringify(environmentFor(sandbox.endpoint, sandbox.lbUrl), null, 2) + '\n');
      const reportDir = join(workDir.path, 'reports');
      const logFile = join(workDir.path, 'run.log');
      const args = ['scenarios/*.yaml', '--env', envFile, '--report-dir', reportDir];
      const load = load1();
      progress(`node bin/firedrill.js run ${args.join(' ')} (full output: ${logFile})`);
      const run = startFiredrillProcess(['run', ...args], logFile, (line) => {
        // The drill starts and verdicts; the phase-by-phase lines stay in the log.
        if (/^(▶|✔|✘)/.test(line) || /^firedrill: (run |\d+ drills? to run|.*scenario)/.test(line)) progress(`  ${line}`);
      });
      const sampler = startSampler(run.pid, sandbox.pid);
      const deadline = setTimeout(() => void run.stop(`the ${RUN_DEADLINE_MS / 60_000}-minute deadline`), RUN_DEADLINE_MS);
      let exit: FiredrillExit;
      try {
        exit = await run.exited;
      } finally {
        clearTimeout(deadline);
        sampler.stop();
      }
      throwIfInterrupted();
      const runMs = exit.endedAt - exit.startedAt;

      const journals = readJournals(reportDir);
      if (journals.length === 0) {
        keep = true;
        throw new Error(`firedrill run (exit ${exit.code ?? exit.signal}) wrote no journal; its output is in ${logFile}`);
      }
      const events = readEventLog(sandbox.eventLogPath);
      const samples = sampler.samples;

      const figures: DrillFigures[] = journals.map((j) => {
        const wallMs = (j.endedAt ?? j.startedAt) - j.startedAt;
        const truth = groundTruth(j, events);
        const truthMs = 'recoveredAt' in truth && truth.recoveredAt !== undefined ? truth.recoveredAt - truth.injectAt : undefined;
        const inWindow = samples.filter((s) => s.t >= j.startedAt && s.t <= (j.endedAt ?? j.startedAt));
        const spec = j.scenario.spec;
        return {
          scenario: j.scenario.name,
          rollout: spec.rollout.method,
          rollback: spec.rollback.path,
          outcome: j.outcome,
          wallMs,
          startedAt: j.startedAt,
          endedAt: j.endedAt ?? j.startedAt,
          truthMs,
          measuredMs: j.measurements?.timeToRecoverMs,
          overheadMs: truthMs === undefined ? undefined : wallMs - truthMs,
          beforeInjectMs: 'injectAt' in truth ? truth.injectAt - j.startedAt : undefined,
          afterRecoveryMs: 'recoveredAt' in truth && truth.recoveredAt !== undefined ? (j.endedAt ?? j.startedAt) - truth.recoveredAt : undefined,
          ...('injectBy' in truth && { injectBy: truth.injectBy }),
          ...(truth.why !== undefined && { why: truth.why }),
          ...(inWindow.length > 0 && { peakKib: Math.max(...inWindow.map((s) => s.totalKib)) }),
        };
      });
      const passed = figures.filter((f) => f.outcome === 'passed').length;
      if (passed < figures.length || exit.code !== 0) keep = true;

      // -- per drill
      print(
        table(
          `Each drill: wall time, the sandbox's own inject -> recovery (event log), and the harness's overhead (s); ${journals.length} scenarios in one run`,
          [
            { header: 'scenario' },
            { header: 'rollout -> rollback' },
            { header: 'outcome' },
            { header: 'drill', align: 'right' },
            { header: 'inject->recovery', align: 'right' },
            { header: 'measured', align: 'right' },
            { header: 'meas.-log', align: 'right' },
            { header: 'overhead', align: 'right' },
            { header: '= before inject', align: 'right' },
            { header: '+ after recovery', align: 'right' },
            { header: 'peak RSS MiB', align: 'right' },
          ],
          figures.map((f) => [
            f.scenario,
            `${f.rollout} -> ${f.rollback}`,
            f.outcome,
            sec(f.wallMs),
            sec(f.truthMs),
            sec(f.measuredMs),
            f.truthMs !== undefined && f.measuredMs !== undefined ? signedSec(f.measuredMs - f.truthMs) : '-',
            sec(f.overheadMs),
            sec(f.beforeInjectMs),
            sec(f.afterRecoveryMs),
            f.peakKib === undefined ? '-' : kibToMib(f.peakKib),
          ]),
          [
            'drill:            journal endedAt - startedAt (preflight, baseline, inject, gate, rollback, verify, restore, report).',
            "inject->recovery: the sandbox's event log (ground truth): inject = api.call UpdateService at or after the journal's injectAt - 1 s",
            '                  (for rollout by command: the first task.launched of the bad task definition, journal injected.taskDefinitionArn);',
            '                  recovery = the next deployment.state COMPLETED on the baseline task definition (journal baseline.taskDefinitionArn),',
            '                  before the restore phase began.',
            'measured:         the drill\'s own journal measurements.timeToRecoverMs: from its injectAt until the service was seen steady on the',
            '                  baseline and every probe served the baseline, for the stable window; polled every 500 ms, probed every 500 ms.',
            'overhead:         drill - inject->recovery = the harness\'s time before inject (preflight, baseline checks and smoke) + its time after',
            '                  the sandbox recovered (the stable window, smoke checks after recovery, restore, journal).',
            'meas.-log:        measured - inject->recovery: the log has recovery when the sandbox marked COMPLETED, the drill when its poller',
            "                  and prober (every 500 ms) first saw it; for a rollout by command the journal's injectAt also precedes the command",
            '                  itself (a shell, then the aws CLI) reaching the sandbox.',
            `peak RSS:         the highest summed VmRSS of firedrill run and its descendants sampled during that drill (${SAMPLE_INTERVAL_MS} ms samples).`,
            ...figures.filter((f) => f.why !== undefined).map((f) => `${f.scenario}: not timed against the event log: ${f.why}`),
          ],
        ),
      );

      // -- across drills
      const row = (label: string, values: Array<number | undefined>, fmt: (v: number) => string = sec, withTotal = true) => {
        const timed = values.filter((v): v is number => v !== undefined);
        const s = stats(timed);
        return [label, `${timed.length}/${values.length}`, withTotal && timed.length > 0 ? fmt(timed.reduce((a, b) => a + b, 0)) : '', s ? fmt(s.min) : '-', s ? fmt(s.median) : '-', s ? fmt(s.max) : '-'];
      };
      print(
        table(
          `Across the ${figures.length} scenarios (s; MiB for memory)`,
          [{ header: 'figure' }, { header: 'n', align: 'right' }, { header: 'total', align: 'right' }, { header: 'min', align: 'right' }, { header: 'median', align: 'right' }, { header: 'max', align: 'right' }],
          [
            row('drill wall time', figures.map((f) => f.wallMs)),
            row('inject -> recovery (event log)', figures.map((f) => f.truthMs)),
            row('measured recovery (journal)', figures.map((f) => f.measuredMs)),
            row('measured - event log', figures.map((f) => (f.truthMs !== undefined && f.measuredMs !== undefined ? f.measuredMs - f.truthMs : undefined)), signedSec, false),
            row('harness overhead', figures.map((f) => f.overheadMs)),
            row('  before inject', figures.map((f) => f.beforeInjectMs)),
            row('  after recovery', figures.map((f) => f.afterRecoveryMs)),
            row('peak RSS during the drill', figures.map((f) => f.peakKib), kibToMib, false),
          ],
          [`outcomes: ${passed}/${figures.length} passed${passed < figures.length ? ` (${figures.filter((f) => f.outcome !== 'passed').map((f) => `${f.scenario} ${f.outcome}`).join(', ')})` : ''}.`],
        ),
      );

      // -- the whole run
      const firstStart = Math.min(...figures.map((f) => f.startedAt));
      const lastEnd = Math.max(...figures.map((f) => f.endedAt));
      const inDrills = figures.reduce((n, f) => n + f.wallMs, 0);
      const between = lastEnd - firstStart - inDrills;
      print(
        table(
          '`firedrill demo`: every shipped scenario against the sandbox (s)',
          [{ header: 'what' }, { header: 'seconds', align: 'right' }],
          [
            ['sandbox process started, demo service steady (what demo does first)', sec(sandboxStartMs)],
            ['firedrill run scenarios/*.yaml, spawn to exit', sec(runMs)],
            ['  CLI and Playwright start, until the first drill starts', sec(firstStart - exit.startedAt)],
            [`  the ${figures.length} drills (sum of journal wall times)`, sec(inDrills)],
            ['  between drills', sec(between)],
            ['  after the last drill, until exit (summaries, Playwright teardown)', sec(exit.endedAt - lastEnd)],
            ['firedrill demo, equivalent: sandbox start + run', sec(sandboxStartMs + runMs)],
          ],
          [
            '`firedrill demo` = start the sandbox with the demo service (inside its own process) + `firedrill run scenarios/*.yaml --env sandbox`;',
            `the bench runs exactly that run as a child process (node bin/firedrill.js run ${args.map((a) => a.replace(workDir.path, '<tmp>')).join(' ')}),`,
            `against a sandbox started with bench/sandbox-process.ts (pid ${sandbox.pid}, its own process group) and the demo service deployed as --demo does,`,
            'through an environment file with environments/sandbox.yaml\'s intervals and timeouts (probe and poll every 500 ms) and sandbox: {embedded: false}.',
            `firedrill run exit: ${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`}${exit.stoppedBy ? ` (stopped by the bench: ${exit.stoppedBy})` : ''}; 1-minute load average as it started: ${load}.`,
          ],
        ),
      );

      // -- memory
      const peak = samples.reduce<Sample | undefined>((best, s) => (!best || s.totalKib > best.totalKib ? s : best), undefined);
      const largest = samples.reduce<Sample | undefined>((best, s) => (!best || s.largest.kib > best.largest.kib ? s : best), undefined);
      const peakDrill = peak && figures.find((f) => peak.t >= f.startedAt && peak.t <= f.endedAt);
      const largestDrill = largest && figures.find((f) => largest.t >= f.startedAt && largest.t <= f.endedAt);
      const seenOf = (k: Kind) => [...sampler.seen.values()].filter((l) => l.kind === k);
      const kindRows = KINDS.filter((k) => seenOf(k).length > 0).map((k) => {
        const kibs = samples.map((s) => s.byKind.get(k)?.kib ?? 0);
        const counts = samples.map((s) => s.byKind.get(k)?.n ?? 0);
        const atPeak = peak?.byKind.get(k);
        return [k, String(seenOf(k).length), String(Math.max(...counts)), kibToMib(Math.max(...kibs)), atPeak ? `${kibToMib(atPeak.kib)} (${atPeak.n})` : '-'];
      });
      const tally = (labels: Labelled[]) =>
        [...labels.reduce((m, l) => m.set(l.label, (m.get(l.label) ?? 0) + 1), new Map<string, number>())].map(([label, n]) => `${n}× ${label}`).join(', ') || 'none';
      const intervals = samples.slice(1).map((s, i) => s.t - (samples[i]?.t ?? s.t));
      const gaps = stats(intervals);
      const browserChecks = journals.flatMap((j) => [...j.smoke.baseline, ...j.smoke.afterRecovery]).filter((r) => r.kind === 'browser' || r.kind === 'spec');
      const byStatus = (s: string) => browserChecks.filter((r) => r.status === s).length;
      print(
        table(
          "The harness's memory: VmRSS of firedrill run and all its descendants, sandbox excluded (MiB)",
          [
            { header: 'processes' },
            { header: 'seen', align: 'right' },
            { header: 'max at once', align: 'right' },
            { header: 'peak RSS', align: 'right' },
            { header: 'at the overall peak (n)', align: 'right' },
          ],
          [
            ...kindRows,
            ['all of them (the harness)', String(sampler.seen.size), String(Math.max(0, ...samples.map((s) => s.processes))), peak ? kibToMib(peak.totalKib) : '-', peak ? `${kibToMib(peak.totalKib)} (${peak.processes})` : '-'],
          ],
          [
            `peak of the sum:             ${peak ? `${kibToMib(peak.totalKib)} MiB, ${peak.processes} processes, ${sec(peak.t - exit.startedAt)} s into the run${peakDrill ? ` (during ${peakDrill.scenario})` : ' (between drills)'}` : '-'}.`,
            `peak of the largest process: ${largest ? `${kibToMib(largest.largest.kib)} MiB, ${largest.largest.label} (pid ${largest.largest.pid}), ${sec(largest.t - exit.startedAt)} s into the run${largestDrill ? ` (during ${largestDrill.scenario})` : ''}` : '-'}.`,
            `${samples.length} samples, every ${SAMPLE_INTERVAL_MS} ms start to start (actual interval median ${gaps ? ms(gaps.median) : '-'} ms, max ${gaps ? ms(gaps.max) : '-'} ms); descendants by the ppid chain in /proc/*/stat.`,
            'peak RSS per row: the highest sum of that kind in any one sample; rows need not add up to the total, whose peak is one sample.',
            `seen: distinct processes (pid and start time), by what each was when last sampled; team commands: ${tally(seenOf('team commands'))}; other: ${tally(seenOf('other'))}.`,
            `the sandbox (pid ${sandbox.pid}) and its tasks are not descendants of the run; sandbox processes met among the run's descendants: ${sampler.sandboxOverlap}.`,
            "not counted: Chromium's chrome_crashpad_handler (about 4 MiB, two per browser launch), which detaches to init at once and so leaves the tree.",
            `Chromium: ${'path' in chromium ? chromium.path : chromium.missing}; browser checks and smoke specs in the journals: ${byStatus('passed')} passed, ${byStatus('failed')} failed, ${byStatus('skipped')} skipped.`,
            ...(keep ? [`kept for a look: ${workDir.path} (run.log, reports/, data/ with the sandbox's event log)`] : []),
          ],
        ),
      );

      progress('stopping the drills sandbox process');
      await sandbox.stop();
      sandboxStopped = true;
      const wall = stats(figures.map((f) => f.wallMs));
      const overhead = stats(figures.flatMap((f) => (f.overheadMs === undefined ? [] : [f.overheadMs])));
      return {
        scenarios: figures.length,
        passed,
        runMs,
        sandboxStartMs,
        wall,
        overhead,
        peakKib: peak?.totalKib ?? 0,
        largestKib: largest?.largest.kib ?? 0,
        largestLabel: largest?.largest.label ?? '-',
        exitCode: exit.code,
      };
    } finally {
      if (!sandboxStopped) {
        progress('stopping the drills sandbox process');
        await sandbox.stop();
      }
    }
  } finally {
    if (keep) workDir.keep();
    else workDir.remove();
  }
};

export const summarizeDrills = (s: DrillsSummary): string =>
  `${s.scenarios} drills (${s.passed} passed) in ${sec(s.runMs)} s + ${sec(s.sandboxStartMs)} s sandbox start; per drill median ${sec(s.wall?.median)} s, overhead median ${sec(s.overhead?.median)} s; harness peak RSS ${kibToMib(s.peakKib)} MiB (largest process ${kibToMib(s.largestKib)} MiB, ${s.largestLabel})`;
