// What every phase of one drill shares: the scenario and environment, the driver, the timeline
// and the journal being written, the restore ticket, the clock, and the ways a phase waits,
// reports progress and is stopped (an interrupt, or a deadline). The phases (phases/) are tasks
// that take this and hand typed outputs to the next.

import { join } from 'node:path';
import { measure, type Measurements } from '../analysis/measurements.ts';
import type { LoadedEnvironment, LoadedScenario } from '../config/load.ts';
import type { Driver } from '../ecs/driver.ts';
import type { ActionObservation, Phase, ServiceObservation, Timeline } from '../observe/timeline.ts';
import type { SharedChromium } from '../smoke/browser.ts';
import type { SmokeResult } from '../smoke/results.ts';
import { runSmoke } from '../smoke/run-smoke.ts';
import type { Journal } from '../journal/journal.ts';
import { DrillStop } from '../journal/outcome.ts';
import { holdIfAsked, type HoldPoint } from './hold.ts';
import type { TicketPatch, TicketWriter } from './restore-ticket.ts';

export interface Clock {
  now(): number;
}

export interface Progress {
  runId: string;
  scenario: string;
  phase: Phase;
  elapsedMs: number;
  /** What the drill is waiting for right now, in words. */
  waitingFor?: string;
}

const WAIT_TICK_MS = 100;

export interface DrillContextInit {
  scenario: LoadedScenario;
  environment: LoadedEnvironment;
  driver: Driver;
  reportDir: string;
  clock: Clock;
  serviceName: string;
  journal: Journal;
  timeline: Timeline;
  ticket: TicketWriter;
  /** The operator's interrupt (Ctrl-C, SIGTERM, a test's abort). */
  interrupt?: AbortSignal;
  allowProduction: boolean;
  lockHeldByCaller: boolean;
  progress?: (p: Progress) => void;
}

export class DrillContext {
  readonly scenario;
  readonly environment;
  readonly driver: Driver;
  readonly clock: Clock;
  readonly serviceName: string;
  readonly journal: Journal;
  readonly timeline: Timeline;
  readonly ticket: TicketWriter;
  readonly allowProduction: boolean;
  readonly lockHeldByCaller: boolean;
  /** The operator's interrupt or a deadline: either sends the drill to restore. */
  readonly signal: AbortSignal;
  readonly started: number;
  phase: Phase = 'preflight';
  private readonly deadline = new AbortController();
  private deadlineExceeded?: string;

  constructor(private readonly init: DrillContextInit) {
    this.scenario = init.scenario.scenario;
    this.environment = init.environment;
    this.driver = init.driver;
    this.clock = init.clock;
    this.serviceName = init.serviceName;
    this.journal = init.journal;
    this.timeline = init.timeline;
    this.ticket = init.ticket;
    this.allowProduction = init.allowProduction;
    this.lockHeldByCaller = init.lockHeldByCaller;
    this.started = init.clock.now();
    this.signal = init.interrupt ? AbortSignal.any([init.interrupt, this.deadline.signal]) : this.deadline.signal;
  }

  get env() {
    return this.environment.environment;
  }

  get target() {
    // The drill's constructor checked that the environment has the scenario's service.
    return this.env.services[this.scenario.target.service]!;
  }

  get runDir(): string {
    return join(this.init.reportDir, this.journal.runId);
  }

  get interrupted(): boolean {
    return this.init.interrupt?.aborted ?? false;
  }

  get exceeded(): string | undefined {
    return this.deadlineExceeded;
  }

  /** A deadline passed: the drill stops at its next interrupt point and restores. */
  exceed(reason: string): void {
    if (this.deadline.signal.aborted) return;
    this.deadlineExceeded = reason;
    this.deadline.abort(new Error(reason));
  }

  problem(message: string): void {
    this.journal.problems.push(message);
  }

  action(action: ActionObservation['action'], detail: Record<string, unknown>): void {
    this.timeline.add({ t: this.clock.now(), source: 'action', action, detail });
  }

  progress(phase: Phase, waitingFor?: string): void {
    this.init.progress?.({ runId: this.journal.runId, scenario: this.scenario.name, phase, elapsedMs: this.clock.now() - this.started, waitingFor });
  }

