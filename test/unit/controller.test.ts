// The sandbox's deployment controller, in process, through its ports (sandbox/control/ports.ts):
// a clock the test advances by hand, a runtime that only records what it was asked and reports
// what the test says (started, failed to start, exited, healthy or not), and a load balancer
// that records registrations and reports the target health the test sets. No processes, no
// sockets, no timers: every tick is a controller.tick() call, so every state is exact.
//
// The timing profile is scale 1 with no floor, so one ECS second is 1000 ms of the manual clock.

import { beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../sandbox/control/controller.ts';
import type { ContainerDefinition, Deployment, HealthStatus, Task } from '../../sandbox/control/model.ts';
import type { AlarmSnapshot, AlarmStates, Balancer, Clock, TargetHealth, TargetInfo, TaskLaunchSpec, TaskRuntime, TaskRuntimeStatus } from '../../sandbox/control/ports.ts';
import { SandboxState, type CreateServiceInput } from '../../sandbox/control/state.ts';
import { defaultTiming, type TimingProfile } from '../../sandbox/control/timing.ts';
import { ofKind, type SandboxEventBody } from '../../sandbox/control/events.ts';
import { SequentialIds } from '../support/ids.ts';

const SECOND = 1000;
const timing: TimingProfile = { ...defaultTiming, scale: 1, minimumMs: 0 };
const CLUSTER = 'drill';
const SERVICE = 'web';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef';
const CONTAINER_PORT = 8080;

// ---- the ports

class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Does nothing by itself: a task stays as launched until the test moves it on. */
class FakeRuntime implements TaskRuntime {
  readonly launched: TaskLaunchSpec[] = [];
  readonly stopped: Array<{ taskArn: string; graceMs: number }> = [];
  readonly forgotten: string[] = [];
  private readonly tasks = new Map<string, TaskRuntimeStatus>();
  private nextHostPort = 32768;

  launch(spec: TaskLaunchSpec): void {
    this.launched.push(spec);
    this.tasks.set(spec.taskArn, {
      phase: 'pulling',
      containers: spec.taskDefinition.containerDefinitions.map((c) => ({ name: c.name, state: 'pending', health: 'UNKNOWN', networkBindings: [] })),
    });
  }

  status(taskArn: string): TaskRuntimeStatus | undefined {
    const s = this.tasks.get(taskArn);
    // A snapshot, as a real runtime's report is: the controller must not see later changes through it.
    return s && structuredClone(s);
  }

  stop(taskArn: string, graceMs: number): void {
    this.stopped.push({ taskArn, graceMs });
    const s = this.known(taskArn);
    // Every container goes at once on SIGTERM; the ones that were running exit 0.
    for (const c of s.containers) {
      if (c.state === 'running') c.exitCode = 0;
      c.state = 'exited';
    }
    s.phase = 'stopped';
  }

  forget(taskArn: string): void {
    this.forgotten.push(taskArn);
    this.tasks.delete(taskArn);
  }

  async shutdown(): Promise<void> {}

  // ---- what the test makes happen

  /** Every container up, each port mapping bound to a host port of its own. */
  start(taskArn: string): void {
    const s = this.known(taskArn);
    const spec = this.launched.find((l) => l.taskArn === taskArn)!;
    s.phase = 'running';
    for (const c of s.containers) {
      c.state = 'running';
      const def = spec.taskDefinition.containerDefinitions.find((d) => d.name === c.name)!;
      c.networkBindings = (def.portMappings ?? []).map((p) => ({ bindIP: '127.0.0.1', containerPort: p.containerPort, hostPort: this.nextHostPort++, protocol: 'tcp' }));
    }
  }

  failToStart(taskArn: string, reason: string): void {
    const s = this.known(taskArn);
    s.phase = 'failed';
    s.failure = { stopCode: 'TaskFailedToStart', reason };
  }

  exit(taskArn: string, container: string, exitCode: number): void {
    const s = this.known(taskArn);
    const c = s.containers.find((x) => x.name === container)!;
    c.state = 'exited';
    c.exitCode = exitCode;
    s.phase = 'exited';
    s.exited = { container, exitCode };
  }

  setHealth(taskArn: string, container: string, health: HealthStatus): void {
    this.known(taskArn).containers.find((c) => c.name === container)!.health = health;
  }

  hostPort(taskArn: string): number {
    return this.known(taskArn).containers[0]!.networkBindings[0]!.hostPort;
  }

  has(taskArn: string): boolean {
    return this.tasks.has(taskArn);
  }

  private known(taskArn: string): TaskRuntimeStatus {
    const s = this.tasks.get(taskArn);
    if (!s) throw new Error(`the runtime does not know ${taskArn}`);
    return s;
  }
}

/** ELB's target states, driven by the test; a deregistered target drains for the delay, then is unused. */
class FakeBalancer implements Balancer {
  readonly registered: Array<{ targetGroupArn: string; target: TargetInfo; at: number }> = [];
  readonly deregistered: Array<{ targetGroupArn: string; targetId: string; at: number }> = [];
  private readonly targets = new Map<string, TargetHealth & { drainingSince?: number }>();

  constructor(
    private readonly clock: Clock,
    readonly deregistrationDelayMs: number,
  ) {}

  register(targetGroupArn: string, target: TargetInfo): void {
    this.registered.push({ targetGroupArn, target, at: this.clock.now() });
    const key = `${targetGroupArn} ${target.id}`;
    if (!this.targets.has(key)) this.targets.set(key, { state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' });
  }

  deregister(targetGroupArn: string, targetId: string): void {
    this.deregistered.push({ targetGroupArn, targetId, at: this.clock.now() });
    const key = `${targetGroupArn} ${targetId}`;
    if (this.targets.get(key)?.state === 'draining') return;
    this.targets.set(key, { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress', drainingSince: this.clock.now() });
  }

  health(targetGroupArn: string, targetId: string): TargetHealth {
    const t = this.targets.get(`${targetGroupArn} ${targetId}`);
    if (!t || (t.drainingSince !== undefined && this.clock.now() - t.drainingSince >= this.deregistrationDelayMs)) {
      return { state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' };
    }
    const { drainingSince: _, ...health } = t;
    return health;
  }

  async shutdown(): Promise<void> {}

  // ---- what the test makes happen

  set(targetGroupArn: string, targetId: string, health: TargetHealth): void {
    const key = `${targetGroupArn} ${targetId}`;
    if (!this.targets.has(key)) throw new Error(`${targetId} is not registered in ${targetGroupArn}`);
    this.targets.set(key, health);
  }
}

/** CloudWatch's alarms as the test sets them; a state change is stamped with the clock, as CloudWatch stamps it. */
class FakeAlarms implements AlarmStates {
  private readonly alarms = new Map<string, AlarmSnapshot>();
  constructor(private readonly clock: Clock) {}
  alarm(name: string): AlarmSnapshot | undefined {
    const a = this.alarms.get(name);
    return a && { ...a };
  }
  set(name: string, state: AlarmSnapshot['state'], shape: { periodSeconds?: number; evaluationPeriods?: number } = {}): void {
    const old = this.alarms.get(name);
    this.alarms.set(name, {
      name,
      arn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${name}`,
      state,
      reason: `set to ${state} by the test`,
      updatedAt: old?.state === state ? old.updatedAt : this.clock.now(),
      periodSeconds: shape.periodSeconds ?? old?.periodSeconds ?? 60,
      evaluationPeriods: shape.evaluationPeriods ?? old?.evaluationPeriods ?? 1,
    });
  }
}

// ---- a world: state, controller and fakes, with a service on revision 1

interface WorldOptions {
  desiredCount?: number;
  deploymentConfiguration?: CreateServiceInput['deploymentConfiguration'];
  healthCheckGracePeriodSeconds?: number;
  deregistrationDelaySeconds?: number;
  /** Container definition overrides for every revision. */
  container?: Partial<ContainerDefinition>;
}

const world = (options: WorldOptions = {}) => {
  const clock = new ManualClock();
  const runtime = new FakeRuntime();
  const balancer = new FakeBalancer(clock, (options.deregistrationDelaySeconds ?? 0) * SECOND);
  const events: SandboxEventBody[] = [];
  const state = new SandboxState({ region: 'us-east-1', accountId: '000000000000' }, clock, new SequentialIds());
  const alarms = new FakeAlarms(clock);
  const controller = new Controller({ state, runtime, balancer, clock, events: { emit: (e) => events.push(e) }, timing, alarms });

  state.createCluster(CLUSTER);
  const register = (image: string) =>
    state.registerTaskDefinition({
      family: 'web',
      containerDefinitions: [{ name: 'web', image, memory: 128, portMappings: [{ containerPort: CONTAINER_PORT }], ...options.container }],
    }).taskDefinitionArn;
  const v1 = register('acme/web:v1');
  const service = state.createService(CLUSTER, {
    serviceName: SERVICE,
    taskDefinition: v1,
    desiredCount: options.desiredCount ?? 2,
    deploymentConfiguration: options.deploymentConfiguration ?? { deploymentCircuitBreaker: { enable: true, rollback: true } },
    loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: CONTAINER_PORT }],
    ...(options.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: options.healthCheckGracePeriodSeconds } : {}),
  });

  const tick = (ms = 0) => {
    clock.advance(ms);
    controller.tick();
  };
  const tasksOf = (deploymentId: string): Task[] => [...state.tasks.values()].filter((t) => t.deploymentId === deploymentId);
  const live = (deploymentId?: string): Task[] => [...state.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED' && (deploymentId === undefined || t.deploymentId === deploymentId));
  const deployment = (id: string): Deployment | undefined => service.deployments.find((d) => d.id === id);
  /** The service's event messages, newest first, as DescribeServices lists them. */
  const messages = (): string[] => service.events.map((e) => e.message);
  const update = (image: string): { arn: string; id: string } => {
    const arn = register(image);
    state.updateService(CLUSTER, SERVICE, { taskDefinition: arn });
    return { arn, id: service.deployments[0]!.id };
  };
  /** Starts every task still pulling and marks every target that is registering healthy, then ticks. */
  const settle = (ms = 0) => {
    for (const t of live()) {
      if (t.desiredStatus === 'STOPPED') continue;
      if (t.lastStatus === 'PENDING' && runtime.status(t.taskArn)?.phase === 'pulling') runtime.start(t.taskArn);
      if (t.lastStatus === 'RUNNING' && balancer.health(TG, t.taskArn).state === 'initial') balancer.set(TG, t.taskArn, { state: 'healthy' });
    }
    tick(ms);
  };
  /** The first deployment, steady: its tasks running, healthy and registered; COMPLETED. */
  const steadyBaseline = (): string => {
    const id = service.deployments[0]!.id;
    for (let i = 0; i < 10 && deployment(id)?.rolloutState !== 'COMPLETED'; i++) settle();
    expect(deployment(id)?.rolloutState).toBe('COMPLETED');
    return id;
  };
  return { clock, runtime, balancer, alarms, events, state, controller, service, v1, tick, tasksOf, live, deployment, messages, update, settle, steadyBaseline };
};

const summary = (d: Deployment | undefined) => d && { id: d.id, status: d.status, rolloutState: d.rolloutState, rolloutStateReason: d.rolloutStateReason, failedTasks: d.failedTasks, desiredCount: d.desiredCount };
/**
 * Makes one of the deployment's pending tasks fail per tick (`how`), until the breaker has
 * decided or `ticks` have passed, so the failure count climbs by exactly one at a time.
 */
const failOneByOne = (w: ReturnType<typeof world>, deploymentId: string, how: (t: Task) => void, ticks = 12): void => {
  for (let i = 0; i < ticks && w.deployment(deploymentId)?.rolloutState === 'IN_PROGRESS'; i++) {
    const next = w.live(deploymentId).find((t) => t.lastStatus === 'PENDING' && t.desiredStatus === 'RUNNING');
    if (next) how(next);
    w.tick();
  }
};

const pull = (image: string) => `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${image}: not found`;

// ---- the tests

describe('a new service', () => {
  it('launches its tasks, registers them once RUNNING, and completes when they are healthy', () => {
    const w = world();
    const [d1] = w.service.deployments;
    w.tick();
    const tasks = w.tasksOf(d1!.id);
    expect(tasks.map((t) => t.lastStatus)).toEqual(['PROVISIONING', 'PROVISIONING']);
    expect(w.runtime.launched.map((l) => l.taskArn)).toEqual(tasks.map((t) => t.taskArn));
    expect(w.runtime.launched.map((l) => ({ cluster: l.clusterName, service: l.serviceName, taskDefinition: l.taskDefinition.taskDefinitionArn }))).toEqual([
      { cluster: CLUSTER, service: SERVICE, taskDefinition: w.v1 },
      { cluster: CLUSTER, service: SERVICE, taskDefinition: w.v1 },
    ]);

    w.tick();
    expect(tasks.map((t) => t.lastStatus)).toEqual(['PENDING', 'PENDING']);
    // Nothing more is launched while they pull.
    w.tick(60 * SECOND);
    expect(w.runtime.launched).toHaveLength(2);

    for (const t of tasks) w.runtime.start(t.taskArn);
    w.tick();
    expect(tasks.map((t) => t.lastStatus)).toEqual(['RUNNING', 'RUNNING']);
    expect(w.balancer.registered.map((r) => ({ tg: r.targetGroupArn, id: r.target.id, port: r.target.port, td: r.target.taskDefinitionArn, service: r.target.serviceName }))).toEqual(
      tasks.map((t) => ({ tg: TG, id: t.taskArn, port: w.runtime.hostPort(t.taskArn), td: w.v1, service: SERVICE })),
    );
    expect(tasks.map((t) => t.containers[0]!.networkBindings[0]!.hostPort)).toEqual(tasks.map((t) => w.runtime.hostPort(t.taskArn)));
    expect(d1!.rolloutState).toBe('IN_PROGRESS');

    // Registered is not healthy: the deployment waits for ELB.
    w.tick(60 * SECOND);
    expect(d1!.rolloutState).toBe('IN_PROGRESS');
    w.balancer.set(TG, tasks[0]!.taskArn, { state: 'healthy' });
    w.tick();
    expect(d1!.rolloutState).toBe('IN_PROGRESS');
    w.balancer.set(TG, tasks[1]!.taskArn, { state: 'healthy' });
    w.tick();
    expect(summary(d1)).toEqual({ id: d1!.id, status: 'PRIMARY', rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${d1!.id} completed.`, failedTasks: 0, desiredCount: 2 });
    expect(w.messages()).toEqual([
      `(service web) has reached a steady state.`,
      `(service web) (deployment ${d1!.id}) deployment completed.`,
      `(service web) has started 2 tasks: (task ${tasks[0]!.taskId}) (task ${tasks[1]!.taskId}).`,
    ]);
    expect(ofKind(w.events, 'task.healthy').map((e) => e.taskArn)).toEqual(tasks.map((t) => t.taskArn));
    expect(ofKind(w.events, 'deployment.state')).toEqual([{ kind: 'deployment.state', service: SERVICE, deploymentId: d1!.id, rolloutState: 'COMPLETED', taskDefinition: w.v1 }]);
  });
});

describe('a rolling deployment', () => {
  it('200/100: starts the new set beside the old one, stops the old tasks once the new ones are healthy, and completes', () => {
    const w = world();
    const d1 = w.steadyBaseline();
    const old = w.live(d1);
    const v2 = w.update('acme/web:v2');
    expect(w.service.deployments.map(summary)).toEqual([
      { id: v2.id, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment ${v2.id} in progress.`, failedTasks: 0, desiredCount: 2 },
      { id: d1, status: 'ACTIVE', rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${d1} completed.`, failedTasks: 0, desiredCount: 2 },
    ]);

    w.tick();
    const fresh = w.tasksOf(v2.id);
    expect(fresh).toHaveLength(2);
    expect(w.runtime.launched.slice(-2).map((l) => l.taskDefinition.taskDefinitionArn)).toEqual([v2.arn, v2.arn]);
    w.settle(); // PENDING
    w.settle(); // RUNNING, registered
    expect(fresh.map((t) => t.lastStatus)).toEqual(['RUNNING', 'RUNNING']);
    expect(old.map((t) => t.desiredStatus)).toEqual(['RUNNING', 'RUNNING']);
    w.settle(); // healthy: both old tasks are asked to stop
    expect(old.map((t) => [t.desiredStatus, t.lastStatus, t.stopCode, t.stoppedReason])).toEqual([
      ['STOPPED', 'RUNNING', 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${v2.id})`],
      ['STOPPED', 'RUNNING', 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${v2.id})`],
    ]);
    // Scaling activity is no failure: the breaker's count stays at 0.
    expect(ofKind(w.events, 'task.stopping').map((e) => e.failure)).toEqual([false, false]);
    expect(w.deployment(v2.id)?.failedTasks).toBe(0);
    w.tick(); // deregistered: draining
    expect(old.map((t) => t.lastStatus)).toEqual(['DEACTIVATING', 'DEACTIVATING']);
    expect(w.balancer.deregistered.map((d) => [d.targetGroupArn, d.targetId])).toEqual(old.map((t) => [TG, t.taskArn]));
    expect(w.runtime.stopped).toEqual([]);
    expect(w.deployment(v2.id)?.rolloutState).toBe('IN_PROGRESS');

    w.tick(); // drained (no delay): SIGTERM
    expect(old.map((t) => t.lastStatus)).toEqual(['STOPPING', 'STOPPING']);
    w.tick(); // gone: STOPPED, and the old deployment has nothing left
    expect(old.map((t) => t.lastStatus)).toEqual(['STOPPED', 'STOPPED']);
    expect(old.every((t) => !w.runtime.has(t.taskArn))).toBe(true);
    expect(w.service.deployments.map(summary)).toEqual([
      { id: v2.id, status: 'PRIMARY', rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${v2.id} completed.`, failedTasks: 0, desiredCount: 2 },
    ]);
    expect(w.service.taskDefinition).toBe(v2.arn);
    expect(w.messages().slice(0, 4)).toEqual([
      `(service web) has reached a steady state.`,
      `(service web) (deployment ${v2.id}) deployment completed.`,
      `(service web) has stopped 2 running tasks: (task ${old[0]!.taskId}) (task ${old[1]!.taskId}).`,
      `(service web) has started 2 tasks: (task ${fresh[0]!.taskId}) (task ${fresh[1]!.taskId}).`,
    ]);
    expect(ofKind(w.events, 'task.stopped').map((e) => [e.taskArn, e.deploymentId, e.stopCode, e.exitCodes])).toEqual(
      old.map((t) => [t.taskArn, d1, 'ServiceSchedulerInitiated', { web: 0 }]),
    );
  });

  /**
   * Drives a deployment to COMPLETED, one tick at a time with every task starting and turning
   * healthy as soon as it can, and checks the bounds after every tick: never more tasks that
   * should run than maximumPercent allows, never fewer healthy ones than minimumHealthyPercent.
   * Returns how many tasks each tick launched and stopped.
   */
  const rollWithin = (desiredCount: number, maximumPercent: number, minimumHealthyPercent: number) => {
    const w = world({ desiredCount, deploymentConfiguration: { maximumPercent, minimumHealthyPercent, deploymentCircuitBreaker: { enable: true, rollback: true } } });
    w.steadyBaseline();
    const v2 = w.update('acme/web:v2');
    const maxTasks = Math.floor((desiredCount * maximumPercent) / 100);
    const minHealthy = Math.ceil((desiredCount * minimumHealthyPercent) / 100);
    const steps: Array<{ launched: number; stopped: number }> = [];
    for (let i = 0; i < 40 && w.deployment(v2.id)?.rolloutState !== 'COMPLETED'; i++) {
      const launchedBefore = w.runtime.launched.length;
      const stoppingBefore = ofKind(w.events, 'task.stopping').length;
      w.settle();
      steps.push({ launched: w.runtime.launched.length - launchedBefore, stopped: ofKind(w.events, 'task.stopping').length - stoppingBefore });
      // What the scheduler keeps: tasks not asked to stop. Stopping ones drain on their way out.
      const kept = w.live().filter((t) => t.desiredStatus !== 'STOPPED');
      expect(kept.length, `tick ${i}: tasks that should run`).toBeLessThanOrEqual(maxTasks);
      expect(kept.filter((t) => t.healthyAt !== undefined).length, `tick ${i}: healthy tasks`).toBeGreaterThanOrEqual(minHealthy);
    }
    expect(w.deployment(v2.id)?.rolloutState).toBe('COMPLETED');
    expect(w.live().map((t) => t.deploymentId)).toEqual(Array(desiredCount).fill(v2.id));
    return steps.filter((s) => s.launched > 0 || s.stopped > 0);
  };

  it('100/50 with 4 tasks: stops half first to make room, then launches into it, never above 4 nor below 2 healthy', () => {
    expect(rollWithin(4, 100, 50)).toEqual([
      { launched: 0, stopped: 2 },
      { launched: 2, stopped: 0 },
      { launched: 0, stopped: 2 },
      { launched: 2, stopped: 0 },
    ]);
  });

  it('125/100 with 4 tasks: one extra task at a time, never above 5 nor below 4 healthy', () => {
    expect(rollWithin(4, 125, 100)).toEqual([
      { launched: 1, stopped: 0 },
      { launched: 0, stopped: 1 },
      { launched: 1, stopped: 0 },
      { launched: 0, stopped: 1 },
      { launched: 1, stopped: 0 },
      { launched: 0, stopped: 1 },
      { launched: 1, stopped: 0 },
      { launched: 0, stopped: 1 },
    ]);
  });

  it('waits out the deregistration delay: a replaced task drains, and only then is it stopped and the deployment completed', () => {
    const w = world({ deregistrationDelaySeconds: 300 });
    const d1 = w.steadyBaseline();
    const old = w.live(d1);
    const v2 = w.update('acme/web:v2');
    for (let i = 0; i < 4; i++) w.settle();
    expect(old.map((t) => [t.desiredStatus, t.lastStatus])).toEqual([
      ['STOPPED', 'RUNNING'],
      ['STOPPED', 'RUNNING'],
    ]);
    const askedAt = w.clock.now();
    w.tick(1 * SECOND);
    expect(old.map((t) => t.lastStatus)).toEqual(['DEACTIVATING', 'DEACTIVATING']);
    const drainedFrom = w.clock.now();
    expect(w.balancer.deregistered.map((d) => [d.targetId, d.at])).toEqual(old.map((t) => [t.taskArn, drainedFrom]));

    // Draining for 299 s: the runtime was not asked to stop anything, the deployment waits.
    w.tick(299 * SECOND);
    expect(old.map((t) => t.lastStatus)).toEqual(['DEACTIVATING', 'DEACTIVATING']);
    expect(w.runtime.stopped).toEqual([]);
    expect(w.deployment(v2.id)?.rolloutState).toBe('IN_PROGRESS');

    // The delay is over: SIGTERM with the container's stop timeout (ECS's default 30 s), then STOPPED.
    w.tick(1 * SECOND);
    expect(old.map((t) => t.lastStatus)).toEqual(['STOPPING', 'STOPPING']);
    expect(w.runtime.stopped).toEqual(old.map((t) => ({ taskArn: t.taskArn, graceMs: 30 * SECOND })));
    expect(w.deployment(v2.id)?.rolloutState).toBe('IN_PROGRESS');
    w.tick();
    expect(old.map((t) => [t.lastStatus, t.stoppingAt, t.stoppedAt])).toEqual(old.map(() => ['STOPPED', askedAt, drainedFrom + 300 * SECOND]));
    expect(w.deployment(v2.id)?.rolloutState).toBe('COMPLETED');
    expect(ofKind(w.events, 'task.status').filter((e) => e.taskArn === old[0]!.taskArn).map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'PROVISIONING -> PENDING',
      'PENDING -> RUNNING',
      'RUNNING -> DEACTIVATING',
      'DEACTIVATING -> STOPPING',
      'STOPPING -> STOPPED',
    ]);
  });

  it('uses the container stopTimeout as the grace between SIGTERM and SIGKILL', () => {
    const w = world({ container: { stopTimeout: 5 } });
    const d1 = w.steadyBaseline();
    w.update('acme/web:v2');
    for (let i = 0; i < 10 && w.runtime.stopped.length === 0; i++) w.settle();
    expect(w.runtime.stopped).toEqual(w.tasksOf(d1).map((t) => ({ taskArn: t.taskArn, graceMs: 5 * SECOND })));
  });
});

describe('the deployment circuit breaker', () => {
  let w: ReturnType<typeof world>;
  let d1: string;
  let old: Task[];
  beforeEach(() => {
    w = world();
    d1 = w.steadyBaseline();
    old = w.live(d1);
  });

  it('fails a deployment whose tasks never start at 3 failed tasks (desired 2: 50% rounds up to 1, clamped to 3), and rolls back to the last COMPLETED deployment', () => {
    const bad = w.update('acme/web:v9');
    w.tick(); // 2 launched
    w.tick(); // PENDING
    const [b1, b2] = w.tasksOf(bad.id);
    w.runtime.failToStart(b1!.taskArn, pull('acme/web:v9'));
    w.tick();
    expect(w.deployment(bad.id)?.failedTasks).toBe(1);
    expect([b1!.desiredStatus, b1!.lastStatus, b1!.stopCode, b1!.stoppedReason]).toEqual(['STOPPED', 'STOPPING', 'TaskFailedToStart', pull('acme/web:v9')]);
    // The scheduler replaces it at once; a task that never ran is never registered.
    expect(w.tasksOf(bad.id)).toHaveLength(3);
    w.runtime.failToStart(b2!.taskArn, pull('acme/web:v9'));
    w.tick();
    expect(w.deployment(bad.id)?.failedTasks).toBe(2);
    const [, , b3, b4] = w.tasksOf(bad.id);
    expect(b4).toBeDefined();
    w.tick();
    // One short of the threshold: still IN_PROGRESS, still PRIMARY.
    expect(summary(w.deployment(bad.id))).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', failedTasks: 2 });

    w.runtime.failToStart(b3!.taskArn, pull('acme/web:v9'));
    w.tick();
    expect(w.service.deployments.map(summary)).toEqual([
      { id: d1, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${d1}.`, failedTasks: 0, desiredCount: 2 },
      { id: bad.id, status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', failedTasks: 3, desiredCount: 2 },
    ]);
    expect(w.service.taskDefinition).toBe(w.v1);
    // The rollback's first act: the bad deployment's last task, still pulling, is stopped (no failure).
    expect([b4!.desiredStatus, b4!.stopCode, b4!.stoppedReason]).toEqual(['STOPPED', 'ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${d1})`]);
    expect(w.messages().slice(0, 3)).toEqual([
      `(service web) has stopped 1 running tasks: (task ${b4!.taskId}).`,
      `(service web) rolling back to deployment ${d1}.`,
      `(service web) (deployment ${bad.id}) deployment failed: tasks failed to start.`,
    ]);
    expect(ofKind(w.events, 'deployment.state', 'deployment.rollback').slice(-2)).toEqual([
      { kind: 'deployment.state', service: SERVICE, deploymentId: bad.id, rolloutState: 'FAILED', reason: 'circuit-breaker' },
      { kind: 'deployment.rollback', service: SERVICE, from: bad.id, to: d1, taskDefinition: w.v1 },
    ]);
    expect(ofKind(w.events, 'deployment.failed_task').map((e) => [e.deploymentId, e.failedTasks])).toEqual([
      [bad.id, 1],
      [bad.id, 2],
      [bad.id, 3],
    ]);

    // The baseline never stopped serving, so the rollback completes once the bad tasks are gone.
    w.tick();
    expect(w.deployment(d1)?.rolloutState).toBe('IN_PROGRESS');
    w.tick();
    expect(w.service.deployments.map(summary)).toEqual([
      { id: d1, status: 'PRIMARY', rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${d1} completed.`, failedTasks: 0, desiredCount: 2 },
    ]);
    expect(w.messages().slice(0, 2)).toEqual([`(service web) has reached a steady state.`, `(service web) (deployment ${d1}) deployment completed.`]);
    expect(old.map((t) => [t.desiredStatus, t.lastStatus])).toEqual([
      ['RUNNING', 'RUNNING'],
      ['RUNNING', 'RUNNING'],
    ]);
    expect(w.tasksOf(bad.id).map((t) => [t.lastStatus, t.stopCode])).toEqual([
      ['STOPPED', 'TaskFailedToStart'],
      ['STOPPED', 'TaskFailedToStart'],
      ['STOPPED', 'TaskFailedToStart'],
      ['STOPPED', 'ServiceSchedulerInitiated'],
    ]);
    expect(w.balancer.registered.filter((r) => r.target.taskDefinitionArn === bad.arn)).toEqual([]);
    // Nothing more for the failed release, however long it runs.
    w.tick(600 * SECOND);
    expect(w.tasksOf(bad.id)).toHaveLength(4);
    expect(w.runtime.launched.filter((l) => l.taskDefinition.taskDefinitionArn === bad.arn)).toHaveLength(4);
  });

  it('counts tasks whose essential container exits on start', () => {
    const bad = w.update('acme/web:v9');
    failOneByOne(w, bad.id, (t) => w.runtime.exit(t.taskArn, 'web', 1));
    expect(summary(w.deployment(bad.id))).toMatchObject({ status: 'ACTIVE', rolloutState: 'FAILED', failedTasks: 3 });
    expect(summary(w.deployment(d1))).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' });
    const exited = w.tasksOf(bad.id).filter((t) => t.stopCode === 'EssentialContainerExited');
    expect(exited.map((t) => [t.stoppedReason, t.countsAsFailure, t.containers[0]!.exitCode])).toEqual(Array(3).fill(['Essential container in task exited', true, 1]));
  });

  it('with rollback off, leaves the deployment PRIMARY and FAILED and launches nothing more', () => {
    w.state.updateService(CLUSTER, SERVICE, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } });
    const bad = w.update('acme/web:v9');
    failOneByOne(w, bad.id, (t) => w.runtime.failToStart(t.taskArn, pull('acme/web:v9')));
    expect(w.service.deployments.map(summary)).toEqual([
      { id: bad.id, status: 'PRIMARY', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', failedTasks: 3, desiredCount: 2 },
      { id: d1, status: 'ACTIVE', rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${d1} completed.`, failedTasks: 0, desiredCount: 2 },
    ]);
    expect(w.messages()[0]).toBe(`(service web) (deployment ${bad.id}) deployment failed: tasks failed to start.`);
    expect(ofKind(w.events, 'deployment.rollback')).toEqual([]);
    const launched = w.runtime.launched.length;
    for (let i = 0; i < 5; i++) w.tick(60 * SECOND);
    expect(w.runtime.launched).toHaveLength(launched);
    expect(old.map((t) => t.desiredStatus)).toEqual(['RUNNING', 'RUNNING']);
  });
});

describe('a deployment whose tasks fail health checks', () => {
  it('ELB: each unhealthy target is reported, drained and stopped as a failure, until the breaker rolls back', () => {
    const w = world();
    const d1 = w.steadyBaseline();
    const bad = w.update('acme/web:v2-broken');
    const reported: Task[] = [];
    const ports = new Map<string, number>();
    for (let i = 0; i < 20 && w.deployment(bad.id)?.rolloutState === 'IN_PROGRESS'; i++) {
      for (const t of w.live(bad.id)) {
        if (t.desiredStatus === 'STOPPED') continue;
        if (t.lastStatus === 'PENDING') w.runtime.start(t.taskArn);
        // One target turns unhealthy at a time, so the count climbs one by one.
        if (t.lastStatus === 'RUNNING' && reported.length === ofKind(w.events, 'deployment.failed_task').length && !reported.includes(t)) {
          w.balancer.set(TG, t.taskArn, { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' });
          reported.push(t);
          ports.set(t.taskArn, w.runtime.hostPort(t.taskArn));
        }
      }
      w.tick();
    }
    expect(reported).toHaveLength(3);
    expect(summary(w.deployment(bad.id))).toEqual({
      id: bad.id,
      status: 'ACTIVE',
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
      failedTasks: 3,
      desiredCount: 2,
    });
    expect(summary(w.deployment(d1))).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${d1}.` });
    for (const t of reported) {
      expect([t.desiredStatus, t.stopCode, t.stoppedReason]).toEqual(['STOPPED', 'ServiceSchedulerInitiated', `Task failed ELB health checks in (target-group ${TG})`]);
      expect(w.messages()).toContain(
        `(service web) (task ${t.taskId}) (port ${ports.get(t.taskArn)}) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [500]).`,
      );
      expect(w.balancer.deregistered.map((d) => d.targetId)).toContain(t.taskArn);
    }
    expect(ofKind(w.events, 'task.stopping').filter((e) => e.failure).map((e) => e.taskArn)).toEqual(reported.map((t) => t.taskArn));
    // The baseline's tasks were never touched: 200/100 keeps them until new ones are healthy, and none were.
    expect(w.live(d1).map((t) => t.desiredStatus)).toEqual(['RUNNING', 'RUNNING']);
    for (let i = 0; i < 5 && w.deployment(d1)?.rolloutState !== 'COMPLETED'; i++) w.tick();
    expect(w.service.deployments.map((d) => [d.id, d.status, d.rolloutState])).toEqual([[d1, 'PRIMARY', 'COMPLETED']]);
  });

  it('ELB: an unhealthy target is left alone during the health check grace period', () => {
    const w = world({ healthCheckGracePeriodSeconds: 60 });
    w.steadyBaseline();
    const bad = w.update('acme/web:v2-broken');
    w.tick();
    w.tick();
    const [t] = w.tasksOf(bad.id);
    w.runtime.start(t!.taskArn);
    w.tick(); // RUNNING at this instant: the grace period starts
    const startedAt = t!.startedAt!;
    w.balancer.set(TG, t!.taskArn, { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' });
    w.tick(59 * SECOND);
    expect([t!.desiredStatus, t!.lastStatus]).toEqual(['RUNNING', 'RUNNING']);
    expect(w.clock.now() - startedAt).toBe(59 * SECOND);
    w.tick(1 * SECOND);
    expect([t!.desiredStatus, t!.lastStatus, t!.stoppedReason]).toEqual(['STOPPED', 'DEACTIVATING', `Task failed ELB health checks in (target-group ${TG})`]);
    expect(w.deployment(bad.id)?.failedTasks).toBe(1);
    expect(w.messages()).toContain(`(service web) (task ${t!.taskId}) (port ${w.runtime.hostPort(t!.taskArn)}) is unhealthy in (target-group ${TG}) due to (reason Request timed out).`);
  });

  it('container health check: an UNHEALTHY essential container stops the task as a failure', () => {
    const w = world({ container: { healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'] } } });
    // The baseline needs its container HEALTHY as well as its target.
    for (let i = 0; i < 10 && w.service.deployments[0]!.rolloutState !== 'COMPLETED'; i++) {
      for (const t of w.live()) if (t.lastStatus === 'RUNNING') w.runtime.setHealth(t.taskArn, 'web', 'HEALTHY');
      w.settle();
    }
    const d1 = w.service.deployments[0]!.id;
    expect(w.deployment(d1)?.rolloutState).toBe('COMPLETED');
    expect(w.live(d1).map((t) => t.healthStatus)).toEqual(['HEALTHY', 'HEALTHY']);

    const bad = w.update('acme/web:v2-sick');
    w.tick();
    w.tick();
    const [t] = w.tasksOf(bad.id);
    w.runtime.start(t!.taskArn);
    w.tick();
    w.balancer.set(TG, t!.taskArn, { state: 'healthy' });
    w.tick();
    // Its target is healthy, but its container check has not passed: not healthy for the scheduler.
    expect(t!.healthyAt).toBeUndefined();
    w.runtime.setHealth(t!.taskArn, 'web', 'UNHEALTHY');
    w.tick();
    expect(t!.healthStatus).toBe('UNHEALTHY');
    expect([t!.desiredStatus, t!.lastStatus, t!.stopCode, t!.stoppedReason]).toEqual(['STOPPED', 'DEACTIVATING', 'ServiceSchedulerInitiated', 'Task failed container health checks']);
    const replacement = w.tasksOf(bad.id)[2]!; // the deployment's third task: two were launched for it at first
    expect(w.messages().slice(0, 2)).toEqual([
      `(service web) has started 1 tasks: (task ${replacement.taskId}).`,
      `(service web) (task ${t!.taskId}) failed container health checks.`,
    ]);
    expect(w.deployment(bad.id)?.failedTasks).toBe(1);
    expect(ofKind(w.events, 'task.health').filter((e) => e.taskArn === t!.taskArn).map((e) => e.health)).toEqual(['UNHEALTHY']);
  });

  it('a healthy task of the deployment resets its failure count (resetOnHealthyTask, on by default)', () => {
    const w = world();
    w.steadyBaseline();
    const v2 = w.update('acme/web:v2');
    w.tick();
    w.tick();
    const [first, second] = w.tasksOf(v2.id);
    w.runtime.failToStart(first!.taskArn, pull('acme/web:v2'));
    w.tick();
    expect(w.deployment(v2.id)?.failedTasks).toBe(1);
    w.runtime.start(second!.taskArn);
    w.tick();
    w.balancer.set(TG, second!.taskArn, { state: 'healthy' });
    w.tick();
    expect(second!.healthyAt).toBe(w.clock.now());
    expect(w.deployment(v2.id)?.failedTasks).toBe(0);
  });
});

describe('services that go away', () => {
  it('DeleteService (force): every task is stopped as scaling activity, then the service is INACTIVE', () => {
    const w = world();
    const d1 = w.steadyBaseline();
    const tasks = w.live(d1);
    w.state.deleteService(CLUSTER, SERVICE, true);
    w.tick();
    expect(tasks.map((t) => [t.desiredStatus, t.lastStatus, t.stoppedReason])).toEqual(tasks.map(() => ['STOPPED', 'RUNNING', `Scaling activity initiated by (deployment ${d1})`]));
    expect(w.service.status).toBe('DRAINING');
    w.tick();
    expect(tasks.map((t) => t.lastStatus)).toEqual(['DEACTIVATING', 'DEACTIVATING']);
    w.tick();
    w.tick();
    expect(tasks.map((t) => t.lastStatus)).toEqual(['STOPPED', 'STOPPED']);
    expect(w.service.status).toBe('INACTIVE');
    expect(w.service.deployments).toEqual([]);
    expect(ofKind(w.events, 'service.inactive')).toEqual([{ kind: 'service.inactive', service: SERVICE }]);
  });
});

describe('service deployments and deployment alarms', () => {
  const ALARM = 'web-5xx';
  const alarmed = { deploymentCircuitBreaker: { enable: true, rollback: true }, alarms: { alarmNames: [ALARM], enable: true, rollback: true } };
  const records = (w: ReturnType<typeof world>) => [...w.state.serviceDeployments.values()];
  const settleUntil = (w: ReturnType<typeof world>, done: () => boolean, stepMs = 0, max = 40) => {
    for (let i = 0; i < max && !done(); i++) w.settle(stepMs);
    expect(done()).toBe(true);
  };

  it('records every deployment: the create SUCCESSFUL, an update superseding one in progress STOPPED, each with its revision', () => {
    const w = world();
    const d1 = w.steadyBaseline();
    const first = records(w)[0]!;
    expect(first).toMatchObject({ deploymentId: d1, status: 'SUCCESSFUL', sourceServiceRevisionArns: [], circuitBreaker: { status: 'MONITORING_COMPLETE', threshold: 3 }, alarms: { status: 'DISABLED' } });
    expect(first.finishedAt).toBe(w.clock.now());
    expect(w.state.serviceRevisions.get(first.targetServiceRevisionArn)).toMatchObject({ taskDefinition: w.v1, containerImages: [{ containerName: 'web', image: 'acme/web:v1' }] });

    const v2 = w.update('acme/web:v2');
    w.tick();
    const v3 = w.update('acme/web:v3');
    const [, second, third] = records(w);
    expect(second).toMatchObject({ deploymentId: v2.id, status: 'STOPPED', sourceServiceRevisionArns: [first.targetServiceRevisionArn] });
    expect(third).toMatchObject({ deploymentId: v3.id, status: 'IN_PROGRESS' });
    // v2 had tasks launched, so it is one of v3's sources beside v1.
    expect(third!.sourceServiceRevisionArns).toEqual([second!.targetServiceRevisionArn, first.targetServiceRevisionArn]);
    expect(w.state.listServiceDeployments(CLUSTER, SERVICE, {}).map((r) => r.deploymentId)).toEqual([v3.id, v2.id, d1]);
    expect(w.state.listServiceDeployments(CLUSTER, SERVICE, { status: ['STOPPED'] }).map((r) => r.deploymentId)).toEqual([v2.id]);
  });

  it('a circuit-breaker rollback: ROLLBACK_IN_PROGRESS with the breaker TRIGGERED, then ROLLBACK_SUCCESSFUL', () => {
    const w = world();
    const d1 = w.steadyBaseline();
    const bad = w.update('acme/web:v9');
    failOneByOne(w, bad.id, (t) => w.runtime.failToStart(t.taskArn, pull('acme/web:v9')));
    const record = records(w).at(-1)!;
    const baselineRevision = records(w)[0]!.targetServiceRevisionArn;
    expect(record).toMatchObject({
      status: 'ROLLBACK_IN_PROGRESS',
      statusReason: 'ECS deployment circuit breaker: tasks failed to start.',
      rollback: { reason: 'ECS deployment circuit breaker: tasks failed to start.', serviceRevisionArn: baselineRevision },
      circuitBreaker: { status: 'TRIGGERED', threshold: 3 },
    });
    settleUntil(w, () => w.deployment(d1)?.rolloutState === 'COMPLETED');
    expect(record.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(record.finishedAt).toBeDefined();
  });

  it('an alarm that fires during the rollout fails the deployment and rolls back, naming the alarm', () => {
    const w = world({ deploymentConfiguration: alarmed });
    w.alarms.set(ALARM, 'OK');
    const d1 = w.steadyBaseline();
    const bad = w.update('acme/web:v2');
    w.settle(SECOND);
    w.alarms.set(ALARM, 'ALARM');
    w.tick();
    expect(w.service.deployments.map(summary)).toEqual([
      { id: d1, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment alarms: rolling back to deploymentId ${d1}.`, failedTasks: 0, desiredCount: 2 },
      { id: bad.id, status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: `ECS deployment alarms: alarm(s) ${ALARM} in ALARM state.`, failedTasks: 0, desiredCount: 2 },
    ]);
    // After the newest event: the bad tasks being stopped by the rollback.
    expect(w.messages().slice(1, 3)).toEqual([`(service web) rolling back to deployment ${d1}.`, `(service web) (deployment ${bad.id}) deployment failed: alarm(s) ${ALARM} triggered.`]);
    const record = records(w).at(-1)!;
    expect(record).toMatchObject({ status: 'ROLLBACK_IN_PROGRESS', alarms: { status: 'TRIGGERED', alarmNames: [ALARM], triggeredAlarmNames: [ALARM] } });
    // The alarm stays in ALARM while the rollback runs: the rollback is not failed by it.
    settleUntil(w, () => w.deployment(d1)?.rolloutState === 'COMPLETED');
    expect(record.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(w.service.taskDefinition).toBe(w.v1);
  });

  it('bakes after the rollout (period x evaluation periods), keeps the old deployment to return to, and fails on an alarm during the bake', () => {
    const w = world({ deploymentConfiguration: alarmed });
    w.alarms.set(ALARM, 'OK', { periodSeconds: 60, evaluationPeriods: 2 });
    const d1 = w.steadyBaseline();
    const good = w.update('acme/web:v2');
    settleUntil(w, () => w.live(d1).length === 0);
    w.settle();
    const bake = ofKind(w.events, 'deployment.bake').at(-1);
    expect(bake).toMatchObject({ deploymentId: good.id, bakeSeconds: 120, until: w.clock.now() + 120 * SECOND - 0 });
    expect(w.deployment(good.id)?.rolloutState).toBe('IN_PROGRESS');
    w.tick(119 * SECOND);
    expect(w.deployment(good.id)?.rolloutState).toBe('IN_PROGRESS');
    expect(w.deployment(d1)).toMatchObject({ status: 'ACTIVE', rolloutState: 'COMPLETED' });
    w.alarms.set(ALARM, 'ALARM');
    w.tick();
    expect(w.deployment(good.id)).toMatchObject({ status: 'ACTIVE', rolloutState: 'FAILED' });
    expect(w.deployment(d1)).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' });
    // The old release's tasks were scaled in, so the rollback launches them again.
    expect(w.live(d1).length).toBe(2);
  });

  it('completes once the bake passes without an alarm, and ignores an alarm that was already in ALARM when the deployment started', () => {
    const w = world({ deploymentConfiguration: alarmed });
    w.alarms.set(ALARM, 'ALARM', { periodSeconds: 60, evaluationPeriods: 1 });
    const d1 = w.steadyBaseline();
    w.tick(SECOND);
    const next = w.update('acme/web:v2');
    settleUntil(w, () => w.live(d1).length === 0);
    w.settle();
    w.tick(60 * SECOND);
    expect(w.deployment(next.id)?.rolloutState).toBe('COMPLETED');
    expect(records(w).at(-1)).toMatchObject({ status: 'SUCCESSFUL', alarms: { status: 'MONITORING_COMPLETE', triggeredAlarmNames: [] } });
  });

  it('StopServiceDeployment ROLLBACK rolls back a deployment with no rollback configured; a finished one is a ConflictException', () => {
    const w = world({ deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false } } });
    const d1 = w.steadyBaseline();
    expect(() => w.state.stopServiceDeployment(records(w)[0]!.serviceDeploymentArn, 'ROLLBACK')).toThrow(/SUCCESSFUL; only a deployment that is PENDING or IN_PROGRESS/);
    const next = w.update('acme/web:v2');
    w.settle();
    const record = records(w).at(-1)!;
    w.state.stopServiceDeployment(record.serviceDeploymentArn, 'ROLLBACK');
    expect(record.status).toBe('ROLLBACK_REQUESTED');
    w.tick();
    expect(record).toMatchObject({ status: 'ROLLBACK_IN_PROGRESS', rollback: { reason: 'ECS deployment rollback requested: StopServiceDeployment ROLLBACK.' } });
    expect(w.deployment(next.id)).toMatchObject({ status: 'ACTIVE', rolloutState: 'FAILED' });
    settleUntil(w, () => w.deployment(d1)?.rolloutState === 'COMPLETED');
    expect(record.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(() => w.state.stopServiceDeployment('arn:aws:ecs:us-east-1:000000000000:service-deployment/drill/web/nope', 'ROLLBACK')).toThrow(/does not exist/);
  });
});
