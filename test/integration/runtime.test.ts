// ProcessRuntime with the real demo app as the image: tasks are real processes on loopback ports.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageConfig } from '../../sandbox/types/config.ts';
import { ofKind, type SandboxEventBody } from '../../sandbox/index.ts';
import { stoppedReason } from '../../sandbox/control/messages.ts';
import type { ContainerDefinition } from '../../sandbox/control/model.ts';
import type { TaskRuntimeStatus } from '../../sandbox/control/ports.ts';
import { defaultTiming } from '../../sandbox/control/timing.ts';
import { ProcessRuntime } from '../../sandbox/data/process-runtime.ts';
import { waitFor } from '../support/wait.ts';

const appDir = fileURLToPath(new URL('../../sandbox/demo-app/', import.meta.url));
const images: Record<string, ImageConfig> = {
  'firedrill/demo-app': {
    entryPoint: ['node', join(appDir, 'server.mjs')],
    command: [],
    tags: ['v1.0.0', 'v1.1.0', 'v1.2.0'],
    environment: {},
    binDir: join(appDir, 'bin'),
  },
};
const dbPasswordArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password-AbCdEf';
const apiKeyArn = 'arn:aws:ssm:us-east-1:123456789012:parameter/firedrill/api-key';
const dbPassword = 'hunter2-s3cr3t-value';
// Configured by name, as an operator would: the runtime finds them from the ARNs.
const secrets = { 'db-password-AbCdEf': dbPassword, '/firedrill/api-key': 'k-123' };

const DEADLINE_MS = 15_000;

let runtime: ProcessRuntime;
let logDir: string;
let events: SandboxEventBody[];
let taskCount = 0;

beforeEach(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'firedrill-runtime-'));
  events = [];
  runtime = new ProcessRuntime({
    images,
    secrets,
    timing: { ...defaultTiming, scale: 0.02 },
    clock: { now: () => Date.now() },
    events: { emit: (event) => events.push(event) },
    logDir,
  });
});

afterEach(async () => {
  await runtime.shutdown();
  await rm(logDir, { recursive: true, force: true });
});

const web = (overrides: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name: 'web',
  image: 'firedrill/demo-app:v1.1.0',
  portMappings: [{ containerPort: 8080 }],
  ...overrides,
});

const env = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));

