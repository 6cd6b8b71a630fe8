// The sandbox's desired and actual state, and the API-facing mutations on it. The API layer
// validates wire input and calls these; the controller reads services and writes tasks.
// Pure: the clock and the id source are injected.

import { clusterArn, nameFromArn, parseTaskDefinitionRef, serviceArn, serviceDeploymentArn, serviceRevisionArn, taskArn, taskDefinitionArn, containerArn } from './arns.ts';
import { failureThreshold } from '../../lib/circuit-breaker-threshold.ts';
import type { Partition } from './arns.ts';
import { clientError, clusterNotFound, invalidParameter, serviceNotFound, EcsError } from './errors.ts';
import { newDeployment } from './deployments.ts';
import { isFinished, newServiceDeployment, requestRollback, supersede } from './service-deployments.ts';
import type {
  Cluster,
  ContainerDefinition,
  DeploymentConfiguration,
  LoadBalancerRef,
  Service,
  ServiceDeployment,
  ServiceDeploymentStatus,
  ServiceRevision,
  Tag,
  Task,
  TaskDefinition,
} from './model.ts';
import type { Clock } from './ports.ts';

export interface Ids {
  /** `ecs-svc/` followed by 19 digits. */
  deploymentId(): string;
  /** 32 hex characters, as ECS task ids. */
  taskId(): string;
  uuid(): string;
}

export interface TaskDefinitionInput {
  family: string;
  containerDefinitions: ContainerDefinition[];
  [extra: string]: unknown;
}

export interface CreateServiceInput {
  serviceName: string;
  taskDefinition: string;
  desiredCount: number;
  launchType?: string;
  deploymentConfiguration?: Partial<Omit<DeploymentConfiguration, 'deploymentCircuitBreaker'>> & {
    deploymentCircuitBreaker?: DeploymentConfiguration['deploymentCircuitBreaker'];
  };
  loadBalancers?: LoadBalancerRef[];
  healthCheckGracePeriodSeconds?: number;
  networkConfiguration?: unknown;
  tags?: Tag[];
  [extra: string]: unknown;
}

export interface UpdateServiceInput {
  taskDefinition?: string;
  desiredCount?: number;
  deploymentConfiguration?: CreateServiceInput['deploymentConfiguration'];
  forceNewDeployment?: boolean;
  healthCheckGracePeriodSeconds?: number;
  loadBalancers?: LoadBalancerRef[];
}

export interface ListTasksFilter {
  serviceName?: string;
  family?: string;
  desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED';
  startedBy?: string;
}

/** How many stopped tasks a cluster remembers; ECS keeps them for about an hour. */
const STOPPED_TASKS_KEPT = 200;
const EVENTS_KEPT = 100;

export class SandboxState {
  readonly clusters = new Map<string, Cluster>();
  /** family -> revisions, index = revision - 1. */
  readonly taskDefinitions = new Map<string, TaskDefinition[]>();
  /** service ARN -> service. */
  readonly services = new Map<string, Service>();
  /** task ARN -> task. */
  readonly tasks = new Map<string, Task>();
  /** Service deployment ARN -> record, oldest first; kept after the service is gone, as ECS keeps them. */
  readonly serviceDeployments = new Map<string, ServiceDeployment>();
  /** Service revision ARN -> revision. */
  readonly serviceRevisions = new Map<string, ServiceRevision>();

  constructor(
    readonly partition: Partition,
    private readonly clock: Clock,
    readonly ids: Ids,
    /** Target group ARNs a service may name; ECS rejects unknown ones. */
    private readonly targetGroupExists: (arn: string) => boolean = () => true,
  ) {}

  // ---- clusters

  createCluster(name = 'default', tags: Tag[] = []): Cluster {
    const existing = this.clusters.get(name);
    if (existing && existing.status === 'ACTIVE') return existing;
    const cluster: Cluster = {
      clusterArn: clusterArn(this.partition, name),
      clusterName: name,
      status: 'ACTIVE',
      tags,
      createdAt: this.clock.now(),
    };
    this.clusters.set(name, cluster);
    return cluster;
  }

