// The `firedrill` command as a user runs it: `node bin/firedrill.js ...` from the repository
// root, with its exit codes, its messages for mistakes, and a foreground sandbox that stops
// every process it started when it gets SIGTERM or Ctrl-C.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ecsClient } from '../../harness/ecs/client.ts';
import { deployDemoService } from '../../harness/ecs/demo-service.ts';
import { ofKind, readEventLog } from '../../sandbox/index.ts';
import { waitFor } from '../support/wait.ts';
import { cleanUpFiredrill, runFiredrill, startFiredrill, type FinishedCli, type RunningCli } from '../support/firedrill-cli.ts';

const START_DEADLINE_MS = 60_000;

const taskPids: number[] = [];
const tmpDirs: string[] = [];

afterEach(async () => {
  // A failed test must not leave a sandbox or its tasks behind.
  await cleanUpFiredrill();
  for (const pid of taskPids.splice(0)) {
    if (processGone(pid)) continue;
    try {
      process.kill(-pid, 'SIGKILL'); // each task container leads its own process group
    } catch {
      // gone meanwhile
    }
  }
  for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-cli-'));
  tmpDirs.push(dir);
  return dir;
};

const startCli = startFiredrill;
const runCli = (args: string[], timeoutMs = 60_000): Promise<FinishedCli> => runFiredrill(args, timeoutMs);

const noStackTrace = (stderr: string) => expect(stderr.split('\n').filter((line) => /^\s+at /.test(line))).toEqual([]);

/** The lines of stderr that are firedrill's own (the AWS SDK may print a Node version warning). */
const firedrillLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('firedrill:'));

const waitForOutput = (r: RunningCli, text: string, timeoutMs = START_DEADLINE_MS) =>
  waitFor(
    () => {
      if (r.stdout().includes(text)) return true;
      if (r.exit) throw new Error(`firedrill exited (${JSON.stringify(r.exit)}) before printing "${text}"\nstdout:\n${r.stdout()}\nstderr:\n${r.stderr()}`);
      return false;
    },
    timeoutMs,
    `firedrill to print "${text}"`,
  );

const printed = (stdout: string, pattern: RegExp): string => {
  const match = pattern.exec(stdout);
  if (!match?.[1]) throw new Error(`expected ${pattern} in the output:\n${stdout}`);
  return match[1];
};

interface StartedSandbox {
  endpoint: string;
  loadBalancer: string;
  eventLog: string;
}

const parseStartOutput = (stdout: string): StartedSandbox => ({
  endpoint: printed(stdout, /ECS endpoint\s+(http:\/\/127\.0\.0\.1:\d+)\s/),
  loadBalancer: printed(stdout, /load balancer\s+(http:\/\/127\.0\.0\.1:\d+)\s+\(target group demo-web\)/),
  eventLog: printed(stdout, /event log\s+(\S+events\.jsonl)/),
});

interface StartedContainer {
  pid: number;
  hostPorts: number[];
  /** No `container.exited` for it yet: a task the scheduler may have replaced has exited. */
  running: boolean;
}

/** Every container process the sandbox started, from its ground-truth log. */
const containers = (path: string): StartedContainer[] => {
  const events = readEventLog(path);
  const key = (e: { taskArn: string; container: string }) => `${e.taskArn}/${e.container}`;
  const exited = new Set(ofKind(events, 'container.exited').map(key));
  return ofKind(events, 'container.started').map((e) => {
    if (e.pid === undefined) throw new Error(`container.started without a pid in ${path}: ${JSON.stringify(e)}`);
    return { pid: e.pid, hostPorts: e.hostPorts, running: !exited.has(key(e)) };
  });
};

/** Gone: no such process, or only a zombie waiting for its (new) parent to reap it. */
const processGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true; // exited between the two checks
  }
};

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const portOf = (url: string): number => Number(new URL(url).port);

/**
 * A sandbox config with the demo target group on a free port and the data under a temporary
 * directory. The ELB check tolerates a slow start: with the scaled 0.5 s interval, two refused
 * connections while Node boots on a loaded machine would otherwise fail a healthy task (and three
 * such tasks trip the breaker on the first deployment).
 */
const writeConfig = (dir: string): { file: string; dataDir: string } => {
  const dataDir = join(dir, 'data');
  const file = join(dir, 'sandbox.yaml');
  writeFileSync(file, `targetGroups:\n  - name: demo-web\n    listenerPort: 0\n    healthCheck: { unhealthyThreshold: 10 }\ndataDir: ${JSON.stringify(dataDir)}\n`);
  return { file, dataDir };
};

