// The AWS CLI against the sandbox: an operator's whole circuit-breaker story with nothing but
// `aws ecs ...` and its JSON, and ECS's error codes for mistakes, as the CLI reports them.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTaskDefinition } from '../../harness/ecs/demo-service.ts';
import { defaultConfig } from '../../sandbox/config.ts';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.ts';
import { waitFor } from '../support/wait.ts';
import { isolatedAwsEnv } from '../support/aws-cli.ts';

const execFileAsync = promisify(execFile);
const DEADLINE_MS = 60_000;
// About twenty CLI calls, each a Python start-up of one to several seconds on a busy 2-core machine.
const STORY_TIMEOUT_MS = 240_000;
const CLUSTER = 'firedrill';
const SERVICE = 'demo';

let t: TestSandbox;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The ELB check tolerates a slow start: with the scaled 0.5 s interval, two refused connections
  // while Node boots on a loaded machine would otherwise fail a healthy baseline task.
  const targetGroups = defaultConfig().targetGroups.map((tg) => ({ ...tg, healthCheck: { ...tg.healthCheck, unhealthyThreshold: 10 } }));
  t = await startTestSandbox({ overrides: { targetGroups } });
  dir = mkdtempSync(join(tmpdir(), 'firedrill-aws-cli-'));
  env = isolatedAwsEnv(dir);
});

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws ecs <args> --endpoint-url <sandbox> --output json`; never throws for a non-zero exit. */
const aws = async (...args: string[]): Promise<CliResult> => awsIn('ecs', ...args);

/** `aws <service> <args> --endpoint-url <sandbox> --output json`. */
const awsIn = async (service: string, ...args: string[]): Promise<CliResult> => {
  const argv = [service, ...args, '--endpoint-url', t.sandbox.endpoint, '--output', 'json'];
  try {
    // Asynchronous on purpose: the sandbox runs in this process and must keep serving.
    const { stdout, stderr } = await execFileAsync('aws', argv, { env, timeout: DEADLINE_MS, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code === 'number') return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    throw error;
  }
};

const awsJson = async <T,>(...args: string[]): Promise<T> => {
  const r = await aws(...args);
  if (r.code !== 0) throw new Error(`aws ecs ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** What the CLI prints for a timestamp: epoch seconds or an ISO 8601 string, depending on its settings. */
type CliTime = number | string;

interface CliDeployment {
  id: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  failedTasks: number;
  rolloutState: string;
  rolloutStateReason: string;
  createdAt: CliTime;
  updatedAt: CliTime;
}

interface CliService {
  serviceName: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  createdAt: CliTime;
  deployments: CliDeployment[];
  events: { id: string; createdAt: CliTime; message: string }[];
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: boolean; rollback: boolean }; maximumPercent: number; minimumHealthyPercent: number };
  loadBalancers: { targetGroupArn: string; containerName: string; containerPort: number }[];
}

interface CliTask {
  taskArn: string;
  startedBy: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode: string;
  stoppedReason: string;
  createdAt: CliTime;
  stoppedAt: CliTime;
}

const describeService = async (): Promise<CliService> => {
  const out = await awsJson<{ services: CliService[]; failures: unknown[] }>('describe-services', '--cluster', CLUSTER, '--services', SERVICE);
  expect(out.failures).toEqual([]);
  return out.services[0]!;
};

/** Polls describe-services through the CLI until `condition` holds, calling `observe` on every answer. */
const pollService = (description: string, condition: (s: CliService) => boolean, observe: (s: CliService) => void = () => {}) =>
  waitFor(
    async () => {
      const s = await describeService();
      observe(s);
      return condition(s) ? s : undefined;
    },
    DEADLINE_MS,
    description,
  );

const expectDate = (value: CliTime | undefined, what: string) => {
  expect(typeof value === 'number' || typeof value === 'string', `${what} is ${JSON.stringify(value)}`).toBe(true);
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value as string);
  expect(Number.isFinite(ms), `${what} (${JSON.stringify(value)}) parses as a date`).toBe(true);
  // Made during this test run, by the sandbox's clock.
  expect(Math.abs(ms - Date.now()), `${what} (${JSON.stringify(value)}) is recent`).toBeLessThan(10 * 60_000);
};

const taskDefinitionFile = (tag: string): string => {
  const file = join(dir, `task-definition-${tag}.json`);
  writeFileSync(file, JSON.stringify(demoTaskDefinition(tag), null, 2));
  return `file://${file}`;
};

