// The sandbox as ECS: a service reaches steady state, rolls to a new tag without losing a
// request, and the circuit breaker rolls a bad release back, all through the AWS SDK.

import {
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type ECSClient,
  type KeyValuePair,
  type Task,
} from '@aws-sdk/client-ecs';
import { selectRollbackPath } from '../../harness/rollback/paths.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoTaskDefinition, deployDemoService } from '../../harness/ecs/demo-service.ts';
import { ofKind, readEventLog } from '../../sandbox/index.ts';
import { service, startTestSandbox, tasks, waitForService, type TestSandbox } from '../support/sandbox.ts';
import { steadyTraffic } from '../support/traffic.ts';
import { waitFor } from '../support/wait.ts';

const CLUSTER = 'firedrill';
const SERVICE = 'demo';

let t: TestSandbox;
beforeEach(async () => {
  t = await startTestSandbox();
});
afterEach(async () => {
  await t?.stop();
});

const deployBaseline = (circuitBreakerRollback = true) =>
  deployDemoService(t.ecs, { cluster: CLUSTER, service: SERVICE, targetGroupArn: t.demoTargetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: 60_000 }).then(
    async (deployed) => {
      if (!circuitBreakerRollback) {
        await t.ecs.send(
          new UpdateServiceCommand({
            cluster: CLUSTER,
            service: SERVICE,
            deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 },
          }),
        );
      }
      return deployed;
    },
  );

/** Registers the demo task definition at `tag`, changed by `mutate`, and rolls the service to it. */
const rollTo = async (ecs: ECSClient, tag: string, mutate: (env: KeyValuePair[], def: ReturnType<typeof demoTaskDefinition>) => void = () => {}) => {
  const def = demoTaskDefinition(tag);
  const container = def.containerDefinitions![0]!;
  mutate(container.environment!, def);
  const registered = await ecs.send(new RegisterTaskDefinitionCommand(def));
  const arn = registered.taskDefinition!.taskDefinitionArn!;
  const updated = await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: arn }));
  const newDeployment = updated.service!.deployments!.find((d) => d.status === 'PRIMARY')!;
  return { taskDefinitionArn: arn, deploymentId: newDeployment.id! };
};

/**
 * A bad deployment's tasks that were still starting when the breaker tripped are stopped by the
 * scheduler as the rollback scales the bad deployment in; every other one must show its failure.
 */
const withoutRollbackStops = (stopped: Task[]): Task[] => {
  const scheduler = stopped.filter((task) => task.stopCode === 'ServiceSchedulerInitiated' && /^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/.test(task.stoppedReason ?? ''));
  return stopped.filter((task) => !scheduler.includes(task));
};

const versionServed = async (url: string) => ((await (await fetch(`${url}/api/version`)).json()) as { version: string }).version;

/** Waits for the breaker to return the service to `deploymentId` and for that rollback to complete. */
const waitForRollbackTo = (deploymentId: string) =>
  waitForService(t.ecs, CLUSTER, SERVICE, `rollback to ${deploymentId} completed`, (s) => {
    const d = s.deployments ?? [];
    return d.length === 1 && d[0]!.id === deploymentId && d[0]!.rolloutState === 'COMPLETED' && s.runningCount === 2;
  });