/** Signals the foreground sandbox and checks that it exits 0 having stopped everything it started. */
const stopAndCheck = async (r: RunningCli, started: StartedSandbox, signal: 'SIGTERM' | 'SIGINT') => {
  const before = containers(started.eventLog);
  const live = before.filter((c) => c.running);
  // The service's two tasks (a replaced task may be on its way out beside them).
  expect(live.filter((c) => !processGone(c.pid)).length, JSON.stringify(before)).toBeGreaterThanOrEqual(2);
  const ports = [portOf(started.endpoint), portOf(started.loadBalancer), ...live.flatMap((c) => c.hostPorts)];

  r.child.kill(signal);
  const exit = await waitFor(() => r.exit, 30_000, `the sandbox to exit after ${signal}`);
  expect(exit, `stdout:\n${r.stdout()}\nstderr:\n${r.stderr()}`).toEqual({ code: 0, signal: null });
  expect(r.stdout()).toContain(`${signal}: stopping the sandbox and every task it started...`);
  expect(r.stdout()).toContain('sandbox stopped');
  noStackTrace(r.stderr());

  // Every task process it ever started, including any started while it was stopping.
  const allPids = [...new Set([...before, ...containers(started.eventLog)].map((c) => c.pid))];
  expect(allPids.filter((pid) => !processGone(pid))).toEqual([]);
  const stillOpen: number[] = [];
  for (const port of ports) if (await accepts(port)) stillOpen.push(port);
  expect(stillOpen).toEqual([]);
  expect(readEventLog(started.eventLog).at(-1)?.kind).toBe('sandbox.stopped');
  taskPids.splice(0); // all gone: nothing for afterEach to clean up
};

