// The deployment controller: on every tick it reconciles each service's desired state (its
// deployments) against the actual state (its tasks, as the runtime and the load balancer report
// them), the way the ECS service scheduler does. Decisions are made by the pure functions in
// rolling.ts, circuit-breaker.ts and deployments.ts; this file applies them and records them.

import { breakerTrips } from './circuit-breaker.ts';
import { completeDeployment, countFailure, failDeployment, primaryOf, resetFailures } from './deployments.ts';
import { serviceEvent, stoppedReason } from './messages.ts';
import type { Cluster, HealthStatus, Service, Task } from './model.ts';
import type { AlarmStates, Balancer, Clock, EventSink, TaskRuntime, TaskRuntimeStatus } from './ports.ts';
import { bakeSeconds, fail, succeed, triggeredAlarms, type FailureCause } from './service-deployments.ts';
import type { ServiceDeployment } from './model.ts';
import { planRollout, rolloutComplete, type SchedulerTask } from './rolling.ts';
import type { SandboxState } from './state.ts';
import { scaled, type TimingProfile } from './timing.ts';

export interface ControllerDeps {
  state: SandboxState;
  runtime: TaskRuntime;
  balancer: Balancer;
  clock: Clock;
  events: EventSink;
  timing: TimingProfile;
  /** CloudWatch's alarms, for deployment alarms; without them no alarm exists. */
  alarms?: AlarmStates;
}

const noAlarms: AlarmStates = { alarm: () => undefined };

const isStopping = (t: Task): boolean => t.desiredStatus === 'STOPPED';

export class Controller {
  constructor(private readonly deps: ControllerDeps) {}

  tick(): void {
    for (const task of [...this.deps.state.tasks.values()]) {
      if (task.lastStatus !== 'STOPPED') this.advanceTask(task);
    }
    for (const service of this.deps.state.services.values()) {
      if (service.status !== 'INACTIVE') this.reconcileService(service);
    }
    this.deps.state.pruneStoppedTasks();
  }

  // ---- tasks: move each task along its lifecycle from what the runtime reports

  private advanceTask(task: Task): void {
    const { runtime } = this.deps;
    const status = runtime.status(task.taskArn);
    if (isStopping(task)) {
      this.advanceStop(task, status);
      return;
    }
    if (!status) return;
    this.syncContainers(task, status);

    switch (task.lastStatus) {
      case 'PROVISIONING':
        this.setStatus(task, 'PENDING');
        return;
      case 'PENDING':
      case 'ACTIVATING':
        if (status.phase === 'failed') {
          this.stopTask(task, 'TaskFailedToStart', status.failure?.reason ?? 'Task failed to start', true);
        } else if (status.phase === 'exited') {
          this.stopTask(task, 'EssentialContainerExited', stoppedReason.essentialContainerExited(), true);
        } else if (status.phase === 'running') {
          task.startedAt = this.deps.clock.now();
          this.setStatus(task, 'RUNNING');
          this.registerTargets(task);
        }
        return;
      case 'RUNNING':
        this.watchRunning(task, status);
        return;
      default:
        return;
    }
  }

  private watchRunning(task: Task, status: TaskRuntimeStatus): void {
    const service = this.serviceOf(task);
    if (status.phase === 'exited') {
      this.stopTask(task, 'EssentialContainerExited', stoppedReason.essentialContainerExited(), true);
      return;
    }
    if (task.healthStatus === 'UNHEALTHY') {
      if (service) this.deps.state.addServiceEvent(service, serviceEvent.failedContainerHealthChecks(service.serviceName, task.taskId));
      this.stopTask(task, 'ServiceSchedulerInitiated', stoppedReason.failedContainerHealthChecks(), true);
      return;
    }
    if (service && !this.inGracePeriod(task, service)) {
      for (const lb of service.loadBalancers) {
        const health = this.deps.balancer.health(lb.targetGroupArn, task.taskArn);
        if (health.state === 'unhealthy') {
          const port = task.containers.find((c) => c.name === lb.containerName)?.networkBindings.find((b) => b.containerPort === lb.containerPort)?.hostPort ?? lb.containerPort;
          this.deps.state.addServiceEvent(
            service,
            serviceEvent.targetUnhealthy(service.serviceName, task.taskId, port, lb.targetGroupArn, health.description ?? health.reason ?? 'Health checks failed'),
          );
          this.stopTask(task, 'ServiceSchedulerInitiated', stoppedReason.failedElbHealthChecks(lb.targetGroupArn), true);
          return;
        }
      }
    }
    if (task.healthyAt === undefined && this.isHealthy(task, service)) {
      task.healthyAt = this.deps.clock.now();
      this.deps.events.emit({ kind: 'task.healthy', taskArn: task.taskArn, deploymentId: task.deploymentId });
      const deployment = service?.deployments.find((d) => d.id === task.deploymentId);
      if (deployment && service?.deploymentConfiguration.deploymentCircuitBreaker.resetOnHealthyTask !== false) {
        resetFailures(deployment, this.deps.clock.now());
      }
    }
  }

