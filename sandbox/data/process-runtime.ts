// Tasks as real local processes: each container of a task is a child process in its own
// process group, so stopping a container takes everything it started with it, as a container's
// PID namespace would. The sandbox stands in for awsvpc, where each task has its own IP, by
// translating container ports to loopback host ports.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { constants, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ImageConfig } from '../types/config.ts';
import { stoppedReason } from '../control/messages.ts';
import type { ContainerDefinition, ContainerHealthCheck, NetworkBinding } from '../control/model.ts';
import type { Clock, ContainerRuntimeState, EventSink, TaskLaunchSpec, TaskRuntime, TaskRuntimeStatus } from '../control/ports.ts';
import { scaled, type TimingProfile } from '../control/timing.ts';
import { ContainerHealth } from './container-health.ts';
import { resolveImage } from './images.ts';
import { freePorts } from './port-allocator.ts';

export interface ProcessRuntimeOptions {
  images: Record<string, ImageConfig>;
  /** valueFrom (ARN or name) -> value. */
  secrets: Record<string, string>;
  timing: TimingProfile;
  clock: Clock;
  events: EventSink;
  /** Each task logs to `<logDir>/<taskId>.log`, every line prefixed with its container's name. */
  logDir: string;
}

/** Real milliseconds between SIGTERM and SIGKILL when the whole runtime shuts down. */
const SHUTDOWN_GRACE_MS = 1000;
const MEMORY_SAMPLE_MS = 100;
const OOM_EXIT_CODE = 137;
/** What a shell reports for a command it cannot execute. */
const CANNOT_EXEC_EXIT_CODE = 127;

interface Container {
  def: ContainerDefinition;
  essential: boolean;
  /** Shared with the task's status, so status() only has to copy. */
  state: ContainerRuntimeState;
  child?: ChildProcess;
  /** Set when stdout and stderr are drained and the process is reaped. */
  closed: boolean;
  health?: ContainerHealth;
  memoryTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  /** Set when the runtime itself kills the container and knows better than the signal why. */
  killedFor?: { exitCode: number; reason: string };
}

interface Task {
  spec: TaskLaunchSpec;
  status: TaskRuntimeStatus;
  containers: Container[];
  stopRequested: boolean;
  pullTimer?: NodeJS.Timeout;
  log?: WriteStream;
}

/** How one container will run, decided before anything is spawned. */
interface LaunchPlan {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  bindings: NetworkBinding[];
}

type Prepared = { ok: true; plans: LaunchPlan[] } | { ok: false; reason: string };

export class ProcessRuntime implements TaskRuntime {
  private readonly tasks = new Map<string, Task>();
  /** Everything shutdown() must wait for: start-ups, process lifetimes, log files closing. */
  private readonly pending = new Set<Promise<unknown>>();
  private shutDown = false;

  constructor(private readonly options: ProcessRuntimeOptions) {}

  launch(spec: TaskLaunchSpec): void {
    if (this.shutDown) throw new Error('ProcessRuntime is shut down');
    if (this.tasks.has(spec.taskArn)) throw new Error(`task ${spec.taskArn} was already launched`);
    const containers: Container[] = spec.taskDefinition.containerDefinitions.map((def) => ({
      def,
      essential: def.essential ?? true,
      state: { name: def.name, state: 'pending', health: 'UNKNOWN', networkBindings: [] },
      closed: false,
    }));
    const task: Task = {
      spec,
      status: { phase: 'pulling', pullStartedAt: this.options.clock.now(), containers: containers.map((c) => c.state) },
      containers,
      stopRequested: false,
    };
    this.tasks.set(spec.taskArn, task);
    const { timing } = this.options;
    task.pullTimer = setTimeout(() => {
      task.pullTimer = undefined;
      this.track(this.start(task));
    }, scaled(timing, timing.provisionSeconds));
  }

  status(taskArn: string): TaskRuntimeStatus | undefined {
    const task = this.tasks.get(taskArn);
    return task && structuredClone(task.status);
  }

  stop(taskArn: string, graceMs: number): void {
    const task = this.tasks.get(taskArn);
    if (!task || task.stopRequested) return;
    this.terminate(task, (c) => (c.def.stopTimeout === undefined ? graceMs : scaled(this.options.timing, c.def.stopTimeout)));
  }

