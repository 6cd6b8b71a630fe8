// Pre-release validation: before a candidate tag ships, prove that it deploys, that the service
// can be rolled back from it to the current release within budget, and that a failing release
// on top of it is caught by the rollback path. All within a time budget (5 minutes by default).
// The service always ends where it started: on the current release.

import { createHash } from 'node:crypto';
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import type { LoadedEnvironment, LoadedScenario } from '../config/load.ts';
import { scenarioSchema } from '../config/scenario.ts';
import { describeService, waitForSteadyState } from '../ecs/waits.ts';
import { withTag } from '../releases/image-ref.ts';
import { toRegisterInput } from '../releases/task-definition.ts';
import { runDrill, type Clock, type Progress } from './drill.ts';
import { hostname, userInfo } from 'node:os';
import { isLoopback } from '../ecs/client.ts';
import { accountRefusal, callerAccount, targetRefusal } from '../safety/guard.ts';
import { acquireLock, releaseLock } from '../safety/lock.ts';
import { needsAccountCheck } from '../safety/refusals.ts';
import { join } from 'node:path';
import { TICKET_FILE, TicketWriter } from './restore-ticket.ts';
import { taggedRevisions } from './recover.ts';
import type { Journal } from './journal.ts';

export interface ValidationStep {
  name: 'deploy-candidate' | 'rollback-to-current' | 'failing-release-caught' | 'restore';
  passed: boolean;
  durationMs: number;
  summary: string;
  journal?: string;
}

export interface ValidationReport {
  candidate: string;
  current: { taskDefinitionArn: string; image: string };
  candidateTaskDefinition?: string;
  budgetMs: number;
  durationMs: number;
  withinBudget: boolean;
  steps: ValidationStep[];
  passed: boolean;
}

export interface ValidateOptions {
  environment: LoadedEnvironment;
  /** The environment's service key. */
  service: string;
  candidate: string;
  ecs: ECSClient;
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
    tags: ['validation'],
    target: { service },
    release: { kind: 'missing-image-tag' },
    rollback: { path: 'circuit-breaker' },
    expectations: { badReleaseNeverCompletes: true, maxBadTrafficShare: 0 },
  };
  const text = JSON.stringify(spec);
  return { scenario: scenarioSchema.parse(spec), file: '<built-in validation scenario>', hash: createHash('sha256').update(text).digest('hex'), text };
};

/** A guard refused the validation before anything was touched. */
export class ValidationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationRefused';
  }
}

/** The drill's guards, for a run that deploys outside a drill: kind, account and target. */
const refuseOutsideBounds = async (o: ValidateOptions, service: Awaited<ReturnType<typeof describeService>>): Promise<void> => {
  const env = o.environment.environment;
  const accountChecked = needsAccountCheck(env);
  const account = accountChecked ? await callerAccount({ endpoint: env.endpoint, region: env.region, local: env.endpoint !== undefined && isLoopback(env.endpoint) }, o.signal) : undefined;
  const reasons = [
    env.kind === 'production' && !o.allowProduction ? `environment ${env.name} is a production environment; validate runs there only with --allow-production` : undefined,
    accountChecked ? accountRefusal(env, account) : undefined,
    targetRefusal({ cluster: env.cluster, service: service.serviceName ?? '' }, service),
  ].filter((r): r is string => r !== undefined);
  if (reasons.length > 0) throw new ValidationRefused(`validation refused, nothing was touched: ${reasons.join('; ')}`);
};