  /** Healthy as the scheduler means it: every health check that applies passes. */
  private isHealthy(task: Task, service: Service | undefined): boolean {
    if (task.lastStatus !== 'RUNNING' || isStopping(task)) return false;
    if (task.healthStatus === 'UNHEALTHY') return false;
    const hasContainerChecks = this.definitionOf(task).containerDefinitions.some((c) => c.healthCheck && c.essential !== false);
    const loadBalancers = service?.loadBalancers ?? [];
    if (hasContainerChecks && task.healthStatus !== 'HEALTHY') return false;
    for (const lb of loadBalancers) {
      if (this.deps.balancer.health(lb.targetGroupArn, task.taskArn).state !== 'healthy') return false;
    }
    if (!hasContainerChecks && loadBalancers.length === 0) {
      const since = this.deps.clock.now() - (task.startedAt ?? this.deps.clock.now());
      return since >= scaled(this.deps.timing, this.deps.timing.healthyWithoutChecksSeconds);
    }
    return true;
  }

  private inGracePeriod(task: Task, service: Service): boolean {
    const grace = service.healthCheckGracePeriodSeconds ?? 0;
    if (grace === 0 || task.startedAt === undefined) return false;
    return this.deps.clock.now() - task.startedAt < scaled(this.deps.timing, grace);
  }

  /** Stop sequence: deregister and drain, then SIGTERM, then STOPPED once every container is gone. */
  private advanceStop(task: Task, status: TaskRuntimeStatus | undefined): void {
    const { runtime, balancer } = this.deps;
    if (status) this.syncContainers(task, status);
    switch (task.lastStatus) {
      case 'PROVISIONING':
      case 'PENDING':
      case 'ACTIVATING':
      case 'RUNNING':
        if (task.startedAt !== undefined && this.loadBalancersOf(task).length > 0) {
          for (const lb of this.loadBalancersOf(task)) balancer.deregister(lb.targetGroupArn, task.taskArn);
          this.setStatus(task, 'DEACTIVATING');
        } else {
          runtime.stop(task.taskArn, this.stopGraceMs(task));
          this.setStatus(task, 'STOPPING');
        }
        return;
      case 'DEACTIVATING':
        if (this.loadBalancersOf(task).every((lb) => balancer.health(lb.targetGroupArn, task.taskArn).state === 'unused')) {
          runtime.stop(task.taskArn, this.stopGraceMs(task));
          this.setStatus(task, 'STOPPING');
        }
        return;
      case 'STOPPING':
      case 'DEPROVISIONING':
        if (!status || status.phase === 'stopped' || status.phase === 'failed') {
          const now = this.deps.clock.now();
          task.executionStoppedAt = now;
          task.stoppedAt = now;
          for (const c of task.containers) c.lastStatus = 'STOPPED';
          this.setStatus(task, 'STOPPED');
          this.deps.events.emit({
            kind: 'task.stopped',
            taskArn: task.taskArn,
            serviceName: task.serviceName,
            deploymentId: task.deploymentId,
            taskDefinitionArn: task.taskDefinitionArn,
            stopCode: task.stopCode,
            stoppedReason: task.stoppedReason,
            exitCodes: Object.fromEntries(task.containers.map((c) => [c.name, c.exitCode ?? null])),
          });
          runtime.forget(task.taskArn);
        }
        return;
      default:
        return;
    }
  }

