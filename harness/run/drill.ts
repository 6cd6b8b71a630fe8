// One drill: one scenario in one environment, through its phases
//   preflight -> baseline -> inject -> gate -> rollback -> verify -> restore -> report,
// each a task (phases/) run by the task runner: a failed phase skips the rest, and restore, the
// teardown of preflight, always runs. Everything observed goes into the timeline; the journal is
// written at the end, and everything else reads it.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { judge } from '../analysis/verdicts.ts';
import type { LoadedEnvironment, LoadedScenario } from '../config/load.ts';
import type { Driver } from '../ecs/driver.ts';
import { redactJournal, secretsInEnvironment } from '../evidence/redact-journal.ts';
import { writeManifest } from '../evidence/manifest.ts';
import { Timeline, type Phase } from '../observe/timeline.ts';
import { DrillContext, type Clock, type Progress } from './drill-context.ts';
import { writeJournal, JOURNAL_SCHEMA_VERSION, type Journal } from '../journal/journal.ts';
import { DrillStop, exitCodeOf, type Outcome } from '../journal/outcome.ts';
import { TICKET_FILE, TicketWriter } from './restore-ticket.ts';
import { TaskRunner } from './task-runner.ts';
import { baselineTask } from './phases/baseline.ts';
import { browserFixture } from './phases/browser.ts';
import type { SharedChromium } from '../smoke/browser.ts';
import { gateTask } from './phases/gate.ts';
import { injectTask } from './phases/inject.ts';
import { observeFixture } from './phases/observe.ts';
import { preflightTask } from './phases/preflight.ts';
import { rollbackTask } from './phases/rollback.ts';
import { verifyTask } from './phases/verify.ts';

export type { Clock, Progress } from './drill-context.ts';

export interface DrillOptions {
  scenario: LoadedScenario;
  environment: LoadedEnvironment;
  driver: Driver;
  reportDir: string;
  firedrillVersion: string;
  clock?: Clock;
  runId?: string;
  invocationId?: string;
  /** Aborting it interrupts the drill: it goes straight to restore and still writes its journal. */
  signal?: AbortSignal;
  /** The operator's consent to drill a production environment (`--allow-production`). */
  allowProduction?: boolean;
  /** The caller (validate) holds the service's drill lock for the whole run; the drill must not take or release it. */
  lockHeldByCaller?: boolean;
  progress?: (p: Progress) => void;
  /** Wraps each phase, e.g. in Playwright's test.step. */
  step?: <T>(phase: Phase, body: () => Promise<T>) => Promise<T>;
  /**
   * A browser for the smoke checks that the caller keeps open across drills and closes itself
   * (a Playwright worker running several). Without it the drill launches its own when a browser
   * check first needs one, and closes it before restore.
   */
  browser?: SharedChromium;
}

/**
 * The phase timers are a backstop for what does not wait on a deadline of its own (a hung call):
 * the waits inside a phase end first and say what they were waiting for.
 */
const BACKSTOP_MARGIN_MS = 5000;

export const newRunId = (scenario: string, now: number): string =>
  `${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}-${scenario}-${randomBytes(2).toString('hex')}`;

export const runDrill = async (options: DrillOptions): Promise<Journal> => new DrillRun(options).run();

class DrillRun {
  private readonly ctx: DrillContext;
  private readonly path: string;

