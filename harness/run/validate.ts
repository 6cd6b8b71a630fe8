// Pre-release validation: before a candidate tag ships, prove that it passes its security checks,
// that it deploys, that a failing release on top of it is caught by the rollback path, and that
// the service rolls back from it to the current release within budget. All within a time budget
// (5 minutes by default) that counts everything validation does to the service, the return to
// the current release included.
//
// Three deployments, each proving something:
//   deploy-candidate        the candidate rolls out and is steady;
//   failing-release-caught  a drill of a failing release on top of the candidate: the rollback
//                           path brings the candidate back;
//   rollback-to-current     the current release rolls back in, measured against the rollback
//                           budget: it is also the restore, so it runs whatever happened before.
// Before anything is touched the security checks run on the candidate and the deployment math
// predicts the run from the service's settings: a candidate that fails its checks fails here, and
// a service whose settings cannot fit the budget is refused, naming what costs the time. The
// browser for the drill's smoke checks starts while the candidate deploys.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { seconds } from '../../lib/format.ts';
import { predictValidation, type ValidationPrediction } from '../analysis/validation-time.ts';
import type { LoadedEnvironment, LoadedScenario } from '../config/load.ts';
import { scenarioSchema } from '../config/scenario.ts';
import type { Driver, Persist } from '../ecs/driver.ts';
import { waitForSteadyState } from '../ecs/waits.ts';
import type { Journal } from '../journal/journal.ts';
import type { ValidationReport, ValidationStep } from '../journal/validation.ts';
import { PRODUCTION_TAG } from '../safety/guard.ts';
import { awaitSteady, inspect, takeLock } from '../safety/preflight.ts';
import { countBySeverity, failing, type FailOn } from '../security/findings.ts';
import { findChromium, SharedChromium } from '../smoke/browser.ts';
import { runDrill, type Clock, type Progress } from './drill.ts';
import { checkServiceRelease } from './release-checks.ts';
import { restoreService } from './restore.ts';
import { TICKET_FILE, TicketWriter } from './restore-ticket.ts';

export interface ValidateOptions {
  environment: LoadedEnvironment;
  /** The environment's service key. */
  service: string;
  candidate: string;
  driver: Driver;
  budgetMs: number;
  /** How long the rollback from the candidate to the current release may take. */
  rollbackBudgetMs: number;
  /** The lowest finding severity that fails the validation (high by default). */
  failOn?: FailOn;
  /** The failing release put on top of the candidate; a missing image tag under the circuit breaker by default. */
  scenario?: LoadedScenario;
  reportDir: string;
  firedrillVersion: string;
  clock?: Clock;
  signal?: AbortSignal;
  /** The operator's consent to validate in a production environment (`--allow-production`). */
  allowProduction?: boolean;
  progress?: (line: string) => void;
  drillProgress?: (p: Progress) => void;
}

/** The service's settings cannot validate within the budget: refused before anything is touched (exit 2). */
export class ValidationRefused extends Error {
  constructor(
    message: string,
    readonly prediction: ValidationPrediction,
  ) {
    super(message);
    this.name = 'ValidationRefused';
  }
}

/**
 * The failing release validation puts on top of the candidate when no scenario is given. Its
 * smoke check is the one every environment's service declares: its probe path answers 200 with
 * the release's version. A team's own smoke checks, browser checks among them, come with --scenario.
 */
export const builtInCatchScenario = (service: string, probePath = '/api/version'): LoadedScenario => {
  const spec = {
    name: 'validate-failing-release-caught',
    description: 'A release whose image tag does not exist, deployed on top of the candidate: the circuit breaker must bring the candidate back.',
    // Production-safe by construction (a release that never serves, under ECS's own rollback), so
    // validate's --allow-production is the only consent a production environment asks for.
    tags: ['validation', PRODUCTION_TAG],
    target: { service },
    release: { kind: 'missing-image-tag' },
    rollback: { path: 'circuit-breaker' },
    expectations: { badReleaseNeverCompletes: true, maxBadTrafficShare: 0 },
    smoke: { http: [{ name: 'the candidate serves its version', path: probePath, status: 200, json: { version: '{baselineTag}' } }] },
  };
  const text = JSON.stringify(spec);
  return { scenario: scenarioSchema.parse(spec), file: '<built-in validation scenario>', hash: createHash('sha256').update(text).digest('hex'), text };
};