/** Launches a task and returns what a test needs to follow it. */
const launch = (...containerDefinitions: ContainerDefinition[]) => {
  const taskId = `task${++taskCount}`;
  const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/drills/${taskId}`;
  runtime.launch({
    taskArn,
    taskId,
    clusterName: 'drills',
    serviceName: 'web',
    taskDefinition: {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      family: 'web',
      revision: 1,
      status: 'ACTIVE',
      containerDefinitions,
      registeredAt: Date.now(),
      tags: [],
    },
  });
  const status = (): TaskRuntimeStatus => {
    const s = runtime.status(taskArn);
    if (!s) throw new Error(`runtime forgot ${taskArn}`);
    return s;
  };
  const phase = (wanted: TaskRuntimeStatus['phase']) => waitFor(() => status().phase === wanted && status(), DEADLINE_MS, `phase ${wanted}`);
  const log = () => readFile(join(logDir, `${taskId}.log`), 'utf8').catch(() => '');
  const pid = (container = 'web'): number => {
    const started = ofKind(events, 'container.started').find((e) => e.taskArn === taskArn && e.container === container);
    if (started?.pid === undefined) throw new Error(`no container.started event with a pid for ${container} of ${taskArn}`);
    return started.pid;
  };
  return { taskArn, taskId, status, phase, log, pid };
};

const hostPort = (status: TaskRuntimeStatus, container = 'web'): number => {
  const port = status.containers.find((c) => c.name === container)?.networkBindings[0]?.hostPort;
  if (port === undefined) throw new Error(`${container} has no host port`);
  return port;
};

/** The JSON body once the app answers; a process can be running before it listens. */
const getJson = (url: string) =>
  waitFor(
    async () => {
      try {
        const res = await fetch(url);
        return { status: res.status, version: res.headers.get('x-app-version'), body: (await res.json()) as Record<string, unknown> };
      } catch {
        return undefined;
      }
    },
    DEADLINE_MS,
    `an answer from ${url}`,
  );

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ProcessRuntime', () => {
  it('runs a healthy task whose host port serves the image tag', async () => {
    const task = launch(web({ environment: env({ PORT: '8080' }) }));
    expect(task.status().phase).toBe('pulling');
    const running = await task.phase('running');

    const [binding] = running.containers[0]?.networkBindings ?? [];
    expect(binding).toMatchObject({ bindIP: '127.0.0.1', containerPort: 8080, protocol: 'tcp' });
    expect(running.pullStoppedAt).toBeGreaterThanOrEqual(running.pullStartedAt ?? Infinity);
    expect(running.containers[0]).toMatchObject({ state: 'running', health: 'UNKNOWN' });

    const answer = await getJson(`http://127.0.0.1:${hostPort(running)}/api/version`);
    expect(answer).toMatchObject({ status: 200, version: 'v1.1.0', body: { version: 'v1.1.0', pid: task.pid() } });
    expect(await task.log()).toMatch(/^web \| demo-app v1\.1\.0 listening/m);
  });

  it('fails to start a task whose image tag does not exist', async () => {
    const task = launch(web({ image: 'firedrill/demo-app:v9.9.9' }));
    const failed = await task.phase('failed');
    expect(failed.failure).toEqual({
      stopCode: 'TaskFailedToStart',
      reason: stoppedReason.cannotPull('firedrill/demo-app:v9.9.9', 'not found'),
    });
    expect(failed.containers[0]?.state).toBe('pending');
    expect(events.map((e) => e.kind)).toEqual(['task.pull_failed']);
  });

  it('fails to start a task with a missing secret, naming the secret and never a value', async () => {
    const task = launch(
      web({
        secrets: [
          { name: 'DB_PASSWORD', valueFrom: dbPasswordArn },
          { name: 'API_KEY', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/firedrill/missing' },
        ],
      }),
    );
    const failed = await task.phase('failed');
    expect(failed.failure?.stopCode).toBe('TaskFailedToStart');
    expect(failed.failure?.reason).toMatch(/^ResourceInitializationError: unable to pull secrets or registry auth: /);
    expect(failed.failure?.reason).toContain('parameter/firedrill/missing');
    expect(JSON.stringify({ failed, events })).not.toContain(dbPassword);
    expect(await task.log()).not.toContain(dbPassword);
  });

  it('passes resolved secrets to the container as environment variables', async () => {
    const check = `process.exit(process.env.DB_PASSWORD === ${JSON.stringify(dbPassword)} && process.env.API_KEY === 'k-123' ? 0 : 3)`;
    const task = launch(
      web({
        entryPoint: ['node', '-e', check],
        secrets: [
          { name: 'DB_PASSWORD', valueFrom: dbPasswordArn },
          { name: 'API_KEY', valueFrom: apiKeyArn },
        ],
      }),
    );
    const exited = await task.phase('exited');
    expect(exited.exited).toEqual({ container: 'web', exitCode: 0 });
    expect(JSON.stringify(events)).not.toContain(dbPassword);
  });

  it('reports a crash on start as an exited essential container', async () => {
    const task = launch(web({ environment: env({ FAIL_CRASH_ON_START: '1' }) }));
    const exited = await task.phase('exited');
    expect(exited.exited).toEqual({ container: 'web', exitCode: 1 });
    expect(exited.containers[0]).toMatchObject({ state: 'exited', exitCode: 1 });
    await waitFor(async () => (await task.log()).includes('web | demo-app: crashing on start'), DEADLINE_MS, 'the crash in the log');
  });

  it('reports a command that cannot be executed as exit code 127', async () => {
    const task = launch(web({ entryPoint: ['firedrill-no-such-binary'] }));
    const exited = await task.phase('exited');
    expect(exited.exited?.exitCode).toBe(127);
    expect(exited.exited?.reason).toMatch(/^CannotStartContainerError: .*"firedrill-no-such-binary": executable file not found/);
  });

  it('keeps the task running when a non-essential container exits', async () => {
    const sidecar: ContainerDefinition = {
      name: 'init',
      image: 'firedrill/demo-app:v1.1.0',
      essential: false,
      entryPoint: ['node', '-e', 'process.exit(2)'],
    };
    const task = launch(web(), sidecar);
    await waitFor(() => task.status().containers[1]?.state === 'exited', DEADLINE_MS, 'the sidecar to exit');
    const status = task.status();
    expect(status.phase).toBe('running');
    expect(status.containers[1]?.exitCode).toBe(2);
    expect(status.containers[0]?.state).toBe('running');
  });

  it('turns a passing container health check (CMD) HEALTHY', async () => {
    const task = launch(web({ healthCheck: { command: ['CMD', 'healthcheck'], interval: 10, timeout: 50, retries: 3, startPeriod: 30 } }));
    await waitFor(() => task.status().containers[0]?.health === 'HEALTHY', DEADLINE_MS, 'HEALTHY');
    expect(events).toContainEqual({ kind: 'container.health', taskArn: task.taskArn, container: 'web', health: 'HEALTHY' });
  });

  it('turns a failing container health check (CMD-SHELL) UNHEALTHY', async () => {
    const task = launch(
      web({
        environment: env({ FAIL_HEALTH: '1' }),
        healthCheck: { command: ['CMD-SHELL', 'healthcheck || exit 1'], interval: 10, timeout: 50, retries: 2 },
      }),
    );
    await waitFor(() => task.status().containers[0]?.health === 'UNHEALTHY', DEADLINE_MS, 'UNHEALTHY');
    expect(task.status().phase).toBe('running');
  });

  it('kills a container above its memory limit with OutOfMemoryError', async () => {
    // 100 MiB is above the demo app's footprint at rest (~45 MiB), so only the growth can trip it.
    const task = launch(web({ memory: 100, environment: env({ FAIL_MEMORY_GROW_MB_PER_SEC: '50' }) }));
    await task.phase('running');
    const exited = await task.phase('exited');
    expect(exited.exited).toEqual({ container: 'web', exitCode: 137, reason: stoppedReason.outOfMemory() });
    expect(exited.containers[0]).toMatchObject({ exitCode: 137, reason: stoppedReason.outOfMemory() });
  });

  it('gives a container whose PORT is not mapped a port nothing routes to', async () => {
    const task = launch(web({ environment: env({ PORT: '3000' }) }));
    const running = await task.phase('running');
    const listening = await waitFor(
      async () => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(await task.log())?.[1],
      DEADLINE_MS,
      'the app to listen',
    );
    const bound = running.containers[0]?.networkBindings.map((b) => b.hostPort);
    expect(bound).toHaveLength(1);
    expect(bound).not.toContain(Number(listening));
    expect((await getJson(`http://127.0.0.1:${listening}/health`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${hostPort(running)}/health`)).rejects.toThrow();
  });

  it('stops a task: SIGTERM, a graceful exit, and the process is gone', async () => {
    const task = launch(web());
    const running = await task.phase('running');
    await getJson(`http://127.0.0.1:${hostPort(running)}/health`);
    const pid = task.pid();
    expect(isAlive(pid)).toBe(true);

    runtime.stop(task.taskArn, 10_000);
    runtime.stop(task.taskArn, 10_000);
    const stopped = await task.phase('stopped');
    expect(stopped.containers[0]).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(stopped.exited).toBeUndefined();
    expect(isAlive(pid)).toBe(false);

    runtime.forget(task.taskArn);
    expect(runtime.status(task.taskArn)).toBeUndefined();
  });

  it('kills a container that ignores SIGTERM once its stopTimeout has passed', async () => {
    const stubborn = "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); console.log('up')";
    // stopTimeout 10 ECS seconds is 200 ms here; the 60 s grace passed to stop() must not apply.
    const task = launch(web({ entryPoint: ['node', '-e', stubborn], stopTimeout: 10 }));
    await task.phase('running');
    await waitFor(async () => (await task.log()).includes('web | up'), DEADLINE_MS, 'the container to install its handler');

    runtime.stop(task.taskArn, 60_000);
    const stopped = await task.phase('stopped');
    expect(stopped.containers[0]?.exitCode).toBe(137);
    expect(await task.log()).toContain('web | ignoring SIGTERM');
  });

  it('stops a task that is still pulling without starting it', async () => {
    const task = launch(web());
    runtime.stop(task.taskArn, 1000);
    expect(task.status().phase).toBe('stopped');
    // Longer than the provisioning time: nothing may start behind the stop.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(task.status().phase).toBe('stopped');
    expect(events).toEqual([]);
  });

  it('leaves no process behind after shutdown', async () => {
    const first = launch(web({ healthCheck: { command: ['CMD-SHELL', 'healthcheck'], interval: 5, timeout: 50 } }));
    const second = launch(web({ entryPoint: ['/bin/sh', '-c', `node ${join(appDir, 'server.mjs')} & wait`] }));
    await first.phase('running');
    await second.phase('running');
    await waitFor(() => ofKind(events, 'container.health').length > 0, DEADLINE_MS, 'a health check result');
    const groups = [first.pid(), second.pid()];

    await runtime.shutdown();

    for (const pid of groups) expect(isAlive(pid)).toBe(false);
    expect(await processesOf(groups)).toEqual([]);
    expect(existsSync(join(logDir, `${first.taskId}.log`))).toBe(true);
  });
});

/** Live processes that are children of this one or members of the given process groups. */
const processesOf = async (groups: number[]): Promise<string[]> => {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name: state ppid pgrp ...
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie is dead already; orphaned grandchildren stay zombies where PID 1 does not reap.
    if (state === undefined || state === 'Z') continue;
    if (Number(ppid) === process.pid || groups.includes(Number(pgrp))) found.push(stat.slice(0, stat.lastIndexOf(')') + 1));
  }
  return found;
};