  constructor(private readonly options: DrillOptions) {
    const clock = options.clock ?? { now: () => Date.now() };
    const started = clock.now();
    const { scenario, environment } = options;
    const env = environment.environment;
    const target = env.services[scenario.scenario.target.service];
    if (!target) throw new DrillStop('invalid', `environment ${env.name} has no service ${scenario.scenario.target.service}`);
    const serviceName = target.service ?? scenario.scenario.target.service;
    const runId = options.runId ?? newRunId(scenario.scenario.name, started);
    this.path = join(options.reportDir, runId, 'journal.json');
    const timeline = new Timeline();
    const journal: Journal = {
      schemaVersion: JOURNAL_SCHEMA_VERSION,
      runId,
      invocationId: options.invocationId,
      firedrill: { version: options.firedrillVersion },
      startedAt: started,
      scenario: { name: scenario.scenario.name, file: scenario.file, hash: scenario.hash, spec: scenario.scenario },
      environment: {
        name: env.name,
        file: environment.file,
        hash: environment.hash,
        kind: env.kind,
        endpoint: env.endpoint,
        region: env.region,
        cluster: env.cluster,
        service: serviceName,
        url: target.url,
      },
      rollbackPath: scenario.scenario.rollback.path,
      phases: [],
      markers: {},
      timeline: timeline.observations,
      verdicts: [],
      smoke: { baseline: [], afterRecovery: [] },
      restore: { ok: true, state: 'nothing was touched', actions: [] },
      outcome: 'error',
      exitCode: 1,
      problems: [],
      artifactsDir: join(options.reportDir, runId, 'artifacts'),
    };
    // What `firedrill recover` needs if this process dies before restore finishes.
    const ticket = new TicketWriter(join(options.reportDir, runId, TICKET_FILE), {
      runId,
      environment: { file: environment.file, name: env.name, kind: env.kind, endpoint: env.endpoint, region: env.region, cluster: env.cluster },
      serviceName,
      restoreTimeoutMs: env.timeouts.restoreSeconds * 1000,
      pollIntervalMs: env.poll.intervalMs,
    });
    this.ctx = new DrillContext({
      scenario,
      environment,
      driver: options.driver,
      reportDir: options.reportDir,
      clock,
      serviceName,
      journal,
      timeline,
      ticket,
      interrupt: options.signal,
      allowProduction: options.allowProduction ?? false,
      lockHeldByCaller: options.lockHeldByCaller ?? false,
      progress: options.progress,
    });
  }

  async run(): Promise<Journal> {
    const { ctx } = this;
    const { journal } = ctx;
    let outcome: Outcome | undefined;
    // The driver may be shared by several drills: this drill's share is the difference.
    const apiBefore = ctx.driver.api.snapshot();
    const drillSeconds = ctx.env.timeouts.drillSeconds;
    const drillTimer = setTimeout(() => ctx.exceed(`the drill exceeded its deadline, timeouts.drillSeconds (${drillSeconds} s) in ${ctx.environment.file}`), drillSeconds * 1000);
    drillTimer.unref();
    const runner = new TaskRunner({ setup: (task, body) => (task.phase ? this.phaseStep(task.phase as Phase, body) : body()), teardown: (body) => this.phaseStep('restore', body) });
    try {
      // Fixtures first: their teardowns run last. The observers watch the restore too; the
      // browser closes before it.
      const observers = await runner.run(observeFixture(ctx), undefined);
      const preflighted = await runner.run(preflightTask(ctx), undefined);
      const browser = await runner.run(browserFixture(ctx, this.options.browser), undefined);
      await runner.run(baselineTask(ctx), { preflighted, observers, browser });
      const injected = await runner.run(injectTask(ctx), preflighted);
      await runner.run(gateTask(ctx), injected);
      await runner.run(rollbackTask(ctx), { preflighted, injected });
      await runner.run(verifyTask(ctx), { injected, browser });
    } catch (error) {
      outcome = this.outcomeOf(error);
      ctx.problem(error instanceof Error ? error.message : String(error));
    }
    clearTimeout(drillTimer);
    try {
      await runner.teardown();
    } catch (error) {
      outcome = 'restore-failed';
      ctx.problem(error instanceof Error ? error.message : String(error));
    }
    await this.phaseStep('report', async () => this.report(outcome)).catch((error: unknown) => {
      ctx.problem(`report: ${error instanceof Error ? error.message : String(error)}`);
    });
    journal.api = ctx.driver.api.since(apiBefore);
    journal.endedAt = ctx.clock.now();
    // Only the redacted journal leaves this object: on disk, to Playwright, to every report.
    const written = redactJournal(journal, secretsInEnvironment());
    writeJournal(this.path, written);
    writeManifest(join(this.options.reportDir, written.runId), { journal: written });
    return written;
  }

  private outcomeOf(error: unknown): Outcome {
    if (error instanceof DrillStop) return error.outcome;
    if (this.ctx.exceeded) return 'error';
    if (this.ctx.interrupted) return 'interrupted';
    return 'error';
  }