  private stopGraceMs(task: Task): number {
    const seconds = Math.max(...this.definitionOf(task).containerDefinitions.map((c) => c.stopTimeout ?? this.deps.timing.stopTimeoutSeconds));
    return scaled(this.deps.timing, seconds);
  }

  /**
   * Asks a task to stop and books the failure against its deployment's circuit breaker.
   * Tasks that stop on their own (failed to start, container exited) are already without
   * containers, so the stop sequence only cleans up.
   */
  private stopTask(task: Task, stopCode: NonNullable<Task['stopCode']>, reason: string, failure: boolean): void {
    const { state, events, clock } = this.deps;
    state.requestStop(task, stopCode, reason, failure);
    events.emit({ kind: 'task.stopping', taskArn: task.taskArn, deploymentId: task.deploymentId, stopCode, stoppedReason: reason, failure });
    if (!failure) return;
    const service = this.serviceOf(task);
    const deployment = service?.deployments.find((d) => d.id === task.deploymentId);
    if (service && deployment && deployment.status === 'PRIMARY' && deployment.rolloutState === 'IN_PROGRESS') {
      countFailure(deployment, clock.now());
      events.emit({ kind: 'deployment.failed_task', service: service.serviceName, deploymentId: deployment.id, failedTasks: deployment.failedTasks });
    }
    this.advanceStop(task, this.deps.runtime.status(task.taskArn));
  }

  private syncContainers(task: Task, status: TaskRuntimeStatus): void {
    let changed = false;
    if (status.pullStartedAt !== undefined && task.pullStartedAt === undefined) task.pullStartedAt = status.pullStartedAt;
    if (status.pullStoppedAt !== undefined && task.pullStoppedAt === undefined) task.pullStoppedAt = status.pullStoppedAt;
    for (const observed of status.containers) {
      const container = task.containers.find((c) => c.name === observed.name);
      if (!container) continue;
      const lastStatus = observed.state === 'pending' ? 'PENDING' : observed.state === 'running' ? 'RUNNING' : 'STOPPED';
      if (container.lastStatus !== lastStatus || container.healthStatus !== observed.health || container.exitCode !== observed.exitCode) changed = true;
      container.lastStatus = lastStatus;
      container.healthStatus = observed.health;
      container.networkBindings = observed.networkBindings;
      if (observed.exitCode !== undefined) container.exitCode = observed.exitCode;
      if (observed.reason !== undefined) container.reason = observed.reason;
    }
    if (status.phase === 'exited' && status.exited?.reason && task.stoppedReason === undefined) {
      // An OOM kill is reported on the container; ECS surfaces it as the task's reason too.
      const container = task.containers.find((c) => c.name === status.exited?.container);
      if (container) container.reason = status.exited.reason;
    }
    const health = this.taskHealth(task);
    if (health !== task.healthStatus) {
      task.healthStatus = health;
      changed = true;
      this.deps.events.emit({ kind: 'task.health', taskArn: task.taskArn, health });
    }
    if (changed) task.version += 1;
  }

  /** A task's health is its essential containers' health: any UNHEALTHY wins, all HEALTHY is HEALTHY. */
  private taskHealth(task: Task): HealthStatus {
    const definition = this.definitionOf(task);
    const checked = task.containers.filter((c) => {
      const def = definition.containerDefinitions.find((d) => d.name === c.name);
      return def?.healthCheck && def.essential !== false;
    });
    if (checked.length === 0) return 'UNKNOWN';
    if (checked.some((c) => c.healthStatus === 'UNHEALTHY')) return 'UNHEALTHY';
    if (checked.every((c) => c.healthStatus === 'HEALTHY')) return 'HEALTHY';
    return 'UNKNOWN';
  }

  private registerTargets(task: Task): void {
    for (const lb of this.loadBalancersOf(task)) {
      const binding = task.containers
        .find((c) => c.name === lb.containerName)
        ?.networkBindings.find((b) => b.containerPort === lb.containerPort);
      if (!binding) continue;
      this.deps.balancer.register(lb.targetGroupArn, {
        id: task.taskArn,
        port: binding.hostPort,
        taskDefinitionArn: task.taskDefinitionArn,
        serviceName: task.serviceName,
      });
    }
  }

  // ---- services: the scheduler

