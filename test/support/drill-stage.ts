// A stage for end-to-end drill tests: a fresh sandbox with the demo service steady on v1.0.0,
// an environment file for it, and the checks that a drill left the service as it found it.

import { join } from 'node:path';
import { DescribeTaskDefinitionCommand, ListTagsForResourceCommand, ListTaskDefinitionsCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { expect } from 'vitest';
import { loadEnvironment, loadScenario } from '../../harness/config/load.ts';
import { deployDemoService, DEMO_FAMILY } from '../../harness/ecs/demo-service.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { runDrill, type Progress } from '../../harness/run/drill.ts';
import type { EventOf, SandboxOptions } from '../../sandbox/index.ts';
import { runFiredrill, tempDir, writeEnvironment, type FinishedCli } from './firedrill-cli.ts';
import { service, startTestSandbox, type TestSandbox } from './sandbox.ts';
import { waitFor } from './wait.ts';

export const CLUSTER = 'firedrill';
export const SERVICE = 'demo';

export interface Stage {
  t: TestSandbox;
  baselineArn: string;
  baselineDeploymentId: string;
  serviceArn: string;
  dir: string;
  envFile: string;
  reportDir: string;
}

export interface StageOptions {
  sandbox?: SandboxOptions;
  /** The environment's name, and its file's; drill-test by default. */
  envName?: string;
  /** The service's first task definition; the demo's v1.0.0 by default. */
  taskDefinition?: RegisterTaskDefinitionCommandInput;
}

/**
 * The set-up of every test that needs the demo service: a fresh sandbox with the demo service
 * steady on its baseline (v1.0.0), 2 tasks, and an environment file for it.
 */
export const stage = async (options: StageOptions = {}): Promise<Stage> => {
  const t = await startTestSandbox(options.sandbox);
  try {
    const deployed = await deployDemoService(
      t.ecs,
      { cluster: CLUSTER, service: SERVICE, targetGroupArn: t.demoTargetGroupArn, tag: 'v1.0.0', desiredCount: 2, taskDefinition: options.taskDefinition },
      { timeoutMs: 90_000 },
    );
    const dir = tempDir();
    return {
      t,
      baselineArn: deployed.taskDefinitionArn,
      baselineDeploymentId: deployed.service.deployments![0]!.id!,
      serviceArn: deployed.service.serviceArn!,
      dir,
      envFile: writeEnvironment(dir, t, options.envName),
      reportDir: join(dir, 'reports'),
    };
  } catch (error) {
    await t.stop();
    throw error;
  }
};

export const run = (s: Stage, scenarios: string[], timeoutMs: number): Promise<FinishedCli> =>
  runFiredrill(['run', ...scenarios, '--env', s.envFile, '--report-dir', s.reportDir, '--no-html'], timeoutMs);

export interface InProcessDrill {
  /** The stage's environment file unless given. */
  envFile?: string;
  /** The stage's report folder unless given. */
  reportDir?: string;
  signal?: AbortSignal;
  progress?: (p: Progress) => void;
}

/**
 * A drill in this process, through the same runDrill the CLI calls, with the stage's harness
 * driver: no CLI, no Playwright Test runner. What a drill decides is the same either way; how
 * the CLI turns a journal into an exit code and a signal into an interrupt is for the tests that
 * run `firedrill` itself.
 */
export const drill = (s: Stage, scenarioFile: string, options: InProcessDrill = {}): Promise<Journal> =>
  runDrill({
    scenario: loadScenario(scenarioFile),
    environment: loadEnvironment(options.envFile ?? s.envFile),
    driver: s.t.driver,
    reportDir: options.reportDir ?? s.reportDir,
    firedrillVersion: 'test',
    signal: options.signal,
    progress: options.progress,
  });

/** The journal's phase record; a journal without it fails the test, naming what it has. */
export const phaseOf = (j: Journal, name: string) => {
  const found = j.phases.find((p) => p.phase === name);
  if (!found) throw new Error(`journal ${j.runId} has no ${name} phase: ${JSON.stringify(j.phases)}`);
  return found;
};

/** The journal's verdict on one expectation; a journal without it fails the test, naming what it has. */
export const verdictOf = (j: Journal, expectation: string) => {
  const found = j.verdicts.find((v) => v.expectation === expectation);
  if (!found) throw new Error(`journal ${j.runId} has no verdict ${expectation}: ${JSON.stringify(j.verdicts)}`);
  return found;
};

/** What a failed assertion on an in-process drill prints: the parts of the journal that say why. */
export const journalContext = (j: Journal) => JSON.stringify({ outcome: j.outcome, phases: j.phases, problems: j.problems, restore: j.restore, verdicts: j.verdicts }, null, 2);

/**
 * Any call that changes the service or its task definitions. Reads do not, nor does STS's
 * GetCallerIdentity; TagResource and UntagResource only take and release the drill lock, and
 * expectSteadyOnBaseline proves the lock is gone afterwards.
 */
export const isMutating = (e: EventOf<'api.call'>): boolean => !/^(Describe|List|GetCallerIdentity$|TagResource$|UntagResource$)/.test(e.operation);

/** One deployment, PRIMARY and COMPLETED, on the baseline, 2 running; and only the baseline revision ACTIVE. */
export const expectSteadyOnBaseline = async (s: Stage, context: string) => {
  // The drill's restore waited for this already; the poll only absorbs DescribeServices racing a final tick.
  const steady = await waitFor(
    async () => {
      const svc = await service(s.t.ecs, CLUSTER, SERVICE);
      const [only, ...others] = svc.deployments ?? [];
      return others.length === 0 && only?.status === 'PRIMARY' && only.rolloutState === 'COMPLETED' && svc.runningCount === 2 ? svc : undefined;
    },
    30_000,
    'the service to be steady',
  );
  expect(steady.taskDefinition, context).toBe(s.baselineArn);
  expect(steady.deployments![0]!.taskDefinition, context).toBe(s.baselineArn);
  expect(steady.runningCount, context).toBe(2);
  const active = await s.t.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: DEMO_FAMILY, status: 'ACTIVE' }));
  expect(active.taskDefinitionArns, context).toEqual([s.baselineArn]);
  const tags = await s.t.ecs.send(new ListTagsForResourceCommand({ resourceArn: steady.serviceArn! }));
  expect((tags.tags ?? []).filter((t) => t.key?.startsWith('firedrill:lock')), `${context}\nthe drill lock is still on the service`).toEqual([]);
  return steady;
};

export const expectInactive = async (s: Stage, arns: string[]) => {
  for (const arn of arns) {
    const described = await s.t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    expect(described.taskDefinition?.status, arn).toBe('INACTIVE');
  }
};
