// Section 5: `firedrill validate` at ECS's real timings. The sandbox runs as `firedrill sandbox
// start` in a process of its own with the timing profile {scale: 1, provisionSeconds: 30} (ECS
// seconds are wall seconds, and a task takes 30 s to provision and pull, as on Fargate), the demo
// service deployed on it with its own health-check and deregistration settings. Then
// `node bin/firedrill.js validate --candidate v1.2.0 --scenario scenarios/bad-image-tag.yaml`
// runs in a child process against it, as a pipeline would: the shipped scenario brings the smoke
// checks over HTTP and in Chromium to the drill on the candidate. Its report says each step's
// time beside what validate predicted from the service's settings before it touched anything. The goal: under 300 s in all, the rollback to
// the current release (which is also the restore) included, every step passed.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ecsClient } from '../harness/ecs/client.ts';
import { deployDemoService } from '../harness/ecs/demo-service.ts';
import type { Journal } from '../harness/journal/journal.ts';
import type { ValidationReport } from '../harness/journal/validation.ts';
import { secondsFigure } from '../lib/format.ts';
import { CLUSTER, SERVICE, environmentFor, startFiredrillProcess } from './firedrill-process.ts';
import { tempDir, throwIfInterrupted } from './lifecycle.ts';
import { print, progress, table } from './report.ts';
import { startSandboxProcess } from './sandbox-process.ts';

const REAL_TIMING = { scale: 1, provisionSeconds: 30 };
const GOAL_MS = 300_000;
/** validate's own budget is 300 s; the deadline only stops a run that hangs. */
const RUN_DEADLINE_MS = 15 * 60_000;

export interface ValidateSummary {
  passed: boolean;
  durationMs: number;
  predictedMs: number;
  exitCode: number | null;
}

const sec = (millis: number | undefined): string => secondsFigure(millis, 1);

/** "3 http passed, 1 browser passed" */
const smokeTally = (results: Journal['smoke']['baseline']): string => {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(`${r.kind} ${r.status}`, (counts.get(`${r.kind} ${r.status}`) ?? 0) + 1);
  return [...counts].map(([what, n]) => `${n} ${what}`).join(', ') || 'none';
};

const readReport = (reportDir: string): ValidationReport | undefined => {
  const file = existsSync(reportDir) ? readdirSync(reportDir).find((f) => /^validation-.*\.json$/.test(f)) : undefined;
  return file ? (JSON.parse(readFileSync(join(reportDir, file), 'utf8')) as ValidationReport) : undefined;
};

export const validateBench = async (): Promise<ValidateSummary> => {
  const workDir = tempDir('firedrill-bench-validate-');
  let keep = false;
  try {
    progress('starting a sandbox process at ECS timings (timing: {scale: 1, provisionSeconds: 30}, its own process group)');
    const sandbox = await startSandboxProcess(workDir.path, { detached: true, timing: REAL_TIMING });
    try {
      progress(`deploying the demo service (2 tasks of v1.0.0; at real timings this takes about a minute) on ${sandbox.endpoint}`);
      const ecs = ecsClient({ endpoint: sandbox.endpoint, region: sandbox.region });
      try {
        await deployDemoService(ecs, { cluster: CLUSTER, service: SERVICE, targetGroupArn: sandbox.targetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: 300_000 });
      } finally {
        ecs.destroy();
      }
      throwIfInterrupted();
      const envFile = join(workDir.path, 'environment.yaml');
      // A restore at real timings is a rolling update: 70 s or so, well inside 300.
      writeFileSync(envFile, JSON.stringify(environmentFor(sandbox.endpoint, sandbox.lbUrl, { baselineSeconds: 300, restoreSeconds: 300 }), null, 2) + '\n');
      const reportDir = join(workDir.path, 'reports');
      const logFile = join(workDir.path, 'validate.log');
      const args = ['validate', '--candidate', 'v1.2.0', '--scenario', 'scenarios/bad-image-tag.yaml', '--env', envFile, '--report-dir', reportDir];
      progress(`node bin/firedrill.js ${args.join(' ')} (full output: ${logFile})`);
      const run = startFiredrillProcess(args, logFile, (line) => {
        if (/^\s+[\d.]+s\s+\S/.test(line) || /^validation of/.test(line)) progress(`  ${line.trim()}`);
      });
      const deadline = setTimeout(() => void run.stop(`the ${RUN_DEADLINE_MS / 60_000}-minute deadline`), RUN_DEADLINE_MS);
      const exit = await run.exited.finally(() => clearTimeout(deadline));
      throwIfInterrupted();
      const report = readReport(reportDir);
      if (!report) {
        keep = true;
        throw new Error(`firedrill validate (exit ${exit.code ?? exit.signal}) wrote no report; its output is in ${logFile}`);
      }
      const drillFile = report.steps.find((s) => s.name === 'failing-release-caught')?.journal;
      const drill = drillFile && existsSync(drillFile) ? (JSON.parse(readFileSync(drillFile, 'utf8')) as Journal) : undefined;
      const rows = report.steps.map((s) => [s.name, sec(s.predictedMs), sec(s.durationMs), s.passed ? 'passed' : 'FAILED']);
      rows.push(['total (restore included)', sec(report.prediction.ms), sec(report.durationMs), report.passed ? 'passed' : 'FAILED']);
      if (!report.passed) keep = true;
      print(
        table(
          'firedrill validate --candidate v1.2.0 --scenario scenarios/bad-image-tag.yaml, at ECS timings',
          [{ header: 'step' }, { header: 'predicted s', align: 'right' }, { header: 'took s', align: 'right' }, { header: 'result' }],
          rows,
          [
            `goal: under ${GOAL_MS / 1000} s in all, every step proven: ${report.durationMs < GOAL_MS && report.passed ? 'met' : 'NOT met'} (${sec(report.durationMs)} s; validate's budget ${sec(report.budgetMs)} s); exit ${exit.code ?? exit.signal}.`,
            `what costs the time (predicted): ${report.prediction.costs.slice(0, 4).map((c) => `${c.setting} ${sec(c.ms)} s`).join('; ')}.`,
            ...(drill
              ? [
                  `inside failing-release-caught, the drill's phases: ${drill.phases.map((p) => `${p.phase} ${sec(p.endedAt === undefined ? undefined : p.endedAt - p.startedAt)}`).join(', ')} s;`,
                  `its smoke checks, before and after the rollback: ${smokeTally(drill.smoke.baseline)}; ${smokeTally(drill.smoke.afterRecovery)}.`,
                ]
              : []),
            `spawn to exit: ${sec(exit.endedAt - exit.startedAt)} s (the report's total starts after the command has loaded).`,
            ...(keep ? [`kept for a look: ${workDir.path} (validate.log, reports/, data/ with the sandbox's event log)`] : []),
          ],
        ),
      );
      return { passed: report.passed, durationMs: report.durationMs, predictedMs: report.prediction.ms, exitCode: exit.code };
    } finally {
      progress('stopping the validate sandbox process');
      await sandbox.stop();
    }
  } finally {
    if (keep) workDir.keep();
    else workDir.remove();
  }
};

export const summarizeValidate = (s: ValidateSummary): string =>
  `validate at ECS timings ${s.passed ? 'passed' : 'FAILED'} in ${sec(s.durationMs)} s (predicted ${sec(s.predictedMs)} s, goal under ${GOAL_MS / 1000} s)`;
