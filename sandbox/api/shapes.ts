// Internal records -> the JSON ECS puts on the wire.
//
// - Times: epoch milliseconds inside, epoch SECONDS as numbers outside (1709242525.051).
// - Internal fields (Task.healthyAt, countsAsFailure, serviceName, deploymentId, ...) never leave.
// - Counts ECS derives (runningCount, pendingCount, cluster task counts) are derived here from the
//   tasks in SandboxState.
// - Fields ECS always returns (empty lists, defaults such as a health check's interval) are filled in,
//   so clients that read them find what they would find on ECS. Undefined fields are dropped by
//   JSON.stringify, so an absent value is simply left undefined.

import type { SandboxState } from '../control/state.ts';
import type {
  Cluster,
  ContainerDefinition,
  Deployment,
  DeploymentConfiguration,
  Service,
  ServiceDeployment,
  ServiceRevision,
  Tag,
  Task,
  TaskDefinition,
} from '../control/model.ts';

export type Wire = Record<string, unknown>;

/** Epoch milliseconds -> epoch seconds, as ECS writes timestamps. */
export const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

const copyTags = (tags: Tag[]): Tag[] => tags.map((t) => ({ key: t.key, value: t.value }));

/** ECS's Fargate platform version when LATEST is asked for, and the family it reports. */
const FARGATE_PLATFORM_VERSION = '1.4.0';
const PLATFORM_FAMILY = 'Linux';