  private reconcileService(service: Service): void {
    const { state, clock, events } = this.deps;
    const now = clock.now();
    const live = this.liveTasks(service);

    if (service.status === 'DRAINING') {
      for (const task of live.filter((t) => !isStopping(t))) {
        this.stopTask(task, 'ServiceSchedulerInitiated', stoppedReason.scalingActivity(primaryOf(service.deployments)?.id ?? ''), false);
      }
      if (live.length === 0) {
        service.status = 'INACTIVE';
        service.deployments = [];
        events.emit({ kind: 'service.inactive', service: service.serviceName });
      }
      return;
    }

    const primary = primaryOf(service.deployments);
    if (!primary) return;
    const record = state.currentServiceDeployment(service);
    const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
    if (record?.status === 'ROLLBACK_REQUESTED') {
      // StopServiceDeployment ROLLBACK rolls back whether or not the service configured rollback.
      this.failPrimary(service, record, { kind: 'stop-deployment' }, true);
    } else if (primary.rolloutState === 'IN_PROGRESS' && breakerTrips(primary.failedTasks, primary.desiredCount, breaker)) {
      this.failPrimary(service, record, { kind: 'circuit-breaker' }, breaker.rollback);
    } else if (record) {
      const fired = triggeredAlarms(record, this.alarms);
      if (fired.length > 0) this.failPrimary(service, record, { kind: 'alarm', alarmNames: fired }, record.deploymentConfiguration.alarms?.rollback === true);
    }

    const current = primaryOf(service.deployments);
    if (!current) return;
    current.desiredCount = service.desiredCount;
    const schedulerTasks: SchedulerTask[] = live
      .filter((t) => !isStopping(t))
      .map((t) => ({ taskArn: t.taskArn, deploymentId: t.deploymentId ?? '', healthy: t.healthyAt !== undefined && this.isHealthy(t, service) }));
    const primaryId = current.rolloutState === 'FAILED' ? undefined : current.id;
    const plan = planRollout({
      desiredCount: service.desiredCount,
      maximumPercent: service.deploymentConfiguration.maximumPercent,
      minimumHealthyPercent: service.deploymentConfiguration.minimumHealthyPercent,
      primaryId,
      tasks: schedulerTasks,
    });

    if (plan.stop.length > 0) {
      const stopped: string[] = [];
      for (const arn of plan.stop) {
        const task = state.tasks.get(arn);
        if (!task) continue;
        this.stopTask(task, 'ServiceSchedulerInitiated', stoppedReason.scalingActivity(current.id), false);
        stopped.push(task.taskId);
      }
      state.addServiceEvent(service, serviceEvent.stoppedTasks(service.serviceName, stopped));
    }
    if (plan.launch > 0) this.launch(service, current.id, current.taskDefinition, plan.launch);

    const othersRemaining = live.filter((t) => t.deploymentId !== current.id).length;
    if (
      current.rolloutState === 'IN_PROGRESS' &&
      rolloutComplete({ desiredCount: service.desiredCount, primaryId, tasks: schedulerTasks }, othersRemaining) &&
      this.baked(service, state.currentServiceDeployment(service), now)
    ) {
      const finishing = state.currentServiceDeployment(service);
      if (finishing) succeed(finishing, now);
      service.deployments = completeDeployment(service.deployments, now);
      state.addServiceEvent(service, serviceEvent.deploymentCompleted(service.serviceName, current.id));
      state.addServiceEvent(service, serviceEvent.steadyState(service.serviceName));
      events.emit({ kind: 'deployment.state', service: service.serviceName, deploymentId: current.id, rolloutState: 'COMPLETED', taskDefinition: current.taskDefinition });
    }
  }

  private get alarms(): AlarmStates {
    return this.deps.alarms ?? noAlarms;
  }

  /**
   * A deployment with deployment alarms stays IN_PROGRESS for a bake time after its tasks are
   * steady, with the old deployment kept (scaled in) to roll back to; a rollback does not bake.
   */
  private baked(service: Service, record: ServiceDeployment | undefined, now: number): boolean {
    if (!record || record.status !== 'IN_PROGRESS') return true;
    const seconds = bakeSeconds(record, this.alarms);
    if (seconds === 0) return true;
    if (record.bakeUntil === undefined) {
      record.bakeUntil = now + scaled(this.deps.timing, seconds);
      record.updatedAt = now;
      this.deps.events.emit({ kind: 'deployment.bake', service: service.serviceName, deploymentId: record.deploymentId, bakeSeconds: seconds, until: record.bakeUntil });
    }
    return now >= record.bakeUntil;
  }

