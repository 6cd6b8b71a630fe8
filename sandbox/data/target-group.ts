// One target group as ELBv2 runs it: each target's state (initial, healthy, unhealthy,
// draining), its health checks, its deregistration delay, and the round-robin choice among
// the healthy targets, which are the only ones that receive traffic.

import http from 'node:http';
import type { Millis } from '../control/model.ts';
import type { Clock, EventSink, TargetHealth, TargetInfo, TargetState } from '../control/ports.ts';
import { scaled, scaledTimeout, type TimingProfile } from '../control/timing.ts';
import type { TargetGroupConfig } from '../types/config.ts';
import { checkTarget, parseMatcher, type CheckResult, type StatusMatcher } from './health-check.ts';

/** Where the proxy sends one request. */
export interface Upstream {
  id: string;
  port: number;
  agent: http.Agent;
}

export interface TargetDescription {
  id: string;
  port: number;
  taskDefinitionArn: string;
  state: TargetState;
  reason?: string;
  description?: string;
  /** When the target entered its current state. */
  since: Millis;
}

interface Target extends Upstream {
  info: TargetInfo;
  health: TargetHealth;
  since: Millis;
  successes: number;
  failures: number;
  /** The next health check, or the end of the deregistration delay while draining. */
  timer?: NodeJS.Timeout;
  check?: AbortController;
}

export interface TargetGroupDeps {
  timing: TimingProfile;
  clock: Clock;
  events: EventSink;
}

// Idle pooled sockets close after this, or sooner when the target's Keep-Alive hint says so
// (Node closes a second before the hint), so a pooled socket is not reused just as the
// target's server drops it. Below Node's own 5 s server keep-alive timeout.
const IDLE_UPSTREAM_SOCKET_MS = 4_000;

const registering: TargetHealth = {
  state: 'initial',
  reason: 'Elb.RegistrationInProgress',
  description: 'Target registration is in progress',
};
const deregistering: TargetHealth = {
  state: 'draining',
  reason: 'Target.DeregistrationInProgress',
  description: 'Target deregistration is in progress',
};
const notRegistered: TargetHealth = {
  state: 'unused',
  reason: 'Target.NotRegistered',
  description: 'Target is not registered to the target group',
};

export class TargetGroup {
  readonly name: string;
  private readonly targets = new Map<string, Target>();
  private readonly matches: StatusMatcher;
  private serving: Target[] = [];
  private cursor = 0;
  private closed = false;

  constructor(
    private readonly config: TargetGroupConfig,
    private readonly deps: TargetGroupDeps,
  ) {
    this.name = config.name;
    this.matches = parseMatcher(config.healthCheck.matcher);
  }

  register(info: TargetInfo): void {
    if (this.closed || this.targets.has(info.id)) return;
    const target: Target = {
      id: info.id,
      port: info.port,
      // A pool per target: when the deregistration delay ends, destroying it closes the
      // target's remaining connections as ELB does, and a later target that gets the same
      // port can never be handed a socket that belonged to this one.
      agent: new http.Agent({ keepAlive: true, timeout: IDLE_UPSTREAM_SOCKET_MS }),
      info,
      health: registering,
      since: this.deps.clock.now(),
      successes: 0,
      failures: 0,
    };
    this.targets.set(info.id, target);
    this.deps.events.emit({
      kind: 'target.registered',
      targetGroup: this.name,
      target: info.id,
      port: info.port,
      taskDefinitionArn: info.taskDefinitionArn,
    });
    this.emitHealthChange(info.id, 'unused', registering);
    void this.runCheck(target);
  }

  deregister(id: string): void {
    const target = this.targets.get(id);
    if (!target || target.health.state === 'draining') return;
    this.stopTimers(target);
    this.setHealth(target, deregistering);
    this.deps.events.emit({ kind: 'target.draining', targetGroup: this.name, target: id });
    // ELB keeps the target draining for the whole delay even when it has nothing in flight.
    target.timer = setTimeout(() => this.remove(target), scaled(this.deps.timing, this.config.deregistrationDelaySeconds));
  }