  private report(outcome: Outcome | undefined): void {
    const { journal } = this.ctx;
    const measurements = this.ctx.measureNow();
    if (measurements) {
      journal.measurements = measurements;
      journal.verdicts = judge(this.ctx.scenario.expectations, measurements);
      const { timeToRecoverMs } = measurements;
      if (timeToRecoverMs !== undefined && journal.markers.injectAt !== undefined) journal.markers.recoveredAt = journal.markers.injectAt + timeToRecoverMs;
    }
    const smokeFailed = journal.smoke.afterRecovery.some((r) => r.status === 'failed');
    const verdictsFailed = journal.verdicts.some((v) => !v.passed);
    const final: Outcome = outcome ?? (verdictsFailed || smokeFailed ? 'failed' : 'passed');
    journal.outcome = final;
    journal.exitCode = exitCodeOf(final);
  }

  /** One phase: its journal record, its deadline, the ticket's note of it, the hold point and the interrupt point. */
  private async phaseStep<T>(phase: Phase, body: () => Promise<T>): Promise<T> {
    const { ctx } = this;
    ctx.phase = phase;
    const record = { phase, startedAt: ctx.clock.now(), outcome: 'ok' as Journal['phases'][number]['outcome'], detail: undefined as string | undefined, endedAt: undefined as number | undefined };
    ctx.journal.phases.push(record);
    ctx.timeline.add({ t: record.startedAt, source: 'phase', phase, event: 'start' });
    ctx.progress(phase);
    const wrap = this.options.step ?? ((_: Phase, fn: () => Promise<T>) => fn());
    const deadline = this.phaseDeadline(phase);
    const timer = deadline ? setTimeout(() => ctx.exceed(`${phase} exceeded its deadline, ${deadline.what} in ${ctx.environment.file}`), Math.max(0, deadline.at - ctx.clock.now())) : undefined;
    timer?.unref();
    try {
      // Before anything is touched a ticket that cannot be written stops the drill; from restore on it must not.
      ctx.noteTicket({ phase }, { critical: phase === 'preflight' });
      await ctx.hold(phase);
      if (phase !== 'restore' && phase !== 'report') ctx.interruptPoint();
      return await wrap(phase, body);
    } catch (error) {
      record.outcome = ctx.signal.aborted && !ctx.exceeded && phase !== 'restore' ? 'interrupted' : 'failed';
      record.detail = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      clearTimeout(timer);
      record.endedAt = ctx.clock.now();
      ctx.timeline.add({ t: record.endedAt, source: 'phase', phase, event: 'end', outcome: record.outcome, detail: record.detail });
    }
  }

  /** The phase's backstop deadline, in ms since the epoch; none for restore (it has its own) and report. */
  private phaseDeadline(phase: Phase): { at: number; what: string } | undefined {
    const { ctx } = this;
    const t = ctx.env.timeouts;
    const now = ctx.clock.now();
    const injectAt = ctx.journal.markers.injectAt ?? now;
    const from = (start: number, seconds: number, what: string) => ({ at: start + seconds * 1000 + BACKSTOP_MARGIN_MS, what });
    switch (phase) {
      case 'preflight':
        return from(now, t.preflightSeconds, `timeouts.preflightSeconds (${t.preflightSeconds} s)`);
      case 'baseline':
        return from(now, t.baselineSeconds + t.smokeSeconds, `timeouts.baselineSeconds + smokeSeconds (${t.baselineSeconds + t.smokeSeconds} s)`);
      case 'inject':
        return from(now, t.injectSeconds, `timeouts.injectSeconds (${t.injectSeconds} s)`);
      case 'gate':
      case 'rollback':
        return from(injectAt, t.recoverySeconds, `timeouts.recoverySeconds (${t.recoverySeconds} s) from inject`);
      case 'verify':
        return from(injectAt, t.recoverySeconds + t.smokeSeconds, `timeouts.recoverySeconds + smokeSeconds (${t.recoverySeconds + t.smokeSeconds} s) from inject`);
      default:
        return undefined;
    }
  }
}