  forget(taskArn: string): void {
    const task = this.tasks.get(taskArn);
    if (!task) return;
    // Forgetting a task that still runs would orphan its processes.
    this.terminate(task, () => 0);
    this.tasks.delete(taskArn);
  }

  async shutdown(): Promise<void> {
    this.shutDown = true;
    for (const task of this.tasks.values()) this.terminate(task, () => SHUTDOWN_GRACE_MS);
    // Exits can start more work (closing log files), so wait until nothing new appears.
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(work: Promise<unknown>): void {
    const settled = work
      .catch((err: unknown) => this.options.events.emit({ kind: 'runtime.error', error: err instanceof Error ? err.message : String(err) }))
      .finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  /** SIGTERM every live container, SIGKILL after its grace; a shorter grace replaces a longer one. */
  private terminate(task: Task, graceFor: (c: Container) => number): void {
    task.stopRequested = true;
    clearTimeout(task.pullTimer);
    task.pullTimer = undefined;
    const live = task.containers.filter((c) => c.child?.pid !== undefined && c.state.state !== 'exited');
    if (live.length === 0) {
      task.status.phase = 'stopped';
      return;
    }
    for (const c of live) {
      if (c.health) this.track(c.health.stop());
      clearTimeout(c.killTimer);
      signalGroup(c, 'SIGTERM');
      c.killTimer = setTimeout(() => signalGroup(c, 'SIGKILL'), graceFor(c));
    }
  }

  private async start(task: Task): Promise<void> {
    task.status.pullStoppedAt = this.options.clock.now();
    const prepared = await this.prepare(task).catch(
      (err: Error): Prepared => ({ ok: false, reason: `CannotStartContainerError: ${err.message}` }),
    );
    if (task.stopRequested) {
      task.status.phase = 'stopped';
      return;
    }
    if (!prepared.ok) {
      task.status.phase = 'failed';
      task.status.failure = { stopCode: 'TaskFailedToStart', reason: prepared.reason };
      this.options.events.emit({ kind: 'task.pull_failed', taskArn: task.spec.taskArn, reason: prepared.reason });
      return;
    }
    const log = createWriteStream(join(this.options.logDir, `${task.spec.taskId}.log`), { flags: 'a' });
    log.on('error', (err) => this.options.events.emit({ kind: 'task.log_failed', taskArn: task.spec.taskArn, error: err.message }));
    task.log = log;
    task.status.phase = 'starting';
    task.containers.forEach((c, i) => {
      const plan = prepared.plans[i];
      if (plan) this.spawnContainer(task, c, plan);
    });
  }

  /** Resolves secrets and images and picks host ports: everything that can fail before a process runs. */
  private async prepare(task: Task): Promise<Prepared> {
    const defs = task.containers.map((c) => c.def);
    // ECS fetches secrets and registry auth before it pulls, so a missing secret wins.
    const secretEnvs: Record<string, string>[] = [];
    for (const def of defs) {
      const resolved = this.resolveSecrets(def);
      if (!resolved.ok) return resolved;
      secretEnvs.push(resolved.env);
    }
    const drafts: (LaunchPlan & { containerPorts: number[]; unmappedPort: boolean })[] = [];
    for (const [i, def] of defs.entries()) {
      const resolved = resolveImage(def.image, this.options.images);
      if (!resolved.ok) return resolved;
      const { image, tag } = resolved;
      const env: Record<string, string> = {
        ...baseEnv(image),
        ...image.environment,
        APP_VERSION: tag,
        ...Object.fromEntries((def.environment ?? []).map((kv) => [kv.name, kv.value])),
        ...secretEnvs[i],
      };
      const containerPorts = (def.portMappings ?? []).map((m) => m.containerPort);
      // A PORT the container does not map gets a host port nothing routes to: the "wrong container port" release.
      const unmappedPort = env.PORT !== undefined && !containerPorts.some((p) => String(p) === env.PORT);
      drafts.push({ argv: containerArgv(def, image), env, cwd: image.workingDirectory, bindings: [], containerPorts, unmappedPort });
    }

    const hostPorts = await freePorts(drafts.reduce((n, d) => n + d.containerPorts.length + (d.unmappedPort ? 1 : 0), 0));
    const nextPort = (): number => hostPorts.shift() as number;
    await mkdir(this.options.logDir, { recursive: true });

    const plans = drafts.map(({ containerPorts, unmappedPort, ...plan }): LaunchPlan => {
      plan.bindings = containerPorts.map((containerPort) => ({ bindIP: '127.0.0.1', containerPort, hostPort: nextPort(), protocol: 'tcp' }));
      const port = unmappedPort
        ? nextPort()
        : (plan.bindings.find((b) => String(b.containerPort) === plan.env.PORT) ?? plan.bindings[0])?.hostPort;
      if (port !== undefined) plan.env.PORT = String(port);
      return plan;
    });
    return { ok: true, plans };
  }

  private resolveSecrets(def: ContainerDefinition): { ok: true; env: Record<string, string> } | { ok: false; reason: string } {
    const env: Record<string, string> = {};
    for (const secret of def.secrets ?? []) {
      const key = secretKeys(secret.valueFrom).find((k) => Object.hasOwn(this.options.secrets, k));
      if (key === undefined) return { ok: false, reason: stoppedReason.secretsUnavailable(secretFailure(secret.valueFrom)) };
      env[secret.name] = this.options.secrets[key] as string;
    }
    return { ok: true, env };
  }

  private spawnContainer(task: Task, c: Container, plan: LaunchPlan): void {
    c.state.networkBindings = plan.bindings;
    const [command, ...args] = plan.argv;
    if (command === undefined) {
      this.onExit(task, c, { reason: 'CannotCreateContainerError: Error response from daemon: No command specified' });
      this.markClosed(task, c);
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(command === 'node' ? process.execPath : command, args, {
        cwd: plan.cwd,
        env: plan.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // spawn() throws synchronously on arguments the OS cannot take, e.g. a NUL byte in the environment.
      this.onExit(task, c, { exitCode: CANNOT_EXEC_EXIT_CODE, reason: cannotStart(command, err as NodeJS.ErrnoException) });
      this.markClosed(task, c);
      return;
    }
    c.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => task.log?.write(`${c.def.name} | ${line}\n`));
    }

    child.once('spawn', () => {
      c.state.state = 'running';
      this.options.events.emit({
        kind: 'container.started',
        taskArn: task.spec.taskArn,
        container: c.def.name,
        pid: child.pid,
        hostPorts: plan.bindings.map((b) => b.hostPort),
      });
      if (c.def.healthCheck && !task.stopRequested) this.startHealthCheck(task, c, c.def.healthCheck, plan);
      if (c.def.memory !== undefined) this.watchMemory(c, c.def.memory);
      this.settle(task);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      // Only a failed spawn matters; errors from signalling a process that is gone do not.
      if (child.pid === undefined) this.onExit(task, c, { exitCode: CANNOT_EXEC_EXIT_CODE, reason: cannotStart(command, err) });
    });
    child.once('exit', (code, signal) => {
      const exitCode = code ?? (signal ? 128 + constants.signals[signal] : undefined);
      this.onExit(task, c, { ...(exitCode !== undefined && { exitCode }), signal });
    });
    this.track(
      new Promise<void>((resolve) =>
        child.once('close', () => {
          this.markClosed(task, c);
          resolve();
        }),
      ),
    );
  }

  private startHealthCheck(task: Task, c: Container, check: ContainerHealthCheck, plan: LaunchPlan): void {
    c.health = new ContainerHealth({
      check,
      env: plan.env,
      cwd: plan.cwd,
      timing: this.options.timing,
      onChange: (health) => {
        c.state.health = health;
        this.options.events.emit({ kind: 'container.health', taskArn: task.spec.taskArn, container: c.def.name, health });
      },
    });
    c.health.start();
  }

  /** Stands in for the cgroup memory limit: above `memory` MiB the container is killed, as the kernel's OOM killer would. */
  private watchMemory(c: Container, limitMiB: number): void {
    const pid = c.child?.pid;
    if (pid === undefined) return;
    const sample = async (): Promise<void> => {
      const kb = await rssKb(pid);
      if (c.state.state === 'exited') return;
      if (kb > limitMiB * 1024) {
        c.killedFor = { exitCode: OOM_EXIT_CODE, reason: stoppedReason.outOfMemory() };
        signalGroup(c, 'SIGKILL');
        return;
      }
      c.memoryTimer = setTimeout(() => void sample(), MEMORY_SAMPLE_MS);
    };
    c.memoryTimer = setTimeout(() => void sample(), MEMORY_SAMPLE_MS);
  }

  private onExit(task: Task, c: Container, how: { exitCode?: number; signal?: NodeJS.Signals | null; reason?: string }): void {
    if (c.state.state === 'exited') return;
    // When a container's main process ends its PID namespace goes with it: so does its group here.
    signalGroup(c, 'SIGKILL');
    clearTimeout(c.killTimer);
    clearTimeout(c.memoryTimer);
    if (c.health) this.track(c.health.stop());

    const exitCode = c.killedFor?.exitCode ?? how.exitCode;
    const reason = c.killedFor?.reason ?? how.reason;
    c.state.state = 'exited';
    if (exitCode !== undefined) c.state.exitCode = exitCode;
    if (reason !== undefined) c.state.reason = reason;
    this.options.events.emit({
      kind: 'container.exited',
      taskArn: task.spec.taskArn,
      container: c.def.name,
      exitCode,
      signal: how.signal ?? null,
      reason,
    });

    if (!task.stopRequested && c.essential && task.status.phase !== 'exited') {
      task.status.phase = 'exited';
      task.status.exited = {
        container: c.def.name,
        ...(exitCode !== undefined && { exitCode }),
        ...(reason !== undefined && { reason }),
      };
    }
    this.settle(task);
  }

  private settle(task: Task): void {
    const { status, containers } = task;
    if (task.stopRequested) {
      if (containers.every((c) => c.state.state === 'exited')) status.phase = 'stopped';
    } else if (status.phase === 'starting' && containers.every((c) => c.state.state !== 'pending')) {
      status.phase = 'running';
    }
  }

  /** The task's log file is closed once every container's output is drained. */
  private markClosed(task: Task, c: Container): void {
    c.closed = true;
    const log = task.log;
    if (!log || !task.containers.every((other) => other.closed)) return;
    task.log = undefined;
    this.track(new Promise<void>((resolve) => log.end(resolve)));
  }
}

/** Like Docker: a task definition's entryPoint replaces the image's and drops its default command too. */
const containerArgv = (def: ContainerDefinition, image: ImageConfig): string[] =>
  def.entryPoint ? [...def.entryPoint, ...(def.command ?? [])] : [...image.entryPoint, ...(def.command ?? image.command)];

/** What a container starts with before the image's and the task definition's environment. */
const baseEnv = (image: ImageConfig): Record<string, string> => ({
  // The node running the sandbox is the image's node, so `#!/usr/bin/env node` scripts work.
  PATH: [image.binDir, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].filter(Boolean).join(':'),
  HOME: homedir(),
  LANG: 'C.UTF-8',
});

/** Keys a valueFrom may be configured under: as written, or the name inside its ARN. */
const secretKeys = (valueFrom: string): string[] => {
  if (!valueFrom.startsWith('arn:')) return [valueFrom];
  const secret = valueFrom.indexOf(':secret:');
  if (secret !== -1) return [valueFrom, valueFrom.slice(secret + ':secret:'.length)];
  const parameter = valueFrom.indexOf(':parameter/');
  if (parameter !== -1) {
    // SSM drops a hierarchical name's leading slash in its ARN.
    const name = valueFrom.slice(parameter + ':parameter/'.length);
    return [valueFrom, name, `/${name}`];
  }
  return [valueFrom];
};

/** The agent's wording for a secret it cannot fetch; it names the secret, never a value. */
const secretFailure = (valueFrom: string): string =>
  valueFrom.includes(':secretsmanager:')
    ? `execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): ` +
      `failed to fetch secret ${valueFrom} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.`
    : `execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): ` +
      `invalid parameters: ${valueFrom}`;

const cannotStart = (command: string, err: NodeJS.ErrnoException): string => {
  const why =
    err.code === 'ENOENT' ? 'executable file not found in $PATH' : err.code === 'EACCES' ? 'permission denied' : err.message;
  return (
    'CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: ' +
    `failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${command}": ${why}: unknown`
  );
};

const signalGroup = (c: Container, signal: NodeJS.Signals): void => {
  const pid = c.child?.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already empty.
  }
};

/** Resident memory of a process and its descendants, in kB; 0 once it is gone. */
const rssKb = async (pid: number): Promise<number> => {
  const [status, children] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''),
  ]);
  const own = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const descendants = await Promise.all(children.split(' ').filter(Boolean).map((child) => rssKb(Number(child))));
  return descendants.reduce((sum, kb) => sum + kb, own);
};