  health(id: string): TargetHealth {
    return this.targets.get(id)?.health ?? notRegistered;
  }

  describe(): TargetDescription[] {
    return [...this.targets.values()].map((t) => ({
      id: t.id,
      port: t.port,
      taskDefinitionArn: t.info.taskDefinitionArn,
      ...t.health,
      since: t.since,
    }));
  }

  /** The next healthy target in round-robin order, or undefined when none is healthy. */
  pick(): Upstream | undefined {
    if (this.serving.length === 0) return undefined;
    const index = this.cursor % this.serving.length;
    this.cursor = index + 1;
    return this.serving[index];
  }

  shutdown(): void {
    this.closed = true;
    for (const target of this.targets.values()) {
      this.stopTimers(target);
      target.agent.destroy();
    }
    this.targets.clear();
    this.serving = [];
  }

  private async runCheck(target: Target): Promise<void> {
    const check = new AbortController();
    target.check = check;
    const hc = this.config.healthCheck;
    const result = await checkTarget({
      port: target.port,
      path: hc.path,
      timeoutMs: scaledTimeout(this.deps.timing, hc.timeoutSeconds),
      matches: this.matches,
      signal: check.signal,
    });
    // Deregistered or shut down while the check ran: its result no longer applies.
    if (check.signal.aborted) return;
    target.check = undefined;
    this.applyCheck(target, result);
    // A full interval after each check ends, so a slow target is never checked back to back.
    target.timer = setTimeout(() => void this.runCheck(target), scaled(this.deps.timing, hc.intervalSeconds));
  }

  private applyCheck(target: Target, result: CheckResult): void {
    const hc = this.config.healthCheck;
    if (result.ok) {
      target.failures = 0;
      target.successes += 1;
      if (target.health.state !== 'healthy' && target.successes >= hc.healthyThreshold) {
        this.setHealth(target, { state: 'healthy' });
      }
      return;
    }
    target.successes = 0;
    target.failures += 1;
    const unhealthy: TargetHealth = { state: 'unhealthy', reason: result.reason, description: result.description };
    if (target.health.state === 'unhealthy') {
      // Still unhealthy: ELB reports the latest failure's reason without a state change.
      target.health = unhealthy;
    } else if (target.failures >= hc.unhealthyThreshold) {
      this.setHealth(target, unhealthy);
    }
  }

  private remove(target: Target): void {
    target.timer = undefined;
    target.agent.destroy();
    this.targets.delete(target.id);
    this.emitHealthChange(target.id, target.health.state, notRegistered);
    this.deps.events.emit({ kind: 'target.deregistered', targetGroup: this.name, target: target.id });
  }

  private setHealth(target: Target, health: TargetHealth): void {
    const from = target.health.state;
    target.health = health;
    target.since = this.deps.clock.now();
    this.emitHealthChange(target.id, from, health);
    this.refreshServing();
  }

  private emitHealthChange(id: string, from: TargetState, to: TargetHealth): void {
    this.deps.events.emit({ kind: 'target.health', targetGroup: this.name, target: id, from, to: to.state, reason: to.reason });
  }

  private refreshServing(): void {
    const serving = [...this.targets.values()].filter((t) => t.health.state === 'healthy');
    const unchanged = serving.length === this.serving.length && serving.every((t, i) => t === this.serving[i]);
    this.serving = serving;
    if (unchanged) return;
    this.deps.events.emit({
      kind: 'traffic.switch',
      targetGroup: this.name,
      healthyTargets: serving.map((t) => ({ target: t.id, taskDefinitionArn: t.info.taskDefinitionArn })),
    });
  }

  private stopTimers(target: Target): void {
    clearTimeout(target.timer);
    target.timer = undefined;
    target.check?.abort();
    target.check = undefined;
  }
}
