// One drill: one scenario in one environment, through its phases
//   preflight -> baseline -> inject -> gate -> rollback -> verify -> restore -> report.
// Restore always runs once anything was touched, after a failed expectation, an error or an
// interrupt. Everything observed goes into the timeline; the journal is written at the end.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { GateAnalyzer, ecsFailureSignal } from '../analysis/gate.ts';
import { measure } from '../analysis/measurements.ts';
import { judge } from '../analysis/verdicts.ts';
import type { LoadedEnvironment, LoadedScenario } from '../config/load.ts';
import { runCommand, type Placeholders } from '../commands/run-command.ts';
import { describeService, waitForSteadyState } from '../ecs/waits.ts';
import { countApiCalls } from '../ecs/api-stats.ts';
import { persist } from '../ecs/transient.ts';
import { startProber } from '../observe/prober.ts';
import { startServicePoller } from '../observe/service-poller.ts';
import { Timeline, type ActionObservation, type Phase, type ServiceObservation } from '../observe/timeline.ts';
import { diffTaskDefinitions, redactDiff } from '../releases/diff.ts';
import { mutateRelease, MutationError, type MutatedRelease } from '../releases/mutators.ts';
import { effectiveTag, parseImageRef } from '../releases/image-ref.ts';
import { toRegisterInput } from '../releases/task-definition.ts';
import { selectRollbackPath } from '../rollback/paths.ts';
import { runSmoke } from '../smoke/run-smoke.ts';
import { SharedChromium } from '../smoke/browser.ts';
import type { SmokeResult } from '../smoke/results.ts';
import { writeJournal, JOURNAL_SCHEMA_VERSION, type Journal } from './journal.ts';
import { redactJournal, secretsInEnvironment } from '../evidence/redact-journal.ts';
import { writeManifest } from '../evidence/manifest.ts';
import { DrillStop, exitCodeOf, type Outcome } from './outcome.ts';
import { describeState, rollingBackTo, steadyOn } from './service-state.ts';
import { TICKET_FILE, TicketWriter, type TicketPatch } from './restore-ticket.ts';
import { holdIfAsked, type HoldPoint } from './hold.ts';
import { taggedRevisions } from './recover.ts';
import { hostname, userInfo } from 'node:os';
import { isLoopback } from '../ecs/client.ts';
import { callerAccount } from '../safety/guard.ts';
import { acquireLock, LockHeldError, releaseLock, describeLock } from '../safety/lock.ts';
import { needsAccountCheck, refusals } from '../safety/refusals.ts';

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

export interface DrillOptions {
  scenario: LoadedScenario;
  environment: LoadedEnvironment;
  ecs: ECSClient;
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
}

const WAIT_TICK_MS = 100;
/**
 * The phase timers are a backstop for what does not wait on a deadline of its own (a hung call):
 * the waits inside a phase end first and say what they were waiting for.
 */
const BACKSTOP_MARGIN_MS = 5000;
const BASELINE_PROBES = 3;

export const newRunId = (scenario: string, now: number): string =>
  `${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}-${scenario}-${randomBytes(2).toString('hex')}`;

export const runDrill = async (options: DrillOptions): Promise<Journal> => new DrillRun(options).run();

class DrillRun {
  private readonly clock: Clock;
  private readonly timeline = new Timeline();
  private readonly journal: Journal;
  private readonly path: string;
  private readonly registered: string[] = [];
  private readonly stopObservers: Array<() => Promise<void>> = [];
  private readonly started: number;
  private phase: Phase = 'preflight';
  private touched = false;
  private mutated?: MutatedRelease;
  private placeholders: Placeholders = {};
  /** The operator's interrupt or a deadline: either sends the drill to restore. */
  private readonly signal: AbortSignal;
  private readonly deadline = new AbortController();
  private deadlineExceeded?: string;
  private serviceArn?: string;
  private lockHeld = false;
  /** The smoke checks' browser, launched once for the baseline and reused after recovery. */
  private readonly chromium = new SharedChromium();
  private readonly serviceName: string;
  private readonly url: string;
  private readonly probePath: string;
  /** What `firedrill recover` needs if this process dies before restore finishes. */
  private readonly ticket: TicketWriter;

