// The observers against real things: the prober through the sandbox's load balancer and
// against loopback servers that misbehave on purpose, the service poller through the AWS SDK
// while the sandbox rolls the demo service and stops a task.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegisterTaskDefinitionCommand, StopTaskCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoTaskDefinition } from '../../harness/ecs/demo-service.ts';
import { startProber } from '../../harness/observe/prober.ts';
import { startServicePoller } from '../../harness/observe/service-poller.ts';
import { Timeline } from '../../harness/observe/timeline.ts';
import { service, tasks, type TestSandbox } from '../support/sandbox.ts';
import { stage } from '../support/drill-stage.ts';
import { cleanUpFiredrill } from '../support/firedrill-cli.ts';
import { waitFor } from '../support/wait.ts';

const CLUSTER = 'firedrill';
const SERVICE = 'demo';
const clock = { now: () => Date.now() };

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('prober against loopback servers', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  /** Probes until `count` probes are in, then stops; requests in flight at stop are recorded too, so there may be more. */
  const probeUntil = async (url: string, count: number, timeoutMs = 2_000) => {
    const timeline = new Timeline();
    const prober = startProber({ url, intervalMs: 100, timeoutMs, versionHeader: 'x-app-version', timeline, clock });
    await waitFor(() => timeline.of('probe').length >= count, 20_000, `${count} probes of ${url}`);
    await prober.stop();
    return timeline.of('probe');
  };

  it('reads the version from the header when the body is not JSON, and counts only 2xx as ok', async () => {
    let status = 200;
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain', 'x-app-version': 'v7' });
      res.end('hello');
    });
    servers.push(server);
    const url = await listen(server);
    const answered = await probeUntil(url, 3);
    expect(answered.every((p) => p.ok && p.status === 200 && p.version === 'v7')).toBe(true);
    status = 503;
    const failing = await probeUntil(url, 3);
    expect(failing.every((p) => !p.ok && p.status === 503 && p.version === 'v7' && p.error === undefined)).toBe(true);
  });

  it('names why a request got no answer: a refused connection, a timeout', async () => {
    const closed = createServer();
    const refusedUrl = await listen(closed);
    await close(closed);
    const refused = await probeUntil(refusedUrl, 3);
    expect(new Set(refused.map((p) => `${p.ok} ${p.status} ${p.error}`))).toEqual(new Set(['false undefined ECONNREFUSED']));

    // Accepts the request and never answers.
    const hanging = createServer(() => {});
    servers.push(hanging);
    const timedOut = await probeUntil(await listen(hanging), 3, 150);
    expect(new Set(timedOut.map((p) => `${p.ok} ${p.error}`))).toEqual(new Set(['false timeout']));
    // The request start is recorded, and the latency is the time until the timeout.
    expect(timedOut.every((p) => p.latencyMs >= 140)).toBe(true);
  });
});