  /** Resolves a cluster by name or ARN; the default cluster when none is given, as ECS does. */
  cluster(ref: string | undefined): Cluster {
    const name = nameFromArn(ref ?? 'default');
    const cluster = this.clusters.get(name);
    if (!cluster || cluster.status !== 'ACTIVE') throw clusterNotFound();
    return cluster;
  }

  findCluster(ref: string): Cluster | undefined {
    return this.clusters.get(nameFromArn(ref));
  }

  deleteCluster(ref: string): Cluster {
    const cluster = this.cluster(ref);
    const active = [...this.services.values()].some((s) => s.clusterArn === cluster.clusterArn && s.status !== 'INACTIVE');
    if (active) {
      throw new EcsError('ClientException', 'The Cluster cannot be deleted while Services are active.');
    }
    cluster.status = 'INACTIVE';
    return cluster;
  }

  // ---- task definitions

  registerTaskDefinition(input: TaskDefinitionInput): TaskDefinition {
    const { family, containerDefinitions, tags, ...rest } = input;
    const revisions = this.taskDefinitions.get(family) ?? [];
    const revision = revisions.length + 1;
    const definition: TaskDefinition = {
      ...rest,
      taskDefinitionArn: taskDefinitionArn(this.partition, family, revision),
      family,
      revision,
      status: 'ACTIVE',
      containerDefinitions: containerDefinitions.map((c) => ({ essential: true, ...c })),
      registeredAt: this.clock.now(),
      tags: (tags as Tag[] | undefined) ?? [],
    };
    revisions.push(definition);
    this.taskDefinitions.set(family, revisions);
    return definition;
  }

  /**
   * `family` (latest ACTIVE revision), `family:revision` or an ARN. An INACTIVE revision is
   * still described, as ECS does; `requireActive` is for launching new tasks from it.
   */
  taskDefinition(ref: string, requireActive = false): TaskDefinition {
    const { family, revision } = parseTaskDefinitionRef(ref);
    const revisions = this.taskDefinitions.get(family) ?? [];
    const found =
      revision === undefined
        ? [...revisions].reverse().find((d) => d.status === 'ACTIVE')
        : revisions[revision - 1];
    if (!found) throw clientError('Unable to describe task definition.');
    if (requireActive && found.status !== 'ACTIVE') {
      throw clientError(`TaskDefinition is inactive (${found.family}:${found.revision})`);
    }
    return found;
  }

  deregisterTaskDefinition(ref: string): TaskDefinition {
    const { revision } = parseTaskDefinitionRef(ref);
    if (revision === undefined) {
      throw clientError('Invalid revision number. Number: ' + ref);
    }
    const definition = this.taskDefinition(ref);
    if (definition.status === 'ACTIVE') {
      definition.status = 'INACTIVE';
      definition.deregisteredAt = this.clock.now();
    }
    return definition;
  }