export const validateCandidate = async (o: ValidateOptions): Promise<ValidationReport> => {
  const clock = o.clock ?? { now: () => Date.now() };
  const env = o.environment.environment;
  const target = env.services[o.service];
  if (!target) throw new Error(`environment ${env.name} has no service ${o.service}`);
  const serviceName = target.service ?? o.service;
  const started = clock.now();
  // The budget is enforced by interrupting whatever runs when it is spent; the restore still happens.
  const budget = AbortSignal.any([AbortSignal.timeout(o.budgetMs), ...(o.signal ? [o.signal] : [])]);
  const steps: ValidationStep[] = [];
  const say = (line: string) => o.progress?.(line);

  const service = await describeService(o.ecs, env.cluster, serviceName);
  await refuseOutsideBounds(o, service);
  const currentArn = service.taskDefinition!;
  const described = (await o.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: currentArn }))).taskDefinition!;
  const current = toRegisterInput(described);
  const container = current.containerDefinitions?.find((c) => c.essential !== false) ?? current.containerDefinitions?.[0];
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
  const waitSteady = (timeoutMs: number) =>
    waitForSteadyState(o.ecs, env.cluster, serviceName, { timeoutMs: Math.min(timeoutMs, Math.max(0, o.budgetMs - (clock.now() - started))), intervalMs: env.poll.intervalMs });
  const step = async (name: ValidationStep['name'], body: () => Promise<{ passed: boolean; summary: string; journal?: string }>) => {
    const t0 = clock.now();
    say(`${name}...`);
    try {
      const result = await body();
      steps.push({ name, durationMs: clock.now() - t0, ...result });
    } catch (error) {
      const why = budget.aborted ? `stopped: the ${Math.round(o.budgetMs / 1000)} s validation budget ran out` : error instanceof Error ? error.message : String(error);
      steps.push({ name, passed: false, durationMs: clock.now() - t0, summary: why });
    }
    const last = steps.at(-1)!;
    say(`${name}: ${last.passed ? 'passed' : 'FAILED'} in ${(last.durationMs / 1000).toFixed(1)} s: ${last.summary}`);
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
    serviceArn: service.serviceArn,
    restoreTimeoutMs: env.timeouts.restoreSeconds * 1000,
    pollIntervalMs: env.poll.intervalMs,
  });
  ticket.update({ lockHeld: true, touched: true, baselineTaskDefinitionArn: currentArn, family: current.family });
  await acquireLock(o.ecs, { serviceArn: service.serviceArn!, runId: lockId, holder: `${userInfo().username}@${hostname()}`, ttlMs: o.budgetMs + 2 * env.timeouts.restoreSeconds * 1000, now: () => clock.now() }).catch(
    (error: unknown) => {
      ticket.update({ lockHeld: false, touched: false, restored: true, restoredBy: 'drill', restoredAt: new Date(clock.now()).toISOString() });
      throw error;
    },
  );
  let candidateArn: string | undefined;
  try {
    const deployed = await step('deploy-candidate', async () => {
      const candidate = structuredClone(current);
      const c = candidate.containerDefinitions!.find((d) => d.name === container.name)!;
      c.image = withTag(container.image!, o.candidate);
      candidate.tags = [...(candidate.tags ?? []), { key: 'firedrill:role', value: 'candidate' }, { key: 'firedrill:run', value: lockId }];
      candidateArn = (await o.ecs.send(new RegisterTaskDefinitionCommand(candidate), { abortSignal: budget })).taskDefinition?.taskDefinitionArn;
      report.candidateTaskDefinition = candidateArn;
      if (candidateArn) ticket.update({ registered: [candidateArn] });
      await o.ecs.send(new UpdateServiceCommand({ cluster: env.cluster, service: serviceName, taskDefinition: candidateArn }), { abortSignal: budget });
      await waitSteady(env.timeouts.restoreSeconds * 1000);
      return { passed: true, summary: `${c.image} is steady (${candidateArn})` };
    });
    if (deployed) {
      await step('rollback-to-current', async () => {
        const t0 = clock.now();
        await o.ecs.send(new UpdateServiceCommand({ cluster: env.cluster, service: serviceName, taskDefinition: currentArn }), { abortSignal: budget });
        await waitSteady(o.rollbackBudgetMs);
        const took = clock.now() - t0;
        return { passed: took <= o.rollbackBudgetMs, summary: `back on ${container.image} in ${(took / 1000).toFixed(1)} s (budget ${o.rollbackBudgetMs / 1000} s)` };
      });
      await step('failing-release-caught', async () => {
        await o.ecs.send(new UpdateServiceCommand({ cluster: env.cluster, service: serviceName, taskDefinition: candidateArn }), { abortSignal: budget });
        await waitSteady(env.timeouts.restoreSeconds * 1000);
        const journal: Journal = await runDrill({
          scenario: o.scenario ?? builtInCatchScenario(o.service),
          environment: o.environment,
          ecs: o.ecs,
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
    // Leave the service where it was, whatever happened, and clean up the candidate revision.
    await step('restore', async () => {
      const now = await describeService(o.ecs, env.cluster, serviceName);
      if (now.taskDefinition !== currentArn) {
        await o.ecs.send(new UpdateServiceCommand({ cluster: env.cluster, service: serviceName, taskDefinition: currentArn }));
      }
      await waitForSteadyState(o.ecs, env.cluster, serviceName, { timeoutMs: env.timeouts.restoreSeconds * 1000, intervalMs: env.poll.intervalMs });
      // With a lost reply (ECS registered, then answered 500) the SDK's retry registered a second
      // candidate; the run's tag finds the one whose ARN never came back.
      const stray = current.family ? await taggedRevisions(o.ecs, current.family, lockId, { skip: candidateArn ? [candidateArn] : [], newerThan: currentArn }) : [];
      for (const arn of [...(candidateArn ? [candidateArn] : []), ...stray]) await o.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
      // Kept when the restore failed: no drill may start on a service left in an unknown state.
      await releaseLock(o.ecs, service.serviceArn!, lockId);
      ticket.update({ lockHeld: false, restored: true, restoredBy: 'drill', restoredAt: new Date(clock.now()).toISOString() });
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