describe('observers on the sandbox', () => {
  let t: TestSandbox;
  let baselineArn: string;
  beforeEach(async () => {
    ({ t, baselineArn } = await stage());
  });
  afterEach(async () => {
    await t?.stop();
    await cleanUpFiredrill();
  });

  const poller = (timeline: Timeline, errors: unknown[], name = SERVICE) =>
    startServicePoller({ driver: t.driver, cluster: CLUSTER, service: name, intervalMs: 200, timeline, clock, onError: (e) => errors.push(e) });
  const prober = (timeline: Timeline) =>
    startProber({ url: `${t.demoUrl}/api/version`, intervalMs: 100, timeoutMs: 2_000, versionHeader: 'x-app-version', timeline, clock });

  it('the prober records the version that served each request through the load balancer, and stops', async () => {
    const timeline = new Timeline();
    const p = prober(timeline);
    await waitFor(() => timeline.of('probe').length >= 10, 20_000, '10 probes');
    await p.stop();
    const probes = timeline.of('probe');
    expect(probes.every((o) => o.ok && o.status === 200 && o.version === 'v1.0.0' && o.error === undefined && o.latencyMs >= 0)).toBe(true);
    // Nothing arrives after stop: another prober's ten probes are the clock for that.
    const witness = new Timeline();
    const other = prober(witness);
    await waitFor(() => witness.of('probe').length >= 10, 20_000, 'the witness probes');
    await other.stop();
    expect(timeline.of('probe')).toHaveLength(probes.length);
  });

  it('the poller follows a rolling update to v1.1.0 to completion, every ECS event exactly once', async () => {
    const timeline = new Timeline();
    const errors: unknown[] = [];
    const poll = poller(timeline, errors);
    const p = prober(timeline);
    await waitFor(() => timeline.of('service').length > 0 && timeline.of('probe').length > 0, 20_000, 'first observations');

    const registered = await t.ecs.send(new RegisterTaskDefinitionCommand(demoTaskDefinition('v1.1.0')));
    const updated = await t.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: registered.taskDefinition!.taskDefinitionArn! }));
    const newId = updated.service!.deployments!.find((d) => d.status === 'PRIMARY')!.id!;
    const completedMessage = `(service ${SERVICE}) (deployment ${newId}) deployment completed.`;
    const services = () => timeline.of('service');
    await waitFor(
      () => services().some((o) => o.deployments.length === 1 && o.deployments[0]!.id === newId && o.deployments[0]!.rolloutState === 'COMPLETED'),
      60_000,
      'the poller to see v1.1.0 COMPLETED',
    );
    // The two v1.0.0 tasks stop once drained, which may be after the deployment completed.
    await waitFor(() => services().flatMap((o) => o.newStoppedTasks).length >= 2, 30_000, 'the old tasks stopped');
    await waitFor(() => services().some((o) => o.newEvents.some((e) => e.message === completedMessage)), 30_000, 'the completion event');
    await waitFor(() => timeline.of('probe').some((o) => o.version === 'v1.1.0'), 20_000, 'a probe answered by v1.1.0');
    await poll.pollNow();
    await Promise.all([poll.stop(), p.stop()]);

    expect(errors).toEqual([]);
    expect(services().some((o) => o.deployments.length === 2 && o.deployments.some((d) => d.id === newId && d.status === 'PRIMARY'))).toBe(true);
    const events = services().flatMap((o) => o.newEvents);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // Oldest first, also across polls.
    expect(events.map((e) => e.createdAt)).toEqual([...events.map((e) => e.createdAt)].sort((a, b) => a - b));
    expect(events.filter((e) => e.message === completedMessage)).toHaveLength(1);
    const ecsEvents = (await service(t.ecs, CLUSTER, SERVICE)).events!.map((e) => e.id);
    expect(events.map((e) => e.id)).toEqual(expect.arrayContaining(ecsEvents));

    // ECS's own record: the update's service deployment went IN_PROGRESS -> SUCCESSFUL, newest first.
    const records = services().map((o) => o.serviceDeployments);
    expect(records.every((r) => r !== undefined)).toBe(true);
    const last = records.at(-1)!;
    expect(last.map((d) => d.status)).toEqual(['SUCCESSFUL', 'SUCCESSFUL']);
    expect(last[0]).toMatchObject({ circuitBreaker: { status: 'MONITORING_COMPLETE' }, alarms: { status: 'DISABLED' } });
    expect(last[0]!.rollback).toBeUndefined();
    expect(records.some((r) => r!.some((d) => d.arn === last[0]!.arn && d.status === 'IN_PROGRESS'))).toBe(true);

    const stopped = services().flatMap((o) => o.newStoppedTasks);
    expect(new Set(stopped.map((s) => s.taskArn)).size).toBe(stopped.length);
    expect(stopped).toHaveLength(2);
    for (const task of stopped) {
      expect(task).toMatchObject({ taskDefinitionArn: baselineArn, stopCode: 'ServiceSchedulerInitiated', stoppedReason: `Scaling activity initiated by (deployment ${newId})` });
      expect(task.stoppedAt).toEqual(expect.any(Number));
    }

    // A rolling update loses no request; the prober saw both releases, the new one last.
    const probes = timeline.of('probe');
    expect(probes.filter((o) => !o.ok)).toEqual([]);
    expect(new Set(probes.map((o) => o.version))).toEqual(new Set(['v1.0.0', 'v1.1.0']));
    expect(probes.at(-1)!.version).toBe('v1.1.0');
  });

  it('a task stopped with StopTask appears once in newStoppedTasks, with its reason', async () => {
    const timeline = new Timeline();
    const errors: unknown[] = [];
    const poll = poller(timeline, errors);
    await waitFor(() => timeline.of('service').length > 0, 20_000, 'a first poll');
    const [victim] = await tasks(t.ecs, CLUSTER, SERVICE, 'RUNNING');
    await t.ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: victim!.taskArn!, reason: 'drill: stop one task' }));

    const reported = () => timeline.of('service').flatMap((o) => o.newStoppedTasks.filter((s) => s.taskArn === victim!.taskArn));
    const [seen] = await waitFor(() => (reported().length > 0 ? reported() : undefined), 30_000, 'the stopped task in the timeline');
    expect(seen).toMatchObject({ taskDefinitionArn: baselineArn, stopCode: 'UserInitiated', stoppedReason: 'drill: stop one task', exitCodes: { web: expect.any(Number) } });
    // The scheduler replaces it; however many polls that takes, the stop is reported once.
    await waitFor(
      () => timeline.of('service').some((o) => o.t > seen!.stoppedAt! && o.runningCount === 2 && o.deployments[0]!.rolloutState === 'COMPLETED'),
      30_000,
      'the replacement running',
    );
    await poll.pollNow();
    await poll.stop();
    expect(reported()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('a failing poll is reported and the poller keeps going; pollNow rejects with the error', async () => {
    const timeline = new Timeline();
    const errors: unknown[] = [];
    const poll = poller(timeline, errors, 'no-such-service');
    await waitFor(() => errors.length >= 3, 20_000, 'three failed polls');
    await expect(poll.pollNow()).rejects.toThrow(/no-such-service/);
    await poll.stop();
    expect(timeline.observations).toEqual([]);
    await expect(poll.pollNow()).rejects.toThrow(/stopped/);
  });
});