describe('the AWS CLI against the sandbox', () => {
  it('deploys the demo service, trips the circuit breaker with a missing tag and watches the rollback', async () => {
    const created = await awsJson<{ cluster: { clusterName: string; status: string } }>('create-cluster', '--cluster-name', CLUSTER);
    expect(created.cluster).toMatchObject({ clusterName: CLUSTER, status: 'ACTIVE' });

    const v1 = await awsJson<{ taskDefinition: { taskDefinitionArn: string; revision: number } }>('register-task-definition', '--cli-input-json', taskDefinitionFile('v1.0.0'));
    expect(v1.taskDefinition.revision).toBe(1);
    expect(v1.taskDefinition.taskDefinitionArn).toMatch(/:task-definition\/firedrill-demo:1$/);

    const createdService = await awsJson<{ service: CliService }>(
      'create-service',
      '--cluster', CLUSTER,
      '--service-name', SERVICE,
      '--task-definition', 'firedrill-demo:1',
      '--desired-count', '2',
      '--launch-type', 'FARGATE',
      '--load-balancers', `targetGroupArn=${t.demoTargetGroupArn},containerName=web,containerPort=8080`,
      '--deployment-configuration', 'deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100',
    );
    expect(createdService.service.deploymentConfiguration).toMatchObject({
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    });
    expect(createdService.service.loadBalancers).toEqual([{ targetGroupArn: t.demoTargetGroupArn, containerName: 'web', containerPort: 8080 }]);

    const steady = await pollService('the service to reach a steady state', (s) => s.deployments.length === 1 && s.deployments[0]!.status === 'PRIMARY' && s.deployments[0]!.rolloutState === 'COMPLETED' && s.runningCount === 2);
    const baselineId = steady.deployments[0]!.id;
    expect(baselineId).toMatch(/^ecs-svc\/\d{19}$/);
    expect(steady.deployments[0]!.rolloutStateReason).toBe(`ECS deployment ${baselineId} completed.`);
    expect(steady.deployments[0]!.taskDefinition).toBe(v1.taskDefinition.taskDefinitionArn);

    const v9 = await awsJson<{ taskDefinition: { taskDefinitionArn: string; revision: number } }>('register-task-definition', '--cli-input-json', taskDefinitionFile('v9.9.9'));
    expect(v9.taskDefinition.revision).toBe(2);

    const updated = await awsJson<{ service: CliService }>('update-service', '--cluster', CLUSTER, '--service', SERVICE, '--task-definition', 'firedrill-demo:2');
    const badDeployment = updated.service.deployments.find((d) => d.status === 'PRIMARY')!;
    expect(badDeployment.taskDefinition).toBe(v9.taskDefinition.taskDefinitionArn);
    const badId = badDeployment.id;
    expect(badId).not.toBe(baselineId);

    // The rollback window (baseline PRIMARY again, bad deployment FAILED) may be shorter than a
    // CLI round trip; keep what was seen of it, and wait for the end state, which always comes.
    let rollingBack: CliService | undefined;
    const restored = await pollService(
      'the rollback to the baseline deployment to complete',
      (s) => s.deployments.length === 1 && s.deployments[0]!.id === baselineId && s.deployments[0]!.rolloutState === 'COMPLETED' && s.runningCount === 2,
      (s) => {
        if (s.deployments.length === 2 && s.deployments[0]!.id === baselineId) rollingBack ??= s;
      },
    );
    if (rollingBack) {
      const [primary, failed] = rollingBack.deployments;
      expect(primary).toMatchObject({ id: baselineId, status: 'PRIMARY', taskDefinition: v1.taskDefinition.taskDefinitionArn });
      expect(primary!.rolloutStateReason).toBe(`ECS deployment circuit breaker: rolling back to deploymentId ${baselineId}.`);
      expect(failed).toMatchObject({ id: badId, status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });
    }
    const [baseline] = restored.deployments;
    expect(baseline).toMatchObject({ id: baselineId, status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: v1.taskDefinition.taskDefinitionArn, runningCount: 2 });
    expect(baseline!.rolloutStateReason).toBe(`ECS deployment ${baselineId} completed.`);
    expect(restored.taskDefinition).toBe(v1.taskDefinition.taskDefinitionArn);

    const messages = restored.events.map((e) => e.message);
    expect(messages).toContain(`(service ${SERVICE}) (deployment ${badId}) deployment failed: tasks failed to start.`);
    expect(messages).toContain(`(service ${SERVICE}) rolling back to deployment ${baselineId}.`);

    const stoppedArns = (await awsJson<{ taskArns: string[] }>('list-tasks', '--cluster', CLUSTER, '--service-name', SERVICE, '--desired-status', 'STOPPED')).taskArns;
    expect(stoppedArns.length).toBeGreaterThan(0);
    const stopped = (await awsJson<{ tasks: CliTask[]; failures: unknown[] }>('describe-tasks', '--cluster', CLUSTER, '--tasks', ...stoppedArns)).tasks;
    const ofBadDeployment = stopped.filter((task) => task.startedBy === badId);
    expect(ofBadDeployment.length).toBe(stopped.length); // the baseline's tasks were never stopped
    // Tasks of the bad deployment still starting when the breaker tripped are stopped by the
    // scheduler as the rollback scales it in; every other one failed to pull.
    const scaledIn = ofBadDeployment.filter((task) => task.stopCode === 'ServiceSchedulerInitiated' && /^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/.test(task.stoppedReason));
    const failedToStart = ofBadDeployment.filter((task) => !scaledIn.includes(task));
    expect(failedToStart.length, JSON.stringify(stopped.map((s) => [s.startedBy, s.stopCode]))).toBeGreaterThanOrEqual(1);
    for (const task of failedToStart) {
      expect(task.lastStatus).toBe('STOPPED');
      expect(task.stopCode).toBe('TaskFailedToStart');
      expect(task.stoppedReason.startsWith('CannotPullContainerError:'), task.stoppedReason).toBe(true);
      expect(task.stoppedReason).toContain('firedrill/demo-app:v9.9.9');
      expectDate(task.createdAt, 'task createdAt');
      expectDate(task.stoppedAt, 'task stoppedAt');
    }

    expectDate(restored.createdAt, 'service createdAt');
    for (const d of restored.deployments) {
      expectDate(d.createdAt, 'deployment createdAt');
      expectDate(d.updatedAt, 'deployment updatedAt');
    }
    for (const e of restored.events) expectDate(e.createdAt, `event createdAt of "${e.message}"`);

    // ECS's own record of the rollback, through the service-deployments API.
    type Brief = { serviceDeploymentArn: string; status: string; targetServiceRevisionArn: string };
    const listed = (await awsJson<{ serviceDeployments: Brief[] }>('list-service-deployments', '--cluster', CLUSTER, '--service', SERVICE)).serviceDeployments;
    expect(listed.map((d) => d.status)).toEqual(['ROLLBACK_SUCCESSFUL', 'SUCCESSFUL']);
    const rolledBack = (await awsJson<{ serviceDeployments: Array<Record<string, any>> }>('describe-service-deployments', '--service-deployment-arns', listed[0]!.serviceDeploymentArn))
      .serviceDeployments[0]!;
    expect(rolledBack).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      deploymentCircuitBreaker: { status: 'TRIGGERED', threshold: 3 },
      alarms: { status: 'DISABLED' },
      rollback: { reason: 'ECS deployment circuit breaker: tasks failed to start.', serviceRevisionArn: listed[1]!.targetServiceRevisionArn },
      sourceServiceRevisions: [{ arn: listed[1]!.targetServiceRevisionArn }],
    });
    const revisions = (await awsJson<{ serviceRevisions: Array<{ taskDefinition: string }> }>('describe-service-revisions', '--service-revision-arns', listed[0]!.targetServiceRevisionArn, listed[1]!.targetServiceRevisionArn)).serviceRevisions;
    expect(revisions.map((r) => r.taskDefinition)).toEqual([v9.taskDefinition.taskDefinitionArn, v1.taskDefinition.taskDefinitionArn]);
    const done = await aws('stop-service-deployment', '--service-deployment-arn', listed[0]!.serviceDeploymentArn, '--stop-type', 'ROLLBACK');
    expect(done.code).not.toBe(0);
    expect(done.stderr).toContain('ConflictException');

    // The baseline kept serving.
    const version = (await (await fetch(`${t.demoUrl}/api/version`)).json()) as { version: string };
    expect(version.version).toBe('v1.0.0');
  }, STORY_TIMEOUT_MS);

  it('describe-services on a cluster that does not exist fails with ClusterNotFoundException', async () => {
    const r = await aws('describe-services', '--cluster', 'no-such-cluster', '--services', SERVICE);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('ClusterNotFoundException');
    expect(r.stderr).toContain('Cluster not found.');
  });

  it('elbv2 describe-target-groups and describe-target-group-attributes read the target group as ELB reports it', async () => {
    const groups = await awsIn('elbv2', 'describe-target-groups', '--names', 'demo-web');
    expect(groups.code, groups.stderr).toBe(0);
    const [tg] = (JSON.parse(groups.stdout) as { TargetGroups: Array<Record<string, unknown>> }).TargetGroups;
    expect(tg).toMatchObject({ TargetGroupName: 'demo-web', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 2, UnhealthyThresholdCount: 10, Matcher: { HttpCode: '200' } });
    expect(tg!['TargetGroupArn']).toBe(t.demoTargetGroupArn);
    const attributes = await awsIn('elbv2', 'describe-target-group-attributes', '--target-group-arn', t.demoTargetGroupArn);
    expect(attributes.code, attributes.stderr).toBe(0);
    expect((JSON.parse(attributes.stdout) as { Attributes: Array<{ Key: string; Value: string }> }).Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '20' });
    const missing = await awsIn('elbv2', 'describe-target-groups', '--names', 'no-such-group');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(TargetGroupNotFound)');
  });

  it('register-task-definition with a container that has no image fails with ClientException', async () => {
    const r = await aws('register-task-definition', '--family', 'broken', '--container-definitions', JSON.stringify([{ name: 'web', memory: 128 }]));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('(ClientException)');
    expect(r.stderr).toContain('Container.image should not be null or empty.');
    // Nothing was registered.
    const families = await awsJson<{ families: string[] }>('list-task-definition-families', '--family-prefix', 'broken');
    expect(families.families).toEqual([]);
  });
});
