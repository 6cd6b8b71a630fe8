// A container health check as the ECS agent runs it (Docker's HEALTHCHECK semantics): a command
// run inside the container's environment every interval, HEALTHY on a success, UNHEALTHY after
// `retries` consecutive failures, failures ignored during the start period.

import { spawn } from 'node:child_process';
import type { ContainerHealthCheck, HealthStatus } from '../control/model.ts';
import { scaled, scaledTimeout, type TimingProfile } from '../control/timing.ts';

export interface HealthCheckOptions {
  check: ContainerHealthCheck;
  env: Record<string, string>;
  cwd?: string;
  timing: TimingProfile;
  onChange(health: HealthStatus): void;
}

// ECS's defaults, in ECS seconds.
const DEFAULT_INTERVAL = 30;
const DEFAULT_TIMEOUT = 5;
const DEFAULT_RETRIES = 3;

/** `["CMD", exe, ...args]` runs exe directly; `["CMD-SHELL", "string"]` runs it with /bin/sh. */
const healthCheckArgv = (command: string[]): string[] | undefined => {
  const [kind, ...rest] = command;
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length > 0) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
};

export class ContainerHealth {
  private current: HealthStatus = 'UNKNOWN';
  private failures = 0;
  private startedAt = 0;
  /** Docker ends the start period early at the first success. */
  private succeededOnce = false;
  private timer: NodeJS.Timeout | undefined;
  private running: { kill(): void; done: Promise<boolean> } | undefined;
  private stopped = false;

  constructor(private readonly options: HealthCheckOptions) {}

  /** Called once the container's process is up; the first check runs one interval later, as in Docker. */
  start(): void {
    this.startedAt = performance.now();
    this.schedule();
  }

  /** Resolves once a check that was running has exited too. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.running?.kill();
    await this.running?.done;
  }

  private ms(ecsSeconds: number | undefined, fallback: number): number {
    return scaled(this.options.timing, ecsSeconds ?? fallback);
  }

  private schedule(): void {
    if (this.stopped) return;
    // The next interval counts from the end of the previous check, so runs never overlap.
    this.timer = setTimeout(() => void this.runOnce(), this.ms(this.options.check.interval, DEFAULT_INTERVAL));
  }

  private async runOnce(): Promise<void> {
    this.running = this.probe();
    const passed = await this.running.done;
    this.running = undefined;
    if (this.stopped) return;
    const { startPeriod = 0, retries = DEFAULT_RETRIES } = this.options.check;
    const inStartPeriod =
      !this.succeededOnce && startPeriod > 0 && performance.now() - this.startedAt < scaled(this.options.timing, startPeriod);
    if (passed) {
      this.succeededOnce = true;
      this.failures = 0;
      this.set('HEALTHY');
    } else if (!inStartPeriod) {
      this.failures++;
      if (this.failures >= retries) this.set('UNHEALTHY');
    }
    this.schedule();
  }

  private set(health: HealthStatus): void {
    if (health === this.current) return;
    this.current = health;
    this.options.onChange(health);
  }

  /** One run of the check command: done resolves true when it exits 0 within the timeout. */
  private probe(): { done: Promise<boolean>; kill(): void } {
    const [exe, ...args] = healthCheckArgv(this.options.check.command) ?? [];
    if (exe === undefined) return { done: Promise.resolve(false), kill: () => {} };
    // Its own process group, so a timed-out CMD-SHELL check takes its children with it.
    const child = spawn(exe, args, { env: this.options.env, cwd: this.options.cwd, detached: true, stdio: 'ignore' });
    const kill = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already empty.
      }
    };
    const done = new Promise<boolean>((resolve) => {
      const timeout = setTimeout(kill, scaledTimeout(this.options.timing, this.options.check.timeout ?? DEFAULT_TIMEOUT));
      const finish = (passed: boolean): void => {
        clearTimeout(timeout);
        resolve(passed);
      };
      // A command that cannot be started is a failed check, as in Docker.
      child.once('error', () => finish(false));
      child.once('exit', (code) => {
        kill(); // Whatever the check left behind.
        finish(code === 0);
      });
    });
    return { done, kill };
  }
}
