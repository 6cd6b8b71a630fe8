// Pre-release validation: before a candidate tag ships, prove that it deploys, that the service
// can be rolled back from it to the current release within budget, and that a failing release
// on top of it is caught by the rollback path. All within a time budget (5 minutes by default).
// The service always ends where it started: on the current release.

import { createHash } from 'node:crypto';
import { seconds } from '../../lib/format.ts';
import { join } from 'node:path';
import type { LoadedEnvironment, LoadedScenario } from '../config/load.ts';
import { scenarioSchema } from '../config/scenario.ts';
import type { Driver, Persist } from '../ecs/driver.ts';
import { waitForSteadyState } from '../ecs/waits.ts';
import { withTag } from '../releases/image-ref.ts';
import { PRODUCTION_TAG } from '../safety/guard.ts';
import { awaitSteady, inspect, takeLock } from '../safety/preflight.ts';
import { runDrill, type Clock, type Progress } from './drill.ts';
import type { Journal } from '../journal/journal.ts';
import type { ValidationReport, ValidationStep } from '../journal/validation.ts';
import { restoreService } from './restore.ts';
import { TICKET_FILE, TicketWriter } from './restore-ticket.ts';

export interface ValidateOptions {
  environment: LoadedEnvironment;
  /** The environment's service key. */
  service: string;
  candidate: string;
  driver: Driver;
  budgetMs: number;
  /** How long the rollback from the candidate may take. */
  rollbackBudgetMs: number;
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

/** The failing release validation puts on top of the candidate when no scenario is given. */
export const builtInCatchScenario = (service: string): LoadedScenario => {
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
  };
  const text = JSON.stringify(spec);
  return { scenario: scenarioSchema.parse(spec), file: '<built-in validation scenario>', hash: createHash('sha256').update(text).digest('hex'), text };
};