describe('firedrill command line', () => {
  it('--help exits 0 and lists the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sandbox start');
    expect(r.stdout).toContain('sandbox status');
    expect(r.stderr).toBe('');
  });

  it('sandbox start --help explains --port, --config and --demo', async () => {
    const r = await runCli(['sandbox', 'start', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: firedrill sandbox start/);
    expect(r.stdout).toMatch(/--port N\s+ECS API port/);
    expect(r.stdout).toMatch(/--config FILE\s+Sandbox config YAML/);
    expect(r.stdout).toMatch(/--demo\s+Also deploy the demo service/);
  });

  it('an unknown command exits 2 with a one-line message', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('firedrill: unknown command "frobnicate". Run `firedrill --help` to see the commands.\n');
    noStackTrace(r.stderr);
  });

  it('a bad flag exits 2 and prints the usage', async () => {
    const r = await runCli(['sandbox', 'start', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^firedrill: Unknown option '--bogus'/);
    expect(r.stderr).toContain('Usage: firedrill sandbox start [--port N] [--config FILE] [--demo]');
    noStackTrace(r.stderr);
  });

  it('a config with a wrong field exits 2 naming file:line:column and the field', async () => {
    const file = join(tmp(), 'bad-field.yaml');
    writeFileSync(file, 'targetGroups:\n  - name: web\n    listenerPort: "abc"\n');
    const r = await runCli(['sandbox', 'start', '--port', '0', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    noStackTrace(r.stderr);
    const [message, ...others] = firedrillLines(r.stderr);
    expect(others).toEqual([]);
    expect(message).toMatch(new RegExp(`^firedrill: ${escape(file)}:3:19: targetGroups\\[0\\]\\.listenerPort: .*number`));
  });

  it('a config with a YAML syntax error exits 2 naming file:line:column', async () => {
    const file = join(tmp(), 'bad-syntax.yaml');
    writeFileSync(file, 'port: 4599\ntargetGroups:\n  - name: web: x\n');
    const r = await runCli(['sandbox', 'start', '--port', '0', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    noStackTrace(r.stderr);
    const [message, ...others] = firedrillLines(r.stderr);
    expect(others).toEqual([]);
    expect(message).toMatch(new RegExp(`^firedrill: ${escape(file)}:3:\\d+: .*[Nn]ested mappings`));
  });

  it('sandbox status against a port where nothing listens exits 2 and says to start the sandbox', async () => {
    const port = await closedPort();
    const r = await runCli(['sandbox', 'status', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    noStackTrace(r.stderr);
    expect(firedrillLines(r.stderr)).toEqual([
      `firedrill: cannot reach an ECS endpoint at http://127.0.0.1:${port}: nothing is listening there. Start the sandbox with \`firedrill sandbox start\`, or pass --endpoint.`,
    ]);
    // An operator should not wait through a long retry schedule to learn that.
    expect(r.ms).toBeLessThan(20_000);
  });
});

describe('firedrill sandbox start in the foreground', () => {
  it('--demo serves v1.0.0, shows in sandbox status, and SIGTERM stops every task process and port', async () => {
    const { file, dataDir } = writeConfig(tmp());
    const r = startCli(['sandbox', 'start', '--port', '0', '--config', file, '--demo']);
    await waitForOutput(r, 'demo service is steady');
    const started = parseStartOutput(r.stdout());
    expect(started.eventLog.startsWith(`${dataDir}/`)).toBe(true);
    taskPids.push(...containers(started.eventLog).map((c) => c.pid));
    expect(r.stdout()).toContain(`demo service is steady: open ${started.loadBalancer}/`);

    const response = await fetch(`${started.loadBalancer}/api/version`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { version: string }).version).toBe('v1.0.0');

    // Steady, but on a busy machine the scheduler may still be replacing a task: wait for the settled picture.
    const healthyTask = /^ {4}task [0-9a-f]{32} RUNNING health HEALTHY firedrill-demo:1 port \d+$/;
    const taskLinesOf = (stdout: string) => stdout.split('\n').filter((l) => /^ {4}task /.test(l));
    let lastStatus = '';
    const status = await waitFor(
      async () => {
        const out = await runCli(['sandbox', 'status', '--endpoint', started.endpoint]);
        expect(out.code, out.stderr).toBe(0);
        lastStatus = out.stdout;
        const taskLines = taskLinesOf(out.stdout);
        return taskLines.length === 2 && taskLines.every((l) => healthyTask.test(l)) ? out : undefined;
      },
      START_DEADLINE_MS,
      'sandbox status to show 2 RUNNING HEALTHY tasks',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last status:\n${lastStatus}`);
    });
    const lines = status.stdout.split('\n');
    expect(lines.some((l) => /^cluster firedrill \(ACTIVE\): 1 services, 2 running, 0 pending tasks$/.test(l)), status.stdout).toBe(true);
    expect(lines.some((l) => /^ {2}service demo \(ACTIVE\) firedrill-demo:1: running 2\/2, pending 0$/.test(l)), status.stdout).toBe(true);
    const deployments = lines.filter((l) => /^ {4}deployment /.test(l));
    expect(deployments, status.stdout).toHaveLength(1);
    // `failed` is not pinned: a busy machine can make the load balancer replace a slow-starting task.
    expect(deployments[0]).toMatch(/^ {4}deployment (ecs-svc\/\d{19}) PRIMARY COMPLETED firedrill-demo:1 running 2\/2 failed \d+: ECS deployment \1 completed\.$/);
    expect(taskLinesOf(status.stdout)).toHaveLength(2);

    await stopAndCheck(r, started, 'SIGTERM');
  });

  it('--demo whose deployment fails exits 3 with one message and leaves nothing running', async () => {
    const dir = tmp();
    const dataDir = join(dir, 'data');
    const file = join(dir, 'sandbox.yaml');
    // The demo image without the tag the demo service deploys: its tasks fail to pull and the breaker fails the deployment.
    writeFileSync(
      file,
      `targetGroups:\n  - name: demo-web\n    listenerPort: 0\ndataDir: ${JSON.stringify(dataDir)}\nimages:\n  firedrill/demo-app:\n    entryPoint: [node, -e, "setInterval(() => {}, 1000)"]\n    tags: [v0.0.1]\n`,
    );
    const r = startCli(['sandbox', 'start', '--port', '0', '--config', file, '--demo']);
    await waitForOutput(r, 'deploying the demo service');
    const started = parseStartOutput(r.stdout());
    // It exits by itself: a failed start must not leave the sandbox up behind an error message.
    const exit = await waitFor(() => r.exit, START_DEADLINE_MS + 30_000, 'firedrill to exit after the demo deployment failed');
    expect(exit, `stdout:\n${r.stdout()}\nstderr:\n${r.stderr()}`).toEqual({ code: 3, signal: null });
    noStackTrace(r.stderr());
    const [message, ...others] = firedrillLines(r.stderr());
    expect(others).toEqual([]);
    expect(message).toMatch(/^firedrill: the demo service did not reach a steady state: demo: deployment ecs-svc\/\d{19} FAILED \(ECS deployment circuit breaker: tasks failed to start\.\)/);
    expect(message).toContain(`The sandbox was stopped; what it did is in ${started.eventLog}`);
    expect(r.stdout()).not.toContain('demo service is steady');
    expect(await accepts(portOf(started.endpoint))).toBe(false);
    expect(await accepts(portOf(started.loadBalancer))).toBe(false);
    expect(readEventLog(started.eventLog).at(-1)?.kind).toBe('sandbox.stopped');
  });

  it('Ctrl-C (SIGINT) stops a service created through the SDK, its task processes and every port', async () => {
    const { file } = writeConfig(tmp());
    const r = startCli(['sandbox', 'start', '--port', '0', '--config', file]);
    await waitForOutput(r, 'Press Ctrl-C to stop.');
    expect(r.stdout()).not.toContain('deploying the demo service');
    const started = parseStartOutput(r.stdout());

    // The load balancer's target group ARN is in the ground-truth log; the SDK does the rest.
    const sandboxStarted = ofKind(readEventLog(started.eventLog), 'sandbox.started')[0];
    const targetGroupArn = sandboxStarted?.listeners.find((l) => l.name === 'demo-web')?.targetGroupArn;
    expect(targetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:/);
    const ecs = ecsClient({ endpoint: started.endpoint, region: 'us-east-1', agent: 'firedrill-test' });
    try {
      await deployDemoService(ecs, { cluster: 'drills', service: 'web', targetGroupArn: targetGroupArn!, tag: 'v1.1.0', desiredCount: 2 }, { timeoutMs: START_DEADLINE_MS });
    } finally {
      ecs.destroy();
    }
    taskPids.push(...containers(started.eventLog).map((c) => c.pid));
    const version = (await (await fetch(`${started.loadBalancer}/api/version`)).json()) as { version: string };
    expect(version.version).toBe('v1.1.0');

    await stopAndCheck(r, started, 'SIGINT');
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A loopback port nothing listens on: bound, then released. */
const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