  lastService(): ServiceObservation | undefined {
    return this.timeline.of('service').at(-1);
  }

  /**
   * Writes the restore ticket. `critical`: the drill must not go on without it (before the first
   * change, and for a registration); otherwise a failed write is a problem in the journal, never a
   * reason to skip restore.
   */
  noteTicket(patch: TicketPatch, { critical = false } = {}): void {
    try {
      this.ticket.update(patch);
    } catch (error) {
      const message = `the restore ticket ${this.ticket.path} could not be written: ${error instanceof Error ? error.message : String(error)}`;
      if (critical) throw new Error(`${message}; stopping, since a crash from here on could not be recovered`);
      this.problem(message);
    }
  }

  /** FIREDRILL_HOLD_AT (hold.ts): a test aid that parks the drill at a point until it is killed or interrupted. */
  hold(point: HoldPoint): Promise<void> {
    return holdIfAsked(point, this.runDir, this.init.interrupt, (what) => this.progress(this.phase, what));
  }

  /** Stops the drill here if a deadline passed or the operator interrupted it. */
  interruptPoint(): void {
    if (this.deadlineExceeded) {
      this.action('deadline', { phase: this.phase, reason: this.deadlineExceeded });
      throw new DrillStop('error', `${this.phase}: ${this.deadlineExceeded}; the drill stopped and restored the service`);
    }
    if (this.interrupted) {
      this.action('interrupt', { phase: this.phase });
      throw new DrillStop('interrupted', `interrupted during ${this.phase}`);
    }
  }

  /** Until `condition` gives a value, checking the interrupt points; throws when `deadline` (epoch ms) passes. */
  async waitUntil<T>(what: string, deadline: number, condition: () => T | undefined | false): Promise<T> {
    for (;;) {
      const value = condition();
      if (value !== undefined && value !== false) return value;
      if (this.phase !== 'restore') this.interruptPoint();
      if (this.clock.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
      this.progress(this.phase, what);
      await new Promise((r) => setTimeout(r, WAIT_TICK_MS));
    }
  }

  /** Inject + the rollback budget: when the rollback must have happened by. */
  recoveryDeadline(injectAt: number): number {
    return injectAt + this.scenario.expectations.recoveryWithinSeconds * 1000;
  }

  /**
   * The sandbox accepts any credentials, and a laptop may have none configured; the team's AWS CLI
   * commands get fixed placeholder keys there, so real credentials never reach a local endpoint.
   */
  commandEnv(): Record<string, string> {
    const env: Record<string, string> = { AWS_DEFAULT_REGION: this.env.region, AWS_REGION: this.env.region, AWS_PAGER: '' };
    if (this.env.kind === 'sandbox') Object.assign(env, { AWS_ACCESS_KEY_ID: 'firedrill-sandbox', AWS_SECRET_ACCESS_KEY: 'firedrill-sandbox' });
    return env;
  }

  /** The measurements of the timeline so far; undefined until a release was injected. */
  measureNow(): Measurements | undefined {
    const { markers, baseline, injected } = this.journal;
    if (markers.injectAt === undefined || !baseline || !injected) return undefined;
    return measure(this.timeline.observations, {
      injectAt: markers.injectAt,
      baselineTaskDefinition: baseline.taskDefinitionArn,
      badTaskDefinition: injected.taskDefinitionArn,
      baselineVersion: baseline.version ?? '',
      badVersion: injected.version ?? '',
      stableWindowMs: this.scenario.expectations.stableWindowSeconds * 1000,
    });
  }

  smoke(stage: 'baseline' | 'after-recovery', browser: SharedChromium): Promise<SmokeResult[]> {
    const values: Record<string, string> = {
      baselineTag: this.journal.baseline?.tag ?? '',
      baselineVersion: this.journal.baseline?.version ?? '',
      service: this.serviceName,
      cluster: this.env.cluster,
    };
    return runSmoke(this.target.url, this.scenario.smoke, values, {
      artifactsDir: join(this.journal.artifactsDir, stage),
      scenarioDir: join(this.init.scenario.file, '..'),
      sharedChromium: browser,
    });
  }
}