  listTaskDefinitions(filter: { familyPrefix?: string; status?: 'ACTIVE' | 'INACTIVE'; sort?: 'ASC' | 'DESC' }): string[] {
    const status = filter.status ?? 'ACTIVE';
    const arns = [...this.taskDefinitions.values()]
      .flat()
      .filter((d) => d.status === status && (!filter.familyPrefix || d.family.startsWith(filter.familyPrefix)))
      .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision)
      .map((d) => d.taskDefinitionArn);
    return filter.sort === 'DESC' ? arns.reverse() : arns;
  }

  // ---- services

  createService(clusterRef: string | undefined, input: CreateServiceInput): Service {
    const cluster = this.cluster(clusterRef);
    const arn = serviceArn(this.partition, cluster.clusterName, input.serviceName);
    const existing = this.services.get(arn);
    if (existing && existing.status !== 'INACTIVE') {
      throw invalidParameter('Creation of service was not idempotent.');
    }
    const definition = this.taskDefinition(input.taskDefinition, true);
    const loadBalancers = input.loadBalancers ?? [];
    this.checkLoadBalancers(loadBalancers, definition);
    const now = this.clock.now();
    const launchType = input.launchType ?? 'FARGATE';
    const service: Service = {
      serviceArn: arn,
      serviceName: input.serviceName,
      clusterArn: cluster.clusterArn,
      status: 'ACTIVE',
      taskDefinition: definition.taskDefinitionArn,
      desiredCount: input.desiredCount,
      launchType,
      schedulingStrategy: 'REPLICA',
      deploymentConfiguration: mergeDeploymentConfiguration(undefined, input.deploymentConfiguration),
      deploymentController: { type: 'ECS' },
      loadBalancers,
      healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
      networkConfiguration: input.networkConfiguration,
      deployments: [],
      events: [],
      createdAt: now,
      createdBy: `arn:aws:iam::${this.partition.accountId}:root`,
      tags: input.tags ?? [],
    };
    this.services.set(arn, service);
    this.startDeployment(service, cluster, definition, now);
    return service;
  }

  service(clusterRef: string | undefined, serviceRef: string): Service {
    const cluster = this.cluster(clusterRef);
    const service = this.findService(cluster, serviceRef);
    if (!service) throw serviceNotFound();
    return service;
  }

  findService(cluster: Cluster, serviceRef: string): Service | undefined {
    return this.services.get(serviceArn(this.partition, cluster.clusterName, nameFromArn(serviceRef)));
  }

  updateService(clusterRef: string | undefined, serviceRef: string, input: UpdateServiceInput): Service {
    const service = this.service(clusterRef, serviceRef);
    if (service.status !== 'ACTIVE') {
      throw new EcsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    }
    const definition = input.taskDefinition ? this.taskDefinition(input.taskDefinition, true) : undefined;
    if (input.loadBalancers) this.checkLoadBalancers(input.loadBalancers, definition ?? this.taskDefinition(service.taskDefinition));
    const now = this.clock.now();
    if (input.deploymentConfiguration) {
      service.deploymentConfiguration = mergeDeploymentConfiguration(service.deploymentConfiguration, input.deploymentConfiguration);
    }
    if (input.healthCheckGracePeriodSeconds !== undefined) service.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
    if (input.loadBalancers) service.loadBalancers = input.loadBalancers;
    if (input.desiredCount !== undefined) service.desiredCount = input.desiredCount;

    const changesRelease = definition !== undefined && definition.taskDefinitionArn !== service.taskDefinition;
    if (changesRelease || input.forceNewDeployment) {
      const target = definition ?? this.taskDefinition(service.taskDefinition);
      for (const d of service.deployments) {
        if (d.status === 'PRIMARY') {
          d.status = 'ACTIVE';
          d.updatedAt = now;
        }
      }
      service.taskDefinition = target.taskDefinitionArn;
      this.startDeployment(service, this.cluster(service.clusterArn), target, now);
    } else if (input.desiredCount !== undefined) {
      const primary = service.deployments.find((d) => d.status === 'PRIMARY');
      if (primary) {
        primary.desiredCount = input.desiredCount;
        primary.updatedAt = now;
      }
    }
    return service;
  }

  deleteService(clusterRef: string | undefined, serviceRef: string, force: boolean): Service {
    const service = this.service(clusterRef, serviceRef);
    if (service.status !== 'ACTIVE') throw new EcsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    if (service.desiredCount > 0 && !force) {
      throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
    }
    service.desiredCount = 0;
    for (const d of service.deployments) d.desiredCount = 0;
    service.status = 'DRAINING';
    const current = this.currentServiceDeployment(service);
    if (current) supersede(current, this.clock.now());
    return service;
  }

  listServices(clusterRef: string | undefined): string[] {
    const cluster = this.cluster(clusterRef);
    return [...this.services.values()]
      .filter((s) => s.clusterArn === cluster.clusterArn && s.status !== 'INACTIVE')
      .map((s) => s.serviceArn);
  }

  /**
   * A new deployments[] entry and its service deployment: the revision it runs, the revisions
   * that had tasks, and the deployment it supersedes (stopped where it is, as ECS stops it).
   */
  private startDeployment(service: Service, cluster: Cluster, definition: TaskDefinition, now: number): void {
    const id = this.ids.deploymentId();
    const revisionArn = serviceRevisionArn(this.partition, cluster.clusterName, service.serviceName, id.replace(/^ecs-svc\//, ''));
    this.serviceRevisions.set(revisionArn, {
      serviceRevisionArn: revisionArn,
      serviceArn: service.serviceArn,
      clusterArn: service.clusterArn,
      taskDefinition: definition.taskDefinitionArn,
      launchType: service.launchType,
      loadBalancers: service.loadBalancers.map((lb) => ({ ...lb })),
      networkConfiguration: service.networkConfiguration,
      containerImages: definition.containerDefinitions.map((c) => ({ containerName: c.name, image: c.image })),
      createdAt: now,
    });
    const sources = service.deployments.filter((d) => d.status !== 'INACTIVE' && this.liveTaskCount(service, d.id) > 0).map((d) => d.serviceRevisionArn);
    const previous = this.currentServiceDeployment(service);
    if (previous) supersede(previous, now);
    const deployment = newDeployment({ id, taskDefinition: definition.taskDefinitionArn, desiredCount: service.desiredCount, launchType: service.launchType, serviceRevisionArn: revisionArn, now });
    service.deployments.unshift(deployment);
    const record = newServiceDeployment({
      arn: serviceDeploymentArn(this.partition, cluster.clusterName, service.serviceName, this.serviceDeploymentId()),
      serviceArn: service.serviceArn,
      clusterArn: service.clusterArn,
      deployment,
      sourceServiceRevisionArns: [...new Set(sources)],
      deploymentConfiguration: service.deploymentConfiguration,
      breakerThreshold: failureThreshold(service.desiredCount, service.deploymentConfiguration.deploymentCircuitBreaker),
      now,
    });
    this.serviceDeployments.set(record.serviceDeploymentArn, record);
  }

  /** ECS's service deployment ids are 21 URL-safe characters (e.g. NCWGC2ZR-taawPAYrIaU5). */
  private serviceDeploymentId(): string {
    return this.ids.uuid().replace(/-/g, '').slice(-21);
  }

  private liveTaskCount(service: Service, deploymentId: string): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.serviceName === service.serviceName && t.clusterArn === service.clusterArn && t.deploymentId === deploymentId && t.lastStatus !== 'STOPPED') n += 1;
    return n;
  }

  /** The service's deployment that has not finished yet, if any: at most one at a time. */
  currentServiceDeployment(service: Service): ServiceDeployment | undefined {
    let found: ServiceDeployment | undefined;
    for (const record of this.serviceDeployments.values()) {
      if (record.serviceArn === service.serviceArn && !isFinished(record)) found = record;
    }
    return found;
  }

  /** ListServiceDeployments: newest first, as ECS lists them. */
  listServiceDeployments(clusterRef: string | undefined, serviceRef: string, filter: { status?: ServiceDeploymentStatus[]; createdAfter?: number; createdBefore?: number }): ServiceDeployment[] {
    const cluster = this.cluster(clusterRef);
    const arn = serviceArn(this.partition, cluster.clusterName, nameFromArn(serviceRef));
    if (!this.services.has(arn)) throw serviceNotFound();
    return [...this.serviceDeployments.values()]
      .filter((r) => r.serviceArn === arn)
      .filter((r) => !filter.status || filter.status.includes(r.status))
      .filter((r) => filter.createdAfter === undefined || r.createdAt >= filter.createdAfter)
      .filter((r) => filter.createdBefore === undefined || r.createdAt <= filter.createdBefore)
      .reverse();
  }

  serviceDeployment(arn: string): ServiceDeployment {
    const record = this.serviceDeployments.get(arn);
    if (!record) throw new EcsError('ServiceDeploymentNotFoundException', `The service deployment ${arn} does not exist: ListServiceDeployments lists a service's deployment ARNs.`);
    return record;
  }

  /**
   * StopServiceDeployment. ROLLBACK works whether or not the service configured rollback; the
   * scheduler carries it out on its next pass. ABORT belongs to blue/green deployments, which
   * the sandbox does not run.
   */
  stopServiceDeployment(arn: string, stopType: 'ROLLBACK' | 'ABORT'): ServiceDeployment {
    const record = this.serviceDeployment(arn);
    if (stopType === 'ABORT') throw invalidParameter('The ABORT stop type is not supported for rolling update (ECS) deployments; use ROLLBACK.');
    if (record.status === 'ROLLBACK_REQUESTED' || record.status === 'ROLLBACK_IN_PROGRESS') return record;
    if (record.status !== 'IN_PROGRESS' && record.status !== 'PENDING') {
      throw new EcsError('ConflictException', `The service deployment is ${record.status}; only a deployment that is PENDING or IN_PROGRESS can be stopped.`);
    }
    requestRollback(record, this.clock.now());
    return record;
  }

  addServiceEvent(service: Service, message: string): void {
    service.events.unshift({ id: this.ids.uuid(), createdAt: this.clock.now(), message });
    if (service.events.length > EVENTS_KEPT) service.events.length = EVENTS_KEPT;
  }

  // ---- tasks

  createTask(cluster: Cluster, definition: TaskDefinition, launch: { serviceName?: string; deploymentId?: string; launchType: string; group?: string }): Task {
    const id = this.ids.taskId();
    const now = this.clock.now();
    const task: Task = {
      taskArn: taskArn(this.partition, cluster.clusterName, id),
      taskId: id,
      clusterArn: cluster.clusterArn,
      taskDefinitionArn: definition.taskDefinitionArn,
      group: launch.group ?? (launch.serviceName ? `service:${launch.serviceName}` : `family:${definition.family}`),
      startedBy: launch.deploymentId,
      serviceName: launch.serviceName,
      deploymentId: launch.deploymentId,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      launchType: launch.launchType,
      containers: definition.containerDefinitions.map((c) => ({
        containerArn: containerArn(this.partition, cluster.clusterName, id, this.ids.uuid()),
        name: c.name,
        image: c.image,
        lastStatus: 'PENDING',
        healthStatus: 'UNKNOWN',
        networkBindings: [],
        memory: c.memory === undefined ? undefined : String(c.memory),
        cpu: c.cpu === undefined ? undefined : String(c.cpu),
      })),
      cpu: definition.cpu,
      memory: definition.memory,
      createdAt: now,
      tags: [],
      version: 1,
    };
    this.tasks.set(task.taskArn, task);
    return task;
  }

  task(clusterRef: string | undefined, taskRef: string): Task | undefined {
    const cluster = this.cluster(clusterRef);
    const id = nameFromArn(taskRef);
    return this.tasks.get(taskArn(this.partition, cluster.clusterName, id));
  }

  listTasks(clusterRef: string | undefined, filter: ListTasksFilter): string[] {
    const cluster = this.cluster(clusterRef);
    const wantStopped = filter.desiredStatus === 'STOPPED';
    return [...this.tasks.values()]
      .filter((t) => t.clusterArn === cluster.clusterArn)
      .filter((t) => (wantStopped ? t.desiredStatus === 'STOPPED' : t.desiredStatus !== 'STOPPED'))
      .filter((t) => !filter.serviceName || t.serviceName === nameFromArn(filter.serviceName))
      .filter((t) => !filter.family || t.taskDefinitionArn.includes(`task-definition/${filter.family}:`))
      .filter((t) => !filter.startedBy || t.startedBy === filter.startedBy)
      .map((t) => t.taskArn);
  }

  /** Asks for a task to stop; the controller drains and stops it. */
  requestStop(task: Task, stopCode: Task['stopCode'], reason: string, countsAsFailure = false): void {
    if (task.desiredStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.countsAsFailure = countsAsFailure;
    task.stoppingAt = this.clock.now();
    task.version += 1;
  }

  /** Forgets the oldest stopped tasks of a cluster beyond what ECS would still show. */
  pruneStoppedTasks(): void {
    const stopped = [...this.tasks.values()].filter((t) => t.lastStatus === 'STOPPED').sort((a, b) => (a.stoppedAt ?? 0) - (b.stoppedAt ?? 0));
    for (const t of stopped.slice(0, Math.max(0, stopped.length - STOPPED_TASKS_KEPT))) this.tasks.delete(t.taskArn);
  }

  // ---- tags

  resourceTags(arn: string): Tag[] {
    const resource = this.resourceByArn(arn);
    if (!resource) throw invalidParameter('The specified resource could not be found.');
    return resource.tags;
  }

  tagResource(arn: string, tags: Tag[]): void {
    const resource = this.resourceByArn(arn);
    if (!resource) throw invalidParameter('The specified resource could not be found.');
    for (const tag of tags) {
      const existing = resource.tags.find((t) => t.key === tag.key);
      if (existing) existing.value = tag.value;
      else resource.tags.push({ ...tag });
    }
  }

  untagResource(arn: string, keys: string[]): void {
    const resource = this.resourceByArn(arn);
    if (!resource) throw invalidParameter('The specified resource could not be found.');
    resource.tags = resource.tags.filter((t) => !keys.includes(t.key));
  }

  private resourceByArn(arn: string): { tags: Tag[] } | undefined {
    if (arn.includes(':cluster/')) return [...this.clusters.values()].find((c) => c.clusterArn === arn);
    if (arn.includes(':service/')) return this.services.get(arn);
    if (arn.includes(':task/')) return this.tasks.get(arn);
    if (arn.includes(':task-definition/')) {
      try {
        return this.taskDefinition(arn);
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  private checkLoadBalancers(loadBalancers: LoadBalancerRef[], definition: TaskDefinition): void {
    for (const lb of loadBalancers) {
      if (!this.targetGroupExists(lb.targetGroupArn)) {
        throw invalidParameter(`The target group with targetGroupArn ${lb.targetGroupArn} does not exist.`);
      }
      const container = definition.containerDefinitions.find((c) => c.name === lb.containerName);
      if (!container) {
        throw invalidParameter(`The container ${lb.containerName} does not exist in the task definition.`);
      }
      if (!(container.portMappings ?? []).some((p) => p.containerPort === lb.containerPort)) {
        throw invalidParameter(
          `The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`,
        );
      }
    }
  }
}

/** ECS's defaults for a REPLICA service, with whatever the caller set on top. */
export const mergeDeploymentConfiguration = (
  current: DeploymentConfiguration | undefined,
  input: CreateServiceInput['deploymentConfiguration'],
): DeploymentConfiguration => ({
  maximumPercent: input?.maximumPercent ?? current?.maximumPercent ?? 200,
  minimumHealthyPercent: input?.minimumHealthyPercent ?? current?.minimumHealthyPercent ?? 100,
  deploymentCircuitBreaker: input?.deploymentCircuitBreaker ?? current?.deploymentCircuitBreaker ?? { enable: false, rollback: false },
  ...(input?.alarms ?? current?.alarms ? { alarms: input?.alarms ?? current?.alarms } : {}),
});