/** Why the prediction does not fit, costliest setting first. */
export const refusalText = (prediction: ValidationPrediction, budgetMs: number): string => {
  const lines = prediction.costs.slice(0, 6).map((c) => `  ${seconds(c.ms, 0).padStart(7)}  ${c.setting}`);
  const steps = prediction.steps.map((s) => `${s.name} ${seconds(s.estimate.ms, 0)}`).join(', ');
  return [
    `validation would take about ${seconds(prediction.ms, 0)} on this service, over the ${seconds(budgetMs, 0)} budget (${steps}). What costs the time:`,
    ...lines,
    ...prediction.notes.map((n) => `  (${n})`),
    'Nothing was touched. Shorten the costliest settings (a lower deregistration delay, fewer or faster health checks), or give --budget more time.',
  ].join('\n');
};

export const validateCandidate = async (o: ValidateOptions): Promise<ValidationReport> => {
  const clock = o.clock ?? { now: () => Date.now() };
  const { driver } = o;
  const env = o.environment.environment;
  const target = env.services[o.service];
  if (!target) throw new Error(`environment ${env.name} has no service ${o.service}`);
  const serviceName = target.service ?? o.service;
  const scenario = o.scenario ?? builtInCatchScenario(o.service, target.probePath);
  const failOn = o.failOn ?? 'high';
  const started = clock.now();
  const say = (line: string) => o.progress?.(line);

  // The drill's own preflight, for the drill that will run on the candidate: guards, target, account, blast radius.
  const preflightDeadline = started + env.timeouts.preflightSeconds * 1000;
  const inspected = await inspect(driver, { env, serviceName, scenario: scenario.scenario, allowProduction: o.allowProduction ?? false }, { deadline: preflightDeadline, signal: o.signal });
  const { serviceArn, baseline } = inspected;
  const currentArn = baseline.taskDefinitionArn;
  const container = baseline.container;
  if (!container?.image) throw new Error(`the current task definition ${currentArn} has no essential container image`);

  // Read-only, before anything is touched: the candidate's checks and the run's predicted time.
  const checksStarted = clock.now();
  const checks = await checkServiceRelease(driver, env, inspected, { candidateTag: o.candidate, call: { deadline: preflightDeadline, signal: o.signal } });
  const prediction = predictValidation(checks.timing, scenario.scenario, { probeIntervalMs: env.probe.intervalMs, pollIntervalMs: env.poll.intervalMs });
  const predicted = new Map<string, number>(prediction.steps.map((s) => [s.name, s.estimate.ms]));
  const blocking = failing(checks.findings, failOn);
  const steps: ValidationStep[] = [
    {
      name: 'security-checks',
      passed: blocking.length === 0,
      durationMs: clock.now() - checksStarted,
      summary:
        blocking.length === 0
          ? `${countBySeverity(checks.findings)} (fails on ${failOn})`
          : `${blocking.length} finding${blocking.length === 1 ? '' : 's'} at or above ${failOn}: ${blocking.map((f) => `${f.id} (${f.location.container ? `${f.location.container} ` : ''}${f.location.field})`).join(', ')}`,
    },
  ];
  const report: ValidationReport = {
    candidate: o.candidate,
    current: { taskDefinitionArn: currentArn, image: container.image },
    budgetMs: o.budgetMs,
    durationMs: 0,
    withinBudget: true,
    restored: true,
    findings: checks.findings,
    failOn,
    prediction: { ms: prediction.ms, costs: prediction.costs, notes: prediction.notes },
    steps,
    passed: false,
  };
  say(`security checks: ${steps[0]!.passed ? 'passed' : 'FAILED'}: ${steps[0]!.summary}`);
  say(`predicted: ${seconds(prediction.ms, 0)} (${prediction.steps.map((s) => `${s.name} ${seconds(s.estimate.ms, 0)}`).join(', ')}), budget ${seconds(o.budgetMs, 0)}`);
  if (blocking.length > 0) {
    // A release that fails its checks is not deployed to prove anything else.
    report.durationMs = clock.now() - started;
    return report;
  }
  if (prediction.ms > o.budgetMs) throw new ValidationRefused(refusalText(prediction, o.budgetMs), prediction);

  // The budget is enforced by interrupting whatever runs when it is spent; the rollback to the current release still happens.
  const budgetEnd = started + o.budgetMs;
  const budget = AbortSignal.any([AbortSignal.timeout(Math.max(0, budgetEnd - clock.now())), ...(o.signal ? [o.signal] : [])]);
  const inBudget: Persist = { deadline: budgetEnd, signal: budget };
  const waitSteady = (taskDefinition: string, timeoutMs: number) =>
    waitForSteadyState(driver, env.cluster, serviceName, { ...inBudget, deadline: Math.min(clock.now() + timeoutMs, budgetEnd), taskDefinition, intervalMs: env.poll.intervalMs });
  const step = async (name: ValidationStep['name'], body: () => Promise<{ passed: boolean; summary: string; journal?: string }>) => {
    const t0 = clock.now();
    say(`${name}...`);
    // The rollback to the current release is the restore: neither the budget nor an interrupt stops it.
    const stopped = () =>
      name === 'rollback-to-current' ? undefined : o.signal?.aborted ? 'stopped: interrupted' : budget.aborted ? `stopped: the ${Math.round(o.budgetMs / 1000)} s validation budget ran out` : undefined;
    try {
      const result = await body();
      // A drill that was stopped ends with a journal, not an error: say what stopped it.
      const why = result.passed ? undefined : stopped();
      steps.push({ name, durationMs: clock.now() - t0, predictedMs: predicted.get(name), ...result, ...(why && { summary: `${why} (${result.summary})` }) });
    } catch (error) {
      const why = stopped() ?? (error instanceof Error ? error.message : String(error));
      steps.push({ name, passed: false, durationMs: clock.now() - t0, predictedMs: predicted.get(name), summary: why });
    }
    const last = steps.at(-1)!;
    say(`${name}: ${last.passed ? 'passed' : 'FAILED'} in ${seconds(last.durationMs)}${last.predictedMs === undefined ? '' : ` (predicted ${seconds(last.predictedMs, 0)})`}: ${last.summary}`);
    return last.passed;
  };

  // One lock for the whole validation: the drill inside runs under it instead of taking its own.
  const lockId = `validate-${o.candidate}-${started}`;
  // A restore ticket like a drill's, so `firedrill recover` can finish the job after a SIGKILL. Its
  // restore is the outermost one: recover handles the newest tickets first, so this one, older than
  // the drill's inside it, puts the service back on the current release last.
  const ticket = new TicketWriter(join(o.reportDir, lockId, TICKET_FILE), {
    runId: lockId,
    environment: { file: o.environment.file, name: env.name, kind: env.kind, endpoint: env.endpoint, region: env.region, cluster: env.cluster },
    serviceName,
    serviceArn,
    restoreTimeoutMs: env.timeouts.restoreSeconds * 1000,
    pollIntervalMs: env.poll.intervalMs,
  });
  const restore = async () => {
    const result = await restoreService(ticket.current, { driver, deadline: clock.now() + env.timeouts.restoreSeconds * 1000, pollIntervalMs: env.poll.intervalMs });
    if (!result.ok) throw new Error(`restore failed: ${result.state}`);
    ticket.update({ lockHeld: false, restored: true, restoredBy: 'drill', restoredAt: new Date(clock.now()).toISOString() });
    return result;
  };
  // Noted before the tags are written: a crash between the two must still let `recover` release the lock.
  ticket.update({ lockHeld: true });
  try {
    // A preflight window of its own: the reads before it may have spent theirs riding out throttling.
    await takeLock(driver, { serviceArn, runId: lockId, ttlMs: o.budgetMs + 2 * env.timeouts.restoreSeconds * 1000 }, { deadline: clock.now() + env.timeouts.preflightSeconds * 1000, signal: o.signal });
    // As a drill's baseline: a service still deploying is no baseline to validate against.
    await awaitSteady(driver, env, serviceName, currentArn, { deadline: clock.now() + env.timeouts.baselineSeconds * 1000, signal: o.signal });
  } catch (error) {
    // Nothing was touched: only a lock this run may hold to give back.
    await restore().catch(() => undefined);
    throw error;
  }
  // The drill's browser checks need Chromium: it starts while the candidate deploys, and closes at the end.
  const browser = new SharedChromium();
  const chromium = scenario.scenario.smoke.browser.length > 0 ? findChromium() : undefined;
  const warming = chromium && 'path' in chromium ? browser.get(chromium.path).catch(() => undefined) : undefined;
  try {
    const deployed = await step('deploy-candidate', async () => {
      const candidate = structuredClone(checks.taskDefinition);
      candidate.tags = [...(candidate.tags ?? []), { key: 'firedrill:role', value: 'candidate' }, { key: 'firedrill:run', value: lockId }];
      // On disk before the first change; the run's tag finds a candidate whose registration reply was lost.
      ticket.update({ touched: true, baselineTaskDefinitionArn: currentArn, family: baseline.taskDefinition.family });
      const candidateArn = await driver.registerTaskDefinition(candidate, inBudget);
      report.candidateTaskDefinition = candidateArn;
      ticket.update({ registered: [candidateArn] });
      await driver.updateService({ cluster: env.cluster, service: serviceName, taskDefinition: candidateArn }, inBudget);
      await waitSteady(candidateArn, env.timeouts.restoreSeconds * 1000);
      return { passed: true, summary: `${candidate.containerDefinitions?.find((c) => c.name === container.name)?.image} is steady (${candidateArn})` };
    });
    if (deployed) {
      await warming;
      await step('failing-release-caught', async () => {
        const journal: Journal = await runDrill({
          scenario,
          environment: o.environment,
          driver,
          reportDir: o.reportDir,
          firedrillVersion: o.firedrillVersion,
          clock,
          signal: budget,
          lockHeldByCaller: true,
          allowProduction: o.allowProduction,
          progress: o.drillProgress,
          browser,
        });
        const failed = journal.verdicts.filter((v) => !v.passed).map((v) => v.summary);
        return {
          passed: journal.outcome === 'passed',
          summary: journal.outcome === 'passed' ? `caught and rolled back to the candidate: ${journal.verdicts.map((v) => v.summary).join('; ')}` : `${journal.outcome}: ${[...failed, ...journal.problems].join('; ')}`,
          journal: `${o.reportDir}/${journal.runId}/journal.json`,
        };
      });
    }
  } finally {
    await warming;
    await browser.close().catch(() => undefined);
    // Leave the service where it was, whatever happened: the one restore, from this run's ticket,
    // which is also the measured rollback from the candidate to the current release.
    const t0 = clock.now();
    await step('rollback-to-current', async () => {
      await restore();
      const took = clock.now() - t0;
      return { passed: took <= o.rollbackBudgetMs, summary: `back on ${container.image} (${currentArn}) in ${seconds(took)} (rollback budget ${seconds(o.rollbackBudgetMs, 0)})` };
    });
    report.restored = ticket.current.restored === true;
  }
  report.durationMs = clock.now() - started;
  report.withinBudget = report.durationMs <= o.budgetMs;
  const expected: ValidationStep['name'][] = ['security-checks', 'deploy-candidate', 'failing-release-caught', 'rollback-to-current'];
  report.passed = report.withinBudget && expected.every((name) => steps.some((s) => s.name === name && s.passed));
  return report;
};