  constructor(private readonly options: DrillOptions) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.started = this.clock.now();
    this.signal = options.signal ? AbortSignal.any([options.signal, this.deadline.signal]) : this.deadline.signal;
    const { scenario, environment } = options;
    const env = environment.environment;
    const target = env.services[scenario.scenario.target.service];
    if (!target) throw new DrillStop('invalid', `environment ${env.name} has no service ${scenario.scenario.target.service}`);
    this.serviceName = target.service ?? scenario.scenario.target.service;
    this.url = target.url;
    this.probePath = target.probePath;
    const runId = options.runId ?? newRunId(scenario.scenario.name, this.started);
    this.path = join(options.reportDir, runId, 'journal.json');
    this.journal = {
      schemaVersion: JOURNAL_SCHEMA_VERSION,
      runId,
      invocationId: options.invocationId,
      firedrill: { version: options.firedrillVersion },
      startedAt: this.started,
      scenario: { name: scenario.scenario.name, file: scenario.file, hash: scenario.hash, spec: scenario.scenario },
      environment: {
        name: env.name,
        file: environment.file,
        hash: environment.hash,
        kind: env.kind,
        endpoint: env.endpoint,
        region: env.region,
        cluster: env.cluster,
        service: this.serviceName,
        url: this.url,
      },
      rollbackPath: scenario.scenario.rollback.path,
      phases: [],
      markers: {},
      timeline: this.timeline.observations,
      verdicts: [],
      smoke: { baseline: [], afterRecovery: [] },
      restore: { ok: true, state: 'nothing was touched', actions: [] },
      outcome: 'error',
      exitCode: 1,
      problems: [],
      artifactsDir: join(options.reportDir, runId, 'artifacts'),
    };
    this.ticket = new TicketWriter(join(options.reportDir, runId, TICKET_FILE), {
      runId,
      environment: { file: environment.file, name: env.name, kind: env.kind, endpoint: env.endpoint, region: env.region, cluster: env.cluster },
      serviceName: this.serviceName,
      restoreTimeoutMs: env.timeouts.restoreSeconds * 1000,
      pollIntervalMs: env.poll.intervalMs,
    });
  }

  private get env() {
    return this.options.environment.environment;
  }

  private get scenario() {
    return this.options.scenario.scenario;
  }

  async run(): Promise<Journal> {
    let outcome: Outcome | undefined;
    // The client may be shared by several drills: this drill's share is the difference.
    const apiCounter = countApiCalls(this.options.ecs);
    const apiBefore = apiCounter.snapshot();
    const drillSeconds = this.env.timeouts.drillSeconds;
    const drillTimer = setTimeout(() => this.exceed(`the drill exceeded its deadline, timeouts.drillSeconds (${drillSeconds} s) in ${this.options.environment.file}`), drillSeconds * 1000);
    drillTimer.unref();
    try {
      await this.phaseStep('preflight', () => this.preflight());
      await this.phaseStep('baseline', () => this.baseline());
      await this.phaseStep('inject', () => this.inject());
      await this.phaseStep('gate', () => this.gate());
      await this.phaseStep('rollback', () => this.rollback());
      await this.phaseStep('verify', () => this.verify());
    } catch (error) {
      outcome = this.outcomeOf(error);
      this.journal.problems.push(error instanceof Error ? error.message : String(error));
    }
    clearTimeout(drillTimer);
    // No smoke check runs from here on.
    await this.chromium.close().catch((error: unknown) => this.journal.problems.push(`closing the smoke checks' browser: ${error instanceof Error ? error.message : String(error)}`));
    try {
      await this.phaseStep('restore', () => this.restore());
      this.noteTicket({ restored: true, restoredAt: new Date(this.clock.now()).toISOString(), restoredBy: 'drill' });
    } catch (error) {
      outcome = 'restore-failed';
      this.journal.problems.push(error instanceof Error ? error.message : String(error));
    }
    await this.phaseStep('report', async () => this.report(outcome)).catch((error: unknown) => {
      this.journal.problems.push(`report: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.journal.api = apiCounter.since(apiBefore);
    this.journal.endedAt = this.clock.now();
    // Only the redacted journal leaves this object: on disk, to Playwright, to every report.
    const written = redactJournal(this.journal, secretsInEnvironment());
    writeJournal(this.path, written);
    writeManifest(join(this.options.reportDir, written.runId), { journal: written });
    return written;
  }

  private outcomeOf(error: unknown): Outcome {
    if (error instanceof DrillStop) return error.outcome;
    if (error instanceof MutationError) return 'invalid';
    if (this.deadlineExceeded) return 'error';
    if (this.options.signal?.aborted) return 'interrupted';
    return 'error';
  }

  // ---- phases

  private async preflight(): Promise<void> {
    const { ecs } = this.options;
    const service = await describeService(ecs, this.env.cluster, this.serviceName).catch((error: Error) => {
      throw new DrillStop('invalid', `preflight: ${error.message}`);
    });
    await this.checkSafety(service);
    if (service.status !== 'ACTIVE') throw new DrillStop('invalid', `preflight: service ${this.serviceName} is ${service.status}, not ACTIVE`);
    const baselineArn = service.taskDefinition;
    if (!baselineArn) throw new DrillStop('invalid', `preflight: service ${this.serviceName} reports no task definition`);
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: baselineArn }));
    if (!described.taskDefinition) throw new DrillStop('invalid', `preflight: cannot describe ${baselineArn}`);
    const baselineInput = toRegisterInput(described.taskDefinition);
    // Validates the mutation before anything is touched: a MutationError ends the drill as bad input.
    this.mutated = mutateRelease(baselineInput, this.scenario.release, { runId: this.journal.runId });
    const container = described.taskDefinition.containerDefinitions?.find((c) => c.essential !== false) ?? described.taskDefinition.containerDefinitions?.[0];
    const image = container?.image ?? '';
    const tag = image ? effectiveTag(parseImageRef(image)) : undefined;
    this.journal.baseline = { taskDefinitionArn: baselineArn, image, tag, version: tag };
    this.journal.injected = {
      taskDefinitionArn: '',
      image: this.mutated.image,
      tag: this.mutated.tag,
      version: this.mutated.tag,
      summary: this.mutated.summary,
      diff: redactDiff(diffTaskDefinitions(baselineInput, this.mutated.taskDefinition)),
    };
    this.placeholders = {
      cluster: this.env.cluster,
      service: this.serviceName,
      region: this.env.region,
      endpoint: this.env.endpoint ?? '',
      baselineTaskDefinition: baselineArn,
      baselineImage: image,
      baselineTag: tag ?? '',
      image: this.mutated.image,
      badTag: this.mutated.tag ?? '',
    };
  }

  /** Everything that must hold before a drill may touch this service; then the lock. */
  private async checkSafety(service: Awaited<ReturnType<typeof describeService>>): Promise<void> {
    const accountChecked = needsAccountCheck(this.env);
    const account = accountChecked
      ? await callerAccount({ endpoint: this.env.endpoint, region: this.env.region, local: this.env.endpoint !== undefined && isLoopback(this.env.endpoint) }, this.signal).catch(
          (error: Error) => {
            throw new DrillStop('invalid', `preflight: cannot tell which AWS account this is (STS GetCallerIdentity: ${error.message})`);
          },
        )
      : undefined;
    const verdict = refusals({
      env: this.env,
      scenario: this.scenario,
      serviceName: this.serviceName,
      allowProduction: this.options.allowProduction ?? false,
      account,
      accountChecked,
      service,
    });
    if (verdict.refusals.length > 0) throw new DrillStop('invalid', `preflight refused the drill, nothing was touched: ${verdict.refusals.join('; ')}`);
    this.serviceArn = service.serviceArn;
    if (!this.serviceArn) throw new DrillStop('invalid', `preflight: ECS reported no ARN for service ${this.serviceName}`);
    if (this.options.lockHeldByCaller) return;
    const holder = `${userInfo().username}@${hostname()}${process.env['GITHUB_RUN_ID'] ? ` gh-run ${process.env['GITHUB_RUN_ID']}` : ''}`;
    // Past the drill's own deadlines and its restore, a lock whose drill died is fair game.
    const ttlMs = (this.env.timeouts.drillSeconds + this.env.timeouts.restoreSeconds) * 1000;
    // Noted before the tags are written: a crash between the two must still let `recover` release the lock.
    this.noteTicket({ lockHeld: true, serviceArn: this.serviceArn }, { critical: true });
    const acquired = await acquireLock(this.options.ecs, { serviceArn: this.serviceArn, runId: this.journal.runId, holder, ttlMs, now: () => this.clock.now() }).catch((error: unknown) => {
      this.noteTicket({ lockHeld: false });
      if (error instanceof LockHeldError) throw new DrillStop('locked', `preflight: ${error.message}`);
      throw error;
    });
    this.lockHeld = true;
    this.action('lock-acquired', { serviceArn: this.serviceArn, holder, tookOver: acquired.tookOver ? describeLock(acquired.tookOver) : undefined });
    if (acquired.tookOver) this.journal.problems.push(`warning: took over an expired drill lock (${describeLock(acquired.tookOver)})`);
  }

  /** Releases the lock unless the service was left broken: then it keeps other drills off until someone restores it. */
  private async unlock(): Promise<void> {
    if (!this.lockHeld || !this.serviceArn) return;
    const released = await releaseLock(this.options.ecs, this.serviceArn, this.journal.runId);
    this.lockHeld = false;
    this.noteTicket({ lockHeld: false });
    this.action('lock-released', { serviceArn: this.serviceArn, released });
  }

  private async baseline(): Promise<void> {
    const { ecs } = this.options;
    const poller = startServicePoller({
      client: ecs,
      cluster: this.env.cluster,
      service: this.serviceName,
      intervalMs: this.env.poll.intervalMs,
      timeline: this.timeline,
      clock: this.clock,
      onError: (error: unknown) => this.journal.problems.push(`service poller: ${error instanceof Error ? error.message : String(error)}`),
    });
    this.stopObservers.push(() => poller.stop());
    const prober = startProber({
      url: new URL(this.probePath, this.url).toString(),
      intervalMs: this.env.probe.intervalMs,
      timeoutMs: this.env.probe.timeoutMs,
      versionHeader: this.env.services[this.scenario.target.service]?.versionHeader ?? 'x-app-version',
      timeline: this.timeline,
      clock: this.clock,
    });
    this.stopObservers.push(() => prober.stop());

    const baselineArn = this.journal.baseline!.taskDefinitionArn;
    const deadline = this.clock.now() + this.env.timeouts.baselineSeconds * 1000;
    await this.waitUntil('the service to be steady on its baseline', deadline, () => steadyOn(this.lastService(), baselineArn)).catch(() => {
      throw new DrillStop('unhealthy-baseline', `baseline: the service is not steady on its baseline task definition: ${describeState(this.lastService())}`);
    });
    const since = this.clock.now();
    await this.waitUntil(`${BASELINE_PROBES} probes of ${this.url}`, deadline, () => this.timeline.of('probe').filter((p) => p.t >= since).length >= BASELINE_PROBES).catch(() => {
      throw new DrillStop('unhealthy-baseline', `baseline: fewer than ${BASELINE_PROBES} probes of ${this.url} completed in time`);
    });
    const recent = this.timeline.of('probe').filter((p) => p.t >= since);
    const bad = recent.filter((p) => !p.ok);
    if (bad.length > 0) {
      throw new DrillStop('unhealthy-baseline', `baseline: ${bad.length} of ${recent.length} probes of ${this.url} failed (${bad[0]?.error ?? `HTTP ${bad[0]?.status}`})`);
    }
    const served = recent.at(-1)?.version;
    if (served) this.journal.baseline!.version = served;
    if (this.journal.injected && this.journal.injected.version === served) {
      this.journal.problems.push(`the bad release answers with the same version (${served}) as the baseline, so its share of traffic cannot be told apart; give release.tag a new tag`);
      this.journal.injected.version = undefined;
    }
    this.journal.smoke.baseline = await this.smoke('baseline');
    const failed = this.journal.smoke.baseline.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      throw new DrillStop('unhealthy-baseline', `baseline: smoke checks failed before anything was touched: ${failed.map((f) => `${f.name}: ${f.failures[0] ?? f.summary}`).join('; ')}`);
    }
  }

  private async inject(): Promise<void> {
    const { ecs } = this.options;
    const mutated = this.mutated!;
    this.touched = true;
    // On disk before the first change: a SIGKILL from here on leaves recover what it needs. The
    // registration carries the firedrill:run tag (drillTags), so recover finds it by the family
    // even if the process dies before the ARN is written down.
    this.noteTicket({ touched: true, baselineTaskDefinitionArn: this.journal.baseline!.taskDefinitionArn, family: mutated.taskDefinition.family }, { critical: true });
    // Not abortable: an interrupt landing mid-call could register a revision whose ARN we never learn, and leak it.
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(mutated.taskDefinition));
    await this.hold('inject:registered');
    const badArn = registered.taskDefinition?.taskDefinitionArn;
    if (!badArn) throw new Error('inject: RegisterTaskDefinition returned no ARN');
    this.registered.push(badArn);
    this.noteTicket({ registered: [...this.registered] }, { critical: true });
    this.journal.injected!.taskDefinitionArn = badArn;
    this.placeholders = { ...this.placeholders, taskDefinition: badArn, badTaskDefinition: badArn };
    this.action('register-task-definition', { taskDefinitionArn: badArn, summary: mutated.summary });
    this.interruptPoint();

    const rollout = this.scenario.rollout;
    this.journal.markers.injectAt = this.clock.now();
    if (rollout.method === 'update-service') {
      await ecs.send(new UpdateServiceCommand({ cluster: this.env.cluster, service: this.serviceName, taskDefinition: badArn }), { abortSignal: this.signal });
      this.action('update-service', { taskDefinition: badArn });
    } else {
      const result = await runCommand(rollout.command, this.placeholders, { timeoutMs: rollout.timeoutSeconds * 1000, signal: this.signal, env: this.commandEnv() });
      this.action('deploy-command', { command: result.command, exitCode: result.exitCode, durationMs: result.durationMs, output: result.output });
    }
  }

  private async gate(): Promise<void> {
    const injectAt = this.journal.markers.injectAt!;
    const badArn = this.journal.injected!.taskDefinitionArn;
    const analyzer = new GateAnalyzer(this.scenario.gate.signals);
    const fired: { t: number; by: string }[] = [];
    const unsubscribe = this.timeline.subscribe((o) => {
      if (o.source !== 'probe' || o.t < injectAt) return;
      for (const transition of analyzer.observe(o)) {
        this.timeline.add(transition);
        if (transition.fired) fired.push({ t: transition.t, by: `gate ${transition.signal}` });
      }
    });
    try {
      const deadline = injectAt + this.scenario.expectations.recoveryWithinSeconds * 1000;
      const detected = await this.waitUntil('a failure signal (ECS or a gate)', deadline, () => {
        const ecs = ecsFailureSignal(this.timeline.of('service'), injectAt, badArn);
        const candidates = [...fired, ...(ecs ? [{ t: ecs.t, by: `ECS: ${ecs.reason}` }] : [])].sort((a, b) => a.t - b.t);
        return candidates[0];
      }).catch((error: unknown) => {
        if (this.signal.aborted) throw error;
        throw new DrillStop('failed', `gate: no failure signal within the ${this.scenario.expectations.recoveryWithinSeconds} s budget; the bad release was not detected`);
      });
      this.journal.markers.detectedAt = detected.t;
      this.journal.markers.detectedBy = detected.by;
    } finally {
      unsubscribe();
    }
  }

  private async rollback(): Promise<void> {
    const path = selectRollbackPath(this.scenario.rollback);
    const injectAt = this.journal.markers.injectAt!;
    const deadline = injectAt + this.scenario.expectations.recoveryWithinSeconds * 1000;
    const baselineArn = this.journal.baseline!.taskDefinitionArn;
    const badArn = this.journal.injected!.taskDefinitionArn;
    if (path.triggeredBy === 'firedrill') {
      this.journal.markers.rollbackStartedAt = this.clock.now();
      const detail = await path.trigger({
        ecs: this.options.ecs,
        cluster: this.env.cluster,
        service: this.serviceName,
        baselineTaskDefinition: baselineArn,
        placeholders: this.placeholders,
        commandEnv: this.commandEnv(),
        signal: this.signal,
      });
      this.action(path.name === 'command' ? 'rollback-command' : 'rollback-triggered', { path: path.name, ...detail });
      return;
    }
    const started = await this.waitUntil('ECS to start rolling back', deadline, () =>
      this.timeline.of('service').find((o) => o.t >= injectAt && (rollingBackTo(o, baselineArn, badArn) || steadyOn(o, baselineArn))),
    ).catch((error: unknown) => {
      if (this.signal.aborted) throw error;
      throw new DrillStop('failed', `rollback: ECS did not start a rollback within the budget (${describeState(this.lastService())})`);
    });
    this.journal.markers.rollbackStartedAt = started.t;
  }

  private async verify(): Promise<void> {
    const injectAt = this.journal.markers.injectAt!;
    const deadline = injectAt + this.scenario.expectations.recoveryWithinSeconds * 1000;
    // Recovery is what the measurement says it is: the same pure function decides here and in the report.
    await this.waitUntil('the baseline to be steady and serve every probe for the stable window', deadline, () =>
      this.measureNow()?.timeToRecoverMs !== undefined,
    ).catch((error: unknown) => {
      if (this.signal.aborted) throw error;
      throw new DrillStop('failed', `verify: the service did not recover within ${this.scenario.expectations.recoveryWithinSeconds} s (${describeState(this.lastService())})`);
    });
    this.journal.smoke.afterRecovery = await this.smoke('after-recovery');
  }

  /** Back to the baseline, whatever happened. Never interrupted: leaving a half-restored service is the one thing a drill must not do. */
  private async restore(): Promise<void> {
    if (!this.touched) {
      await this.stopObserving();
      await this.unlock();
      this.journal.restore = { ok: true, state: 'nothing was touched', actions: [] };
      return;
    }
    const { ecs } = this.options;
    const baselineArn = this.journal.baseline!.taskDefinitionArn;
    const actions: string[] = [];
    try {
      // Each step outlasts throttling and 5xx beyond the SDK's own retries, until the restore deadline:
      // giving up on a call ECS would have answered a second later leaves the service half-restored.
      const restoreDeadline = this.clock.now() + this.env.timeouts.restoreSeconds * 1000;
      const keepTrying = <T>(step: string, body: (remainingMs: number) => Promise<T>): Promise<T> =>
        persist(body, {
          deadline: restoreDeadline,
          now: () => this.clock.now(),
          onRetry: (error) => this.journal.problems.push(`restore: ${step} failed after the SDK's retries (${error instanceof Error ? error.name : 'error'}: ${error instanceof Error ? error.message : String(error)}); trying again`),
        });
      const current = await keepTrying('DescribeServices', () => describeService(ecs, this.env.cluster, this.serviceName));
      if (current.taskDefinition !== baselineArn) {
        await keepTrying('UpdateService', () => ecs.send(new UpdateServiceCommand({ cluster: this.env.cluster, service: this.serviceName, taskDefinition: baselineArn })));
        actions.push(`UpdateService taskDefinition=${baselineArn}`);
        this.action('restore', { call: 'UpdateService', taskDefinition: baselineArn });
      }
      this.progress('restore', 'the service to be steady on its baseline');
      await keepTrying('waiting for a steady state', (remainingMs) => waitForSteadyState(ecs, this.env.cluster, this.serviceName, { timeoutMs: remainingMs, intervalMs: this.env.poll.intervalMs }));
      // A registration whose reply was lost (ECS applied it, then answered 500, and the SDK tried
      // again) left a revision whose ARN the drill never learnt; its firedrill:run tag names it.
      const family = this.mutated?.taskDefinition.family;
      const stray = family
        ? await keepTrying('ListTaskDefinitions', () => taggedRevisions(ecs, family, this.journal.runId, { skip: this.registered, newerThan: baselineArn }))
        : [];
      for (const arn of [...this.registered, ...stray]) {
        await keepTrying('DeregisterTaskDefinition', () => ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })));
        actions.push(`DeregisterTaskDefinition ${arn}`);
        this.action('deregister-task-definition', { taskDefinitionArn: arn, ...(stray.includes(arn) ? { found: 'by its firedrill:run tag' } : {}) });
      }
      await this.stopObserving();
      await this.unlock();
      this.journal.restore = { ok: true, state: `steady on the baseline ${baselineArn}`, actions };
    } catch (error) {
      await this.stopObserving();
      const state = await describeService(ecs, this.env.cluster, this.serviceName)
        .then((s) => `task definition ${s.taskDefinition}, running ${s.runningCount}/${s.desiredCount}, deployments ${(s.deployments ?? []).map((d) => `${d.id} ${d.status} ${d.rolloutState} ${d.taskDefinition}`).join('; ')}`)
        .catch((e: Error) => `unknown (DescribeServices failed: ${e.message})`);
      const leftover = this.registered.filter((arn) => !actions.includes(`DeregisterTaskDefinition ${arn}`));
      this.journal.restore = {
        ok: false,
        state: `${state}${leftover.length ? `; still registered: ${leftover.join(', ')}` : ''}`,
        actions,
      };
      throw new DrillStop('restore-failed', `restore failed: ${error instanceof Error ? error.message : String(error)}. The service was left with ${this.journal.restore.state}`);
    }
  }

  private measureNow() {
    const injectAt = this.journal.markers.injectAt;
    if (injectAt === undefined || !this.journal.baseline || !this.journal.injected) return undefined;
    return measure(this.timeline.observations, {
      injectAt,
      baselineTaskDefinition: this.journal.baseline.taskDefinitionArn,
      badTaskDefinition: this.journal.injected.taskDefinitionArn,
      baselineVersion: this.journal.baseline.version ?? '',
      badVersion: this.journal.injected.version ?? '',
      stableWindowMs: this.scenario.expectations.stableWindowSeconds * 1000,
    });
  }

  private report(outcome: Outcome | undefined): void {
    const injectAt = this.journal.markers.injectAt;
    const measurements = this.measureNow();
    if (injectAt !== undefined && measurements) {
      this.journal.measurements = measurements;
      this.journal.verdicts = judge(this.scenario.expectations, this.journal.measurements);
      const { timeToRecoverMs } = this.journal.measurements;
      if (timeToRecoverMs !== undefined) this.journal.markers.recoveredAt = injectAt + timeToRecoverMs;
    }
    const smokeFailed = this.journal.smoke.afterRecovery.some((r) => r.status === 'failed');
    const verdictsFailed = this.journal.verdicts.some((v) => !v.passed);
    const final: Outcome = outcome ?? (verdictsFailed || smokeFailed ? 'failed' : 'passed');
    this.journal.outcome = final;
    this.journal.exitCode = exitCodeOf(final);
  }

  // ---- helpers

  private async phaseStep(phase: Phase, body: () => Promise<void>): Promise<void> {
    this.phase = phase;
    const record = { phase, startedAt: this.clock.now(), outcome: 'ok' as Journal['phases'][number]['outcome'], detail: undefined as string | undefined, endedAt: undefined as number | undefined };
    this.journal.phases.push(record);
    this.timeline.add({ t: record.startedAt, source: 'phase', phase, event: 'start' });
    this.progress(phase);
    const wrap = this.options.step ?? ((_: Phase, fn: () => Promise<void>) => fn());
    const deadline = this.phaseDeadline(phase);
    const timer = deadline
      ? setTimeout(() => this.exceed(`${phase} exceeded its deadline, ${deadline.what} in ${this.options.environment.file}`), Math.max(0, deadline.at - this.clock.now()))
      : undefined;
    timer?.unref();
    try {
      // Before anything is touched a ticket that cannot be written stops the drill; from restore on it must not.
      this.noteTicket({ phase }, { critical: phase === 'preflight' });
      await this.hold(phase);
      if (phase !== 'restore' && phase !== 'report') this.interruptPoint();
      await wrap(phase, body);
    } catch (error) {
      record.outcome = this.signal.aborted && !this.deadlineExceeded && phase !== 'restore' ? 'interrupted' : 'failed';
      record.detail = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      clearTimeout(timer);
      record.endedAt = this.clock.now();
      this.timeline.add({ t: record.endedAt, source: 'phase', phase, event: 'end', outcome: record.outcome, detail: record.detail });
    }
  }

  /** The phase's backstop deadline, in ms since the epoch; none for restore (it has its own) and report. */
  private phaseDeadline(phase: Phase): { at: number; what: string } | undefined {
    const t = this.env.timeouts;
    const injectAt = this.journal.markers.injectAt ?? this.clock.now();
    const from = (start: number, seconds: number, what: string) => ({ at: start + seconds * 1000 + BACKSTOP_MARGIN_MS, what });
    switch (phase) {
      case 'preflight':
        return from(this.clock.now(), t.preflightSeconds, `timeouts.preflightSeconds (${t.preflightSeconds} s)`);
      case 'baseline':
        return from(this.clock.now(), t.baselineSeconds + t.smokeSeconds, `timeouts.baselineSeconds + smokeSeconds (${t.baselineSeconds + t.smokeSeconds} s)`);
      case 'inject':
        return from(this.clock.now(), t.injectSeconds, `timeouts.injectSeconds (${t.injectSeconds} s)`);
      case 'gate':
      case 'rollback':
        return from(injectAt, t.recoverySeconds, `timeouts.recoverySeconds (${t.recoverySeconds} s) from inject`);
      case 'verify':
        return from(injectAt, t.recoverySeconds + t.smokeSeconds, `timeouts.recoverySeconds + smokeSeconds (${t.recoverySeconds + t.smokeSeconds} s) from inject`);
      default:
        return undefined;
    }
  }

  private exceed(reason: string): void {
    if (this.deadline.signal.aborted) return;
    this.deadlineExceeded = reason;
    this.deadline.abort(new Error(reason));
  }

  /**
   * Writes the restore ticket. `critical`: the drill must not go on without it (before the first
   * change, and for a registration); otherwise a failed write is a problem in the journal, never a
   * reason to skip restore. The lock code calls this with lockHeld: true before acquiring and
   * lockHeld: false after releasing.
   */
  private noteTicket(patch: TicketPatch, { critical = false } = {}): void {
    try {
      this.ticket.update(patch);
    } catch (error) {
      const message = `the restore ticket ${this.ticket.path} could not be written: ${error instanceof Error ? error.message : String(error)}`;
      if (critical) throw new Error(`${message}; stopping, since a crash from here on could not be recovered`);
      this.journal.problems.push(message);
    }
  }

  /** FIREDRILL_HOLD_AT (harness/run/hold.ts): a test aid that parks the drill at a point until it is killed or interrupted. */
  private hold(point: HoldPoint): Promise<void> {
    return holdIfAsked(point, join(this.options.reportDir, this.journal.runId), this.options.signal, (what) => this.progress(this.phase, what));
  }

  private interruptPoint(): void {
    if (this.deadlineExceeded) {
      this.action('deadline', { phase: this.phase, reason: this.deadlineExceeded });
      throw new DrillStop('error', `${this.phase}: ${this.deadlineExceeded}; the drill stopped and restored the service`);
    }
    if (this.options.signal?.aborted) {
      this.action('interrupt', { phase: this.phase });
      throw new DrillStop('interrupted', `interrupted during ${this.phase}`);
    }
  }

  private async waitUntil<T>(what: string, deadline: number, condition: () => T | undefined | false): Promise<T> {
    for (;;) {
      const value = condition();
      if (value !== undefined && value !== false) return value;
      if (this.phase !== 'restore') this.interruptPoint();
      if (this.clock.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
      this.progress(this.phase, what);
      await new Promise((r) => setTimeout(r, WAIT_TICK_MS));
    }
  }

  /**
   * The sandbox accepts any credentials, and a laptop may have none configured; the team's AWS CLI
   * commands get fixed placeholder keys there, so real credentials never reach a local endpoint.
   */
  private commandEnv(): Record<string, string> {
    const env: Record<string, string> = { AWS_DEFAULT_REGION: this.env.region, AWS_REGION: this.env.region, AWS_PAGER: '' };
    if (this.env.kind === 'sandbox') Object.assign(env, { AWS_ACCESS_KEY_ID: 'firedrill-sandbox', AWS_SECRET_ACCESS_KEY: 'firedrill-sandbox' });
    return env;
  }

  private lastService(): ServiceObservation | undefined {
    return this.timeline.of('service').at(-1);
  }

  private action(action: ActionObservation['action'], detail: Record<string, unknown>): void {
    this.timeline.add({ t: this.clock.now(), source: 'action', action, detail });
  }

  private progress(phase: Phase, waitingFor?: string): void {
    this.options.progress?.({ runId: this.journal.runId, scenario: this.scenario.name, phase, elapsedMs: this.clock.now() - this.started, waitingFor });
  }

  private async smoke(stage: 'baseline' | 'after-recovery'): Promise<SmokeResult[]> {
    const values: Record<string, string> = {
      baselineTag: this.journal.baseline?.tag ?? '',
      baselineVersion: this.journal.baseline?.version ?? '',
      service: this.serviceName,
      cluster: this.env.cluster,
    };
    return runSmoke(this.url, this.scenario.smoke, values, {
      artifactsDir: join(this.journal.artifactsDir, stage),
      scenarioDir: join(this.options.scenario.file, '..'),
      sharedChromium: this.chromium,
    });
  }

  private async stopObserving(): Promise<void> {
    const stops = this.stopObservers.splice(0);
    await Promise.allSettled(stops.map((stop) => stop()));
  }
}