/** Tasks that ECS counts as pending: on their way to RUNNING and still wanted. */
const isPending = (t: Task): boolean =>
  t.desiredStatus === 'RUNNING' && (t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING' || t.lastStatus === 'ACTIVATING');
const isRunning = (t: Task): boolean => t.lastStatus === 'RUNNING';

interface Counts {
  running: number;
  pending: number;
}

const count = (tasks: Iterable<Task>): Counts => {
  let running = 0;
  let pending = 0;
  for (const t of tasks) {
    if (isRunning(t)) running += 1;
    else if (isPending(t)) pending += 1;
  }
  return { running, pending };
};

function* tasksOfService(state: SandboxState, service: Service): Iterable<Task> {
  for (const t of state.tasks.values()) {
    if (t.clusterArn === service.clusterArn && t.serviceName === service.serviceName) yield t;
  }
}

// ---- clusters

export const clusterShape = (state: SandboxState, cluster: Cluster, opts: { includeTags: boolean }): Wire => {
  let activeServicesCount = 0;
  for (const s of state.services.values()) {
    if (s.clusterArn === cluster.clusterArn && s.status === 'ACTIVE') activeServicesCount += 1;
  }
  const tasks = [...state.tasks.values()].filter((t) => t.clusterArn === cluster.clusterArn);
  const { running, pending } = count(tasks);
  return {
    clusterArn: cluster.clusterArn,
    clusterName: cluster.clusterName,
    status: cluster.status,
    registeredContainerInstancesCount: 0,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount,
    statistics: [],
    tags: opts.includeTags ? copyTags(cluster.tags) : undefined,
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
};

// ---- task definitions

const containerDefinitionShape = (c: ContainerDefinition, networkMode: string): Wire => {
  const awsvpcLike = networkMode === 'awsvpc' || networkMode === 'host';
  return {
    ...c,
    cpu: c.cpu ?? 0,
    essential: c.essential ?? true,
    portMappings: (c.portMappings ?? []).map((p) => ({
      ...p,
      // With awsvpc and host networking the host port is the container port; ECS fills it in.
      hostPort: p.hostPort ?? (awsvpcLike ? p.containerPort : undefined),
      protocol: p.protocol ?? 'tcp',
    })),
    environment: c.environment ?? [],
    mountPoints: (c['mountPoints'] as unknown[] | undefined) ?? [],
    volumesFrom: (c['volumesFrom'] as unknown[] | undefined) ?? [],
    systemControls: (c['systemControls'] as unknown[] | undefined) ?? [],
    healthCheck: c.healthCheck
      ? {
          ...c.healthCheck,
          interval: c.healthCheck.interval ?? 30,
          timeout: c.healthCheck.timeout ?? 5,
          retries: c.healthCheck.retries ?? 3,
        }
      : undefined,
  };
};

const compatibilities = (td: TaskDefinition, networkMode: string): string[] => {
  const out = ['EC2'];
  if (networkMode === 'awsvpc' && td.cpu !== undefined && td.memory !== undefined) out.push('FARGATE');
  for (const r of td.requiresCompatibilities ?? []) if (!out.includes(r)) out.push(r);
  return out;
};

/** The `taskDefinition` member of Register/Describe/DeregisterTaskDefinition; tags travel beside it. */
export const taskDefinitionShape = (state: SandboxState, td: TaskDefinition): Wire => {
  const { tags: _tags, registeredAt, deregisteredAt, containerDefinitions, ...rest } = td;
  const networkMode = td.networkMode ?? 'bridge';
  return {
    ...rest,
    taskDefinitionArn: td.taskDefinitionArn,
    containerDefinitions: containerDefinitions.map((c) => containerDefinitionShape(c, networkMode)),
    family: td.family,
    networkMode,
    revision: td.revision,
    volumes: (td['volumes'] as unknown[] | undefined) ?? [],
    status: td.status,
    requiresAttributes: [],
    placementConstraints: (td['placementConstraints'] as unknown[] | undefined) ?? [],
    compatibilities: compatibilities(td, networkMode),
    requiresCompatibilities: td.requiresCompatibilities,
    registeredAt: seconds(registeredAt),
    deregisteredAt: seconds(deregisteredAt),
    registeredBy: `arn:aws:iam::${state.partition.accountId}:root`,
  };
};

export const tagsShape = (tags: Tag[]): Tag[] => copyTags(tags);

// ---- services

const deploymentShape = (service: Service, d: Deployment, tasks: Task[]): Wire => {
  const { running, pending } = count(tasks.filter((t) => t.deploymentId === d.id));
  const fargate = d.launchType === 'FARGATE';
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition,
    desiredCount: d.desiredCount,
    pendingCount: pending,
    runningCount: running,
    failedTasks: d.failedTasks,
    createdAt: seconds(d.createdAt),
    updatedAt: seconds(d.updatedAt),
    launchType: d.launchType,
    platformVersion: fargate ? FARGATE_PLATFORM_VERSION : undefined,
    platformFamily: fargate ? PLATFORM_FAMILY : undefined,
    networkConfiguration: service.networkConfiguration,
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
};

const deploymentConfigurationShape = (dc: DeploymentConfiguration): Wire => ({
  deploymentCircuitBreaker: { ...dc.deploymentCircuitBreaker },
  maximumPercent: dc.maximumPercent,
  minimumHealthyPercent: dc.minimumHealthyPercent,
  alarms: dc.alarms ? { ...dc.alarms, alarmNames: [...dc.alarms.alarmNames] } : undefined,
  strategy: 'ROLLING',
});

export const serviceShape = (state: SandboxState, service: Service, opts: { includeTags: boolean }): Wire => {
  const tasks = [...tasksOfService(state, service)];
  const { running, pending } = count(tasks);
  const fargate = service.launchType === 'FARGATE';
  const dc = service.deploymentConfiguration;
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    clusterArn: service.clusterArn,
    loadBalancers: service.loadBalancers.map((lb) => ({ ...lb })),
    serviceRegistries: [],
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: running,
    pendingCount: pending,
    launchType: service.launchType,
    platformVersion: fargate ? 'LATEST' : undefined,
    platformFamily: fargate ? PLATFORM_FAMILY : undefined,
    taskDefinition: service.taskDefinition,
    deploymentConfiguration: deploymentConfigurationShape(dc),
    deployments: service.deployments.map((d) => deploymentShape(service, d, tasks)),
    roleArn: service.roleArn,
    events: service.events.map((e) => ({ id: e.id, createdAt: seconds(e.createdAt), message: e.message })),
    createdAt: seconds(service.createdAt),
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration: service.networkConfiguration,
    healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds,
    schedulingStrategy: service.schedulingStrategy,
    deploymentController: { ...service.deploymentController },
    tags: opts.includeTags ? copyTags(service.tags) : undefined,
    createdBy: service.createdBy,
    enableECSManagedTags: service.enableECSManagedTags ?? false,
    propagateTags: service.propagateTags ?? 'NONE',
    enableExecuteCommand: service.enableExecuteCommand ?? false,
  };
};

// ---- tasks

export const taskShape = (state: SandboxState, task: Task, opts: { includeTags: boolean }): Wire => {
  const fargate = task.launchType === 'FARGATE';
  return {
    attachments: [],
    attributes: [],
    availabilityZone: `${state.partition.region}a`,
    clusterArn: task.clusterArn,
    connectivity: 'CONNECTED',
    connectivityAt: seconds(task.createdAt),
    containers: task.containers.map((c) => ({
      containerArn: c.containerArn,
      taskArn: task.taskArn,
      name: c.name,
      image: c.image,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
      networkBindings: c.networkBindings.map((b) => ({ ...b })),
      networkInterfaces: [],
      healthStatus: c.healthStatus,
      cpu: c.cpu ?? '0',
      memory: c.memory,
    })),
    cpu: task.cpu,
    createdAt: seconds(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    ephemeralStorage: fargate ? { sizeInGiB: 20 } : undefined,
    executionStoppedAt: seconds(task.executionStoppedAt),
    group: task.group,
    healthStatus: task.healthStatus,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: task.memory,
    overrides: {
      containerOverrides: task.containers.map((c) => ({ name: c.name })),
      inferenceAcceleratorOverrides: [],
    },
    platformVersion: fargate ? FARGATE_PLATFORM_VERSION : undefined,
    platformFamily: fargate ? PLATFORM_FAMILY : undefined,
    pullStartedAt: seconds(task.pullStartedAt),
    pullStoppedAt: seconds(task.pullStoppedAt),
    startedAt: seconds(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: seconds(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: seconds(task.stoppingAt),
    tags: opts.includeTags ? copyTags(task.tags) : undefined,
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    version: task.version,
  };
};

/** `{arn, reason: 'MISSING'}` for each thing Describe* could not find, as ECS reports it. */
export const missing = (arn: string): Wire => ({ arn, reason: 'MISSING' });

// ---- service deployments and revisions

/** ListServiceDeployments' brief of one service deployment. */
export const serviceDeploymentBriefShape = (r: ServiceDeployment): Wire => ({
  serviceDeploymentArn: r.serviceDeploymentArn,
  serviceArn: r.serviceArn,
  clusterArn: r.clusterArn,
  startedAt: seconds(r.startedAt),
  createdAt: seconds(r.createdAt),
  finishedAt: seconds(r.finishedAt),
  targetServiceRevisionArn: r.targetServiceRevisionArn,
  status: r.status,
  statusReason: r.statusReason,
});

/** The deployments[] id a revision was made for: its ARN ends in the id's digits (state.ts). */
const deploymentIdOf = (revisionArn: string): string => `ecs-svc/${revisionArn.slice(revisionArn.lastIndexOf('/') + 1)}`;

const revisionSummary = (state: SandboxState, r: ServiceDeployment, revisionArn: string): Wire => {
  const id = deploymentIdOf(revisionArn);
  const service = state.services.get(r.serviceArn);
  const tasks = service ? [...tasksOfService(state, service)].filter((t) => t.deploymentId === id) : [];
  const { running, pending } = count(tasks);
  const deployment = service?.deployments.find((d) => d.id === id);
  return { arn: revisionArn, requestedTaskCount: deployment?.desiredCount ?? 0, runningTaskCount: running, pendingTaskCount: pending };
};

export const serviceDeploymentShape = (state: SandboxState, r: ServiceDeployment): Wire => ({
  serviceDeploymentArn: r.serviceDeploymentArn,
  serviceArn: r.serviceArn,
  clusterArn: r.clusterArn,
  createdAt: seconds(r.createdAt),
  startedAt: seconds(r.startedAt),
  finishedAt: seconds(r.finishedAt),
  stoppedAt: seconds(r.stoppedAt),
  updatedAt: seconds(r.updatedAt),
  sourceServiceRevisions: r.sourceServiceRevisionArns.map((arn) => revisionSummary(state, r, arn)),
  targetServiceRevision: revisionSummary(state, r, r.targetServiceRevisionArn),
  status: r.status,
  statusReason: r.statusReason,
  deploymentConfiguration: deploymentConfigurationShape(r.deploymentConfiguration),
  rollback: r.rollback ? { reason: r.rollback.reason, startedAt: seconds(r.rollback.startedAt), serviceRevisionArn: r.rollback.serviceRevisionArn } : undefined,
  deploymentCircuitBreaker: {
    status: r.circuitBreaker.status,
    failureCount: state.services.get(r.serviceArn)?.deployments.find((d) => d.id === r.deploymentId)?.failedTasks ?? 0,
    threshold: r.circuitBreaker.threshold,
  },
  alarms: { status: r.alarms.status, alarmNames: [...r.alarms.alarmNames], triggeredAlarmNames: [...r.alarms.triggeredAlarmNames] },
});

export const serviceRevisionShape = (r: ServiceRevision): Wire => {
  const fargate = r.launchType === 'FARGATE';
  return {
    serviceRevisionArn: r.serviceRevisionArn,
    serviceArn: r.serviceArn,
    clusterArn: r.clusterArn,
    taskDefinition: r.taskDefinition,
    launchType: r.launchType,
    platformVersion: fargate ? FARGATE_PLATFORM_VERSION : undefined,
    platformFamily: fargate ? PLATFORM_FAMILY : undefined,
    loadBalancers: r.loadBalancers.map((lb) => ({ ...lb })),
    serviceRegistries: [],
    networkConfiguration: r.networkConfiguration,
    containerImages: r.containerImages.map((c) => ({ ...c })),
    guardDutyEnabled: false,
    createdAt: seconds(r.createdAt),
  };
};