describe('sandbox deployments through the AWS SDK', () => {
  it('a 2-task service on v1.0.0 with the circuit breaker reaches a steady state', async () => {
    const { service: steady, taskDefinitionArn } = await deployBaseline();
    expect(steady.runningCount).toBe(2);
    expect(steady.deployments).toHaveLength(1);
    const [d] = steady.deployments!;
    expect(d).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: taskDefinitionArn, runningCount: 2, failedTasks: 0 });
    expect(d!.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(d!.rolloutStateReason).toBe(`ECS deployment ${d!.id} completed.`);
    const messages = steady.events!.map((e) => e.message);
    expect(messages[0]).toBe('(service demo) has reached a steady state.');
    expect(messages).toContain(`(service demo) (deployment ${d!.id}) deployment completed.`);
    expect(messages.some((m) => /^\(service demo\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/.test(m!))).toBe(true);
    expect(await versionServed(t.demoUrl)).toBe('v1.0.0');
    const running = await tasks(t.ecs, CLUSTER, SERVICE, 'RUNNING');
    expect(running.map((task) => [task.lastStatus, task.healthStatus])).toEqual([
      ['RUNNING', 'HEALTHY'],
      ['RUNNING', 'HEALTHY'],
    ]);
  });

  it('rolls to v1.1.0 under steady traffic through the load balancer without losing a request', async () => {
    await deployBaseline();
    const traffic = steadyTraffic(`${t.demoUrl}/api/version`);
    await waitFor(() => traffic.records.length >= 20, 10_000, 'traffic before the update');
    const { deploymentId } = await rollTo(t.ecs, 'v1.1.0');
    await waitForService(t.ecs, CLUSTER, SERVICE, 'v1.1.0 deployment completed', (s) => s.deployments?.length === 1 && s.deployments[0]!.id === deploymentId && s.deployments[0]!.rolloutState === 'COMPLETED');
    await waitFor(() => traffic.records.filter((r) => r.version === 'v1.1.0').length >= 20, 10_000, 'traffic after the update');
    const records = await traffic.stop();
    const failed = records.filter((r) => r.status !== 200);
    expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
    expect(records.length).toBeGreaterThan(50);
    // Once v1.1.0 first answered, the old release may still answer until it is drained, but never after the rollout finished.
    expect(records.at(-1)!.version).toBe('v1.1.0');
    expect(new Set(records.map((r) => r.version))).toEqual(new Set(['v1.0.0', 'v1.1.0']));
    const stopped = await tasks(t.ecs, CLUSTER, SERVICE, 'STOPPED');
    expect(stopped.map((s) => s.stoppedReason)).toEqual(Array(2).fill(expect.stringMatching(/^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/)));
    expect(stopped.every((s) => s.stopCode === 'ServiceSchedulerInitiated')).toBe(true);
  });

  it('a tag that does not exist trips the circuit breaker and the service returns to the v1.0.0 deployment', async () => {
    const { service: baseline, taskDefinitionArn } = await deployBaseline();
    const baselineId = baseline.deployments![0]!.id!;
    const bad = await rollTo(t.ecs, 'v9.9.9');

    // While rolling back: the baseline is PRIMARY again under its own id, the bad one ACTIVE and FAILED.
    // On a busy machine the rollback can finish between two polls; its events still tell the trip.
    const rolling = await waitForService(
      t.ecs,
      CLUSTER,
      SERVICE,
      'the breaker to trip',
      (s) =>
        (s.deployments?.some((d) => d.id === bad.deploymentId && d.rolloutState === 'FAILED') ?? false) ||
        (s.events ?? []).some((e) => e.message === `(service demo) (deployment ${bad.deploymentId}) deployment failed: tasks failed to start.`),
    );
    if (rolling.deployments!.length === 2) {
      expect(rolling.deployments![0]).toMatchObject({ id: baselineId, status: 'PRIMARY', taskDefinition: taskDefinitionArn });
      expect(rolling.deployments![0]!.rolloutStateReason).toBe(`ECS deployment circuit breaker: rolling back to deploymentId ${baselineId}.`);
      expect(rolling.deployments![1]).toMatchObject({ id: bad.deploymentId, status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });
      expect(rolling.deployments![1]!.failedTasks).toBeGreaterThanOrEqual(3);
    }

    const restored = await waitForRollbackTo(baselineId);
    expect(restored.taskDefinition).toBe(taskDefinitionArn);
    expect(restored.deployments![0]!.rolloutStateReason).toBe(`ECS deployment ${baselineId} completed.`);
    const messages = restored.events!.map((e) => e.message);
    expect(messages).toContain(`(service demo) (deployment ${bad.deploymentId}) deployment failed: tasks failed to start.`);
    expect(messages).toContain(`(service demo) rolling back to deployment ${baselineId}.`);
    expect(messages.indexOf(`(service demo) rolling back to deployment ${baselineId}.`)).toBeLessThan(
      messages.indexOf(`(service demo) (deployment ${bad.deploymentId}) deployment failed: tasks failed to start.`) + 1,
    );

    const badTasks = (await tasks(t.ecs, CLUSTER, SERVICE, 'STOPPED')).filter((task) => task.startedBy === bad.deploymentId);
    const failedTasks = withoutRollbackStops(badTasks);
    expect(failedTasks.length).toBeGreaterThanOrEqual(3);
    for (const task of failedTasks) {
      expect(task.stopCode).toBe('TaskFailedToStart');
      expect(task.stoppedReason).toMatch(/^CannotPullContainerError: .*firedrill\/demo-app:v9\.9\.9/);
      expect(task.lastStatus).toBe('STOPPED');
    }
    // The baseline never stopped serving.
    expect(await versionServed(t.demoUrl)).toBe('v1.0.0');
  });

  it('a release that crashes on start is rolled back; its tasks stopped with the exit code', async () => {
    const { service: baseline } = await deployBaseline();
    const baselineId = baseline.deployments![0]!.id!;
    const bad = await rollTo(t.ecs, 'v1.1.0', (env) => env.push({ name: 'FAIL_CRASH_ON_START', value: '1' }));
    await waitForRollbackTo(baselineId);
    const failed = withoutRollbackStops((await tasks(t.ecs, CLUSTER, SERVICE, 'STOPPED')).filter((task) => task.startedBy === bad.deploymentId));
    expect(failed.length).toBeGreaterThanOrEqual(3);
    for (const task of failed) {
      expect(task.stopCode).toBe('EssentialContainerExited');
      expect(task.stoppedReason).toBe('Essential container in task exited');
      expect(task.containers![0]!.exitCode).toBe(1);
    }
  });

  it('a release whose container health check fails is rolled back', async () => {
    const { service: baseline } = await deployBaseline();
    const baselineId = baseline.deployments![0]!.id!;
    await rollTo(t.ecs, 'v1.1.0', (_env, def) => {
      def.containerDefinitions![0]!.healthCheck = { command: ['CMD-SHELL', 'exit 1'], interval: 5, timeout: 2, retries: 2, startPeriod: 0 };
    });
    const restored = await waitForRollbackTo(baselineId);
    const stopped = await tasks(t.ecs, CLUSTER, SERVICE, 'STOPPED');
    expect(stopped.some((task) => task.stoppedReason === 'Task failed container health checks')).toBe(true);
    expect(restored.events!.some((e) => /^\(service demo\) \(task [0-9a-f]{32}\) failed container health checks\.$/.test(e.message!))).toBe(true);
  });

  it('a release whose load-balancer health fails (wrong container port) is rolled back', async () => {
    const { service: baseline } = await deployBaseline();
    const baselineId = baseline.deployments![0]!.id!;
    await rollTo(t.ecs, 'v1.1.0', (env) => {
      env.find((e) => e.name === 'PORT')!.value = '9999';
    });
    const restored = await waitForRollbackTo(baselineId);
    const stopped = await tasks(t.ecs, CLUSTER, SERVICE, 'STOPPED');
    expect(stopped.some((task) => task.stoppedReason === `Task failed ELB health checks in (target-group ${t.demoTargetGroupArn})`)).toBe(true);
    expect(restored.events!.some((e) => e.message!.includes(`is unhealthy in (target-group ${t.demoTargetGroupArn}) due to`))).toBe(true);
    expect(await versionServed(t.demoUrl)).toBe('v1.0.0');
  });

  it('with rollback off the breaker leaves the bad deployment FAILED and launches nothing more', async () => {
    const { service: baseline } = await deployBaseline(false);
    const baselineId = baseline.deployments![0]!.id!;
    const bad = await rollTo(t.ecs, 'v9.9.9');
    const failed = await waitForService(t.ecs, CLUSTER, SERVICE, 'the deployment to fail', (s) => s.deployments?.[0]?.rolloutState === 'FAILED');
    expect(failed.deployments).toHaveLength(2);
    expect(failed.deployments![0]).toMatchObject({ id: bad.deploymentId, status: 'PRIMARY', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });
    expect(failed.deployments![1]).toMatchObject({ id: baselineId, status: 'ACTIVE', rolloutState: 'COMPLETED', runningCount: 2 });
    // Nothing more is launched for the failed deployment: no launch after the sandbox failed it,
    // while every task it did launch stops (a task launched just before may still be pulling).
    await waitFor(
      async () => {
        const svc = await service(t.ecs, CLUSTER, SERVICE);
        return svc.deployments![0]!.pendingCount === 0 && svc.deployments![0]!.runningCount === 0;
      },
      10_000,
      'no pending or running tasks of the failed deployment',
    );
    const events = readEventLog(t.sandbox.eventLogPath);
    const failedAt = ofKind(events, 'deployment.state').find((e) => e.deploymentId === bad.deploymentId && e.rolloutState === 'FAILED')?.epochMs;
    expect(failedAt, 'the sandbox logged the deployment FAILED').toBeTypeOf('number');
    const launches = ofKind(events, 'task.launched').filter((e) => e.deploymentId === bad.deploymentId);
    expect(launches.length).toBeGreaterThan(0);
    expect(launches.filter((e) => e.epochMs > failedAt!)).toEqual([]);
    const stopped = (await tasks(t.ecs, CLUSTER, SERVICE, 'STOPPED')).filter((task) => task.startedBy === bad.deploymentId);
    expect(stopped.length).toBe(launches.length);
    expect(await versionServed(t.demoUrl)).toBe('v1.0.0');
  });

  it('StopTask stops a task with the user reason and the scheduler replaces it', async () => {
    await deployBaseline();
    const [victim] = await tasks(t.ecs, CLUSTER, SERVICE, 'RUNNING');
    await t.ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: victim!.taskArn!, reason: 'drill: stop one task' }));
    const stopped = await waitFor(async () => (await tasks(t.ecs, CLUSTER, SERVICE, 'STOPPED')).find((s) => s.taskArn === victim!.taskArn && s.lastStatus === 'STOPPED'), 30_000, 'the task to stop');
    expect(stopped).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: 'drill: stop one task', desiredStatus: 'STOPPED' });
    expect(stopped.stoppedAt).toBeInstanceOf(Date);
    const replaced = await waitFor(async () => {
      const running = await tasks(t.ecs, CLUSTER, SERVICE, 'RUNNING');
      return running.length === 2 && running.every((r) => r.taskArn !== victim!.taskArn && r.healthStatus === 'HEALTHY') ? running : undefined;
    }, 30_000, 'a healthy replacement');
    expect(replaced).toHaveLength(2);
  });

  it("the stop-deployment rollback path: StopServiceDeployment ROLLBACK returns a healthy release's deployment to the baseline, though no rollback is configured", async () => {
    const { service: steady } = await deployBaseline(false);
    const baselineId = steady.deployments![0]!.id!;
    const next = await rollTo(t.ecs, 'v1.1.0');
    const path = selectRollbackPath({ path: 'stop-deployment' });
    const detail = await path.trigger({ driver: t.driver, deadline: Date.now() + 30_000, cluster: CLUSTER, service: SERVICE, baselineTaskDefinition: steady.taskDefinition!, placeholders: {} as never });
    expect(detail).toMatchObject({ call: 'StopServiceDeployment', stopType: 'ROLLBACK' });
    await waitForRollbackTo(baselineId);
    expect(await versionServed(t.demoUrl)).toBe('v1.0.0');

    const listed = (await t.ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: SERVICE }))).serviceDeployments!;
    expect(listed.map((d) => d.status)).toEqual(['ROLLBACK_SUCCESSFUL', 'SUCCESSFUL']);
    expect(listed[0]!.serviceDeploymentArn).toBe(detail.serviceDeploymentArn);
    const [record] = (await t.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [listed[0]!.serviceDeploymentArn!] }))).serviceDeployments!;
    expect(record).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      rollback: { reason: 'ECS deployment rollback requested: StopServiceDeployment ROLLBACK.', serviceRevisionArn: listed[1]!.targetServiceRevisionArn },
      deploymentCircuitBreaker: { status: 'MONITORING_COMPLETE' },
    });
    const failed = (await service(t.ecs, CLUSTER, SERVICE)).events!.map((e) => e.message);
    expect(failed).toContain(`(service demo) (deployment ${next.deploymentId}) deployment failed: rollback requested.`);
    // Nothing is in progress now: the path says so instead of failing.
    expect(await path.trigger({ driver: t.driver, deadline: Date.now() + 30_000, cluster: CLUSTER, service: SERVICE, baselineTaskDefinition: steady.taskDefinition!, placeholders: {} as never })).toMatchObject({
      note: 'no service deployment in progress to stop',
    });
  });
});