  /** Fails the PRIMARY deployment for `cause` and records it as ECS does: events, reasons, the service deployment. */
  private failPrimary(service: Service, record: ServiceDeployment | undefined, cause: FailureCause, rollback: boolean): void {
    const { state, events, clock } = this.deps;
    const now = clock.now();
    // A rollback that fails is not rolled back again: its service deployment is ROLLBACK_FAILED.
    const rollingBack = record?.status === 'ROLLBACK_IN_PROGRESS';
    const outcome = failDeployment(service.deployments, cause, rollback && !rollingBack, now);
    if (!outcome) {
      // Nothing IN_PROGRESS to fail (e.g. a stop request after the rollout FAILED): the request ends the record.
      if (record) fail(record, cause, { rollback }, now);
      return;
    }
    const target = outcome.kind === 'rolledBack' ? primaryOf(service.deployments) : undefined;
    if (record) fail(record, cause, { rollback, targetRevisionArn: target?.serviceRevisionArn }, now);
    state.addServiceEvent(service, serviceEvent.deploymentFailed(service.serviceName, outcome.failed, cause));
    events.emit({
      kind: 'deployment.state',
      service: service.serviceName,
      deploymentId: outcome.failed,
      rolloutState: 'FAILED',
      reason: cause.kind,
      ...(cause.kind === 'alarm' ? { alarmNames: cause.alarmNames } : {}),
    });
    if (target) {
      state.addServiceEvent(service, serviceEvent.rollingBack(service.serviceName, target.id));
      service.taskDefinition = target.taskDefinition;
      events.emit({ kind: 'deployment.rollback', service: service.serviceName, from: outcome.failed, to: target.id, taskDefinition: target.taskDefinition });
    }
  }

  private launch(service: Service, deploymentId: string, taskDefinitionArn: string, count: number): void {
    const { state, runtime, events } = this.deps;
    const cluster = this.clusterOf(service);
    const definition = state.taskDefinition(taskDefinitionArn);
    const started: string[] = [];
    for (let i = 0; i < count; i++) {
      const task = state.createTask(cluster, definition, { serviceName: service.serviceName, deploymentId, launchType: service.launchType });
      runtime.launch({ taskArn: task.taskArn, taskId: task.taskId, clusterName: cluster.clusterName, serviceName: service.serviceName, taskDefinition: definition });
      events.emit({ kind: 'task.launched', taskArn: task.taskArn, service: service.serviceName, deploymentId, taskDefinitionArn });
      started.push(task.taskId);
    }
    state.addServiceEvent(service, serviceEvent.startedTasks(service.serviceName, started));
  }

  // ---- lookups

  private setStatus(task: Task, lastStatus: Task['lastStatus']): void {
    if (task.lastStatus === lastStatus) return;
    const from = task.lastStatus;
    task.lastStatus = lastStatus;
    task.version += 1;
    this.deps.events.emit({ kind: 'task.status', taskArn: task.taskArn, from, to: lastStatus });
  }

  private liveTasks(service: Service): Task[] {
    return [...this.deps.state.tasks.values()].filter(
      (t) => t.clusterArn === service.clusterArn && t.serviceName === service.serviceName && t.lastStatus !== 'STOPPED',
    );
  }

  private serviceOf(task: Task): Service | undefined {
    if (!task.serviceName) return undefined;
    const cluster = this.deps.state.findCluster(task.clusterArn);
    return cluster ? this.deps.state.findService(cluster, task.serviceName) : undefined;
  }

  private clusterOf(service: Service): Cluster {
    return this.deps.state.cluster(service.clusterArn);
  }

  private loadBalancersOf(task: Task) {
    return this.serviceOf(task)?.loadBalancers ?? [];
  }

  private definitionOf(task: Task) {
    return this.deps.state.taskDefinition(task.taskDefinitionArn);
  }
}