export const validateCandidate = async (o: ValidateOptions): Promise<ValidationReport> => {
  const clock = o.clock ?? { now: () => Date.now() };
  const { driver } = o;
  const env = o.environment.environment;
  const target = env.services[o.service];
  if (!target) throw new Error(`environment ${env.name} has no service ${o.service}`);
  const serviceName = target.service ?? o.service;
  const scenario = o.scenario ?? builtInCatchScenario(o.service);
  const started = clock.now();
  // The budget is enforced by interrupting whatever runs when it is spent; the restore still happens.
  const budget = AbortSignal.any([AbortSignal.timeout(o.budgetMs), ...(o.signal ? [o.signal] : [])]);
  const budgetEnd = started + o.budgetMs;
  const inBudget: Persist = { deadline: budgetEnd, signal: budget };
  const steps: ValidationStep[] = [];
  const say = (line: string) => o.progress?.(line);

  // The drill's own preflight, for the drill that will run on the candidate: guards, target, account, blast radius.
  const preflightDeadline = started + env.timeouts.preflightSeconds * 1000;
  const { serviceArn, baseline } = await inspect(driver, { env, serviceName, scenario: scenario.scenario, allowProduction: o.allowProduction ?? false }, { deadline: preflightDeadline, signal: o.signal });
  const currentArn = baseline.taskDefinitionArn;
  const current = baseline.taskDefinition;
  const container = baseline.container;
  if (!container?.image) throw new Error(`the current task definition ${currentArn} has no essential container image`);
  const report: ValidationReport = {
    candidate: o.candidate,
    current: { taskDefinitionArn: currentArn, image: container.image },
    budgetMs: o.budgetMs,
    durationMs: 0,
    withinBudget: true,
    steps,
    passed: false,
  };
  const waitSteady = (taskDefinition: string, timeoutMs: number) =>
    waitForSteadyState(driver, env.cluster, serviceName, { ...inBudget, deadline: Math.min(clock.now() + timeoutMs, budgetEnd), taskDefinition, intervalMs: env.poll.intervalMs });
  const step = async (name: ValidationStep['name'], body: () => Promise<{ passed: boolean; summary: string; journal?: string }>) => {
    const t0 = clock.now();
    say(`${name}...`);
    try {
      const result = await body();
      steps.push({ name, durationMs: clock.now() - t0, ...result });
    } catch (error) {
      const why = o.signal?.aborted
        ? 'stopped: interrupted'
        : budget.aborted
          ? `stopped: the ${Math.round(o.budgetMs / 1000)} s validation budget ran out`
          : error instanceof Error
            ? error.message
            : String(error);
      steps.push({ name, passed: false, durationMs: clock.now() - t0, summary: why });
    }
    const last = steps.at(-1)!;
    say(`${name}: ${last.passed ? 'passed' : 'FAILED'} in ${seconds(last.durationMs)}: ${last.summary}`);
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
    await takeLock(driver, { serviceArn, runId: lockId, ttlMs: o.budgetMs + 2 * env.timeouts.restoreSeconds * 1000 }, { deadline: preflightDeadline, signal: o.signal });
    // As a drill's baseline: a service still deploying is no baseline to validate against.
    await awaitSteady(driver, env, serviceName, currentArn, { deadline: clock.now() + env.timeouts.baselineSeconds * 1000, signal: o.signal });
  } catch (error) {
    // Nothing was touched: only a lock this run may hold to give back.
    await restore().catch(() => undefined);
    throw error;
  }
  let candidateArn: string | undefined;
  try {
    const deployed = await step('deploy-candidate', async () => {
      const candidate = structuredClone(current);
      const c = candidate.containerDefinitions!.find((d) => d.name === container.name)!;
      c.image = withTag(container.image!, o.candidate);
      candidate.tags = [...(candidate.tags ?? []), { key: 'firedrill:role', value: 'candidate' }, { key: 'firedrill:run', value: lockId }];
      // On disk before the first change; the run's tag finds a candidate whose registration reply was lost.
      ticket.update({ touched: true, baselineTaskDefinitionArn: currentArn, family: current.family });
      candidateArn = await driver.registerTaskDefinition(candidate, inBudget);
      report.candidateTaskDefinition = candidateArn;
      ticket.update({ registered: [candidateArn] });
      await driver.updateService({ cluster: env.cluster, service: serviceName, taskDefinition: candidateArn }, inBudget);
      await waitSteady(candidateArn, env.timeouts.restoreSeconds * 1000);
      return { passed: true, summary: `${c.image} is steady (${candidateArn})` };
    });
    if (deployed && candidateArn) {
      const candidateTd = candidateArn;
      await step('rollback-to-current', async () => {
        const t0 = clock.now();
        await driver.updateService({ cluster: env.cluster, service: serviceName, taskDefinition: currentArn }, inBudget);
        await waitSteady(currentArn, o.rollbackBudgetMs);
        const took = clock.now() - t0;
        return { passed: took <= o.rollbackBudgetMs, summary: `back on ${container.image} in ${seconds(took)} (budget ${o.rollbackBudgetMs / 1000} s)` };
      });
      await step('failing-release-caught', async () => {
        await driver.updateService({ cluster: env.cluster, service: serviceName, taskDefinition: candidateTd }, inBudget);
        await waitSteady(candidateTd, env.timeouts.restoreSeconds * 1000);
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
    // Leave the service where it was, whatever happened: the one restore, from this run's ticket.
    await step('restore', async () => {
      await restore();
      return { passed: true, summary: `steady on the current release ${currentArn}` };
    });
  }
  report.durationMs = clock.now() - started;
  // The restore is not part of the candidate's budget: it runs however long validation took.
  const validationMs = steps.filter((s) => s.name !== 'restore').reduce((sum, s) => sum + s.durationMs, 0);
  report.withinBudget = validationMs <= o.budgetMs && !budget.aborted;
  report.passed = report.withinBudget && steps.length === 4 && steps.every((s) => s.passed);
  return report;
};
