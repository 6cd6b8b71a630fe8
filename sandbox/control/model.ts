// The sandbox's state, shaped like ECS's own resources so the API layer only has to
// convert times (epoch ms here, epoch seconds on the wire) and drop internal fields.
// Everything in control/ is pure: no I/O, the clock and ids are injected.

export type Millis = number;

export interface KeyValuePair {
  name: string;
  value: string;
}

export interface Tag {
  key: string;
  value: string;
}

export interface Cluster {
  clusterArn: string;
  clusterName: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tag[];
  createdAt: Millis;
}

export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  protocol?: 'tcp' | 'udp';
  name?: string;
}

export interface ContainerHealthCheck {
  command: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
}

export interface Secret {
  name: string;
  valueFrom: string;
}

export interface ContainerDefinition {
  name: string;
  image: string;
  essential?: boolean;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  command?: string[];
  entryPoint?: string[];
  environment?: KeyValuePair[];
  secrets?: Secret[];
  portMappings?: PortMapping[];
  healthCheck?: ContainerHealthCheck;
  stopTimeout?: number;
  // Other ECS fields are accepted and echoed back untouched.
  [extra: string]: unknown;
}

export interface TaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
  containerDefinitions: ContainerDefinition[];
  networkMode?: string;
  cpu?: string;
  memory?: string;
  requiresCompatibilities?: string[];
  executionRoleArn?: string;
  taskRoleArn?: string;
  registeredAt: Millis;
  deregisteredAt?: Millis;
  tags: Tag[];
  [extra: string]: unknown;
}

export interface CircuitBreakerConfig {
  enable: boolean;
  rollback: boolean;
  resetOnHealthyTask?: boolean;
  thresholdConfiguration?: { type: 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT' | 'COUNT'; value: number };
}

export interface DeploymentConfiguration {
  maximumPercent: number;
  minimumHealthyPercent: number;
  deploymentCircuitBreaker: CircuitBreakerConfig;
  alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
}

export interface LoadBalancerRef {
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
  loadBalancerName?: string;
}

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface Deployment {
  id: string;
  status: DeploymentStatus;
  taskDefinition: string;
  desiredCount: number;
  failedTasks: number;
  createdAt: Millis;
  updatedAt: Millis;
  launchType: string;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** The service revision this deployment runs (internal; DescribeServices does not show it). */
  serviceRevisionArn: string;
}

export interface ServiceEvent {
  id: string;
  createdAt: Millis;
  message: string;
}

export interface Service {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  launchType: string;
  schedulingStrategy: 'REPLICA';
  deploymentConfiguration: DeploymentConfiguration;
  deploymentController: { type: 'ECS' };
  loadBalancers: LoadBalancerRef[];
  healthCheckGracePeriodSeconds?: number;
  networkConfiguration?: unknown;
  deployments: Deployment[];
  events: ServiceEvent[];
  createdAt: Millis;
  createdBy?: string;
  roleArn?: string;
  propagateTags?: string;
  enableECSManagedTags?: boolean;
  enableExecuteCommand?: boolean;
  tags: Tag[];
}

export type TaskLastStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export type StopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice'
  | 'InfrastructureHealth';

export interface NetworkBinding {
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp';
}

export interface Container {
  containerArn: string;
  name: string;
  image: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  exitCode?: number;
  reason?: string;
  healthStatus: HealthStatus;
  networkBindings: NetworkBinding[];
  memory?: string;
  cpu?: string;
}

export interface Task {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  taskDefinitionArn: string;
  group: string;
  startedBy?: string;
  /** The service and deployment that launched the task; absent for RunTask-style tasks. */
  serviceName?: string;
  deploymentId?: string;
  lastStatus: TaskLastStatus;
  desiredStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  launchType: string;
  containers: Container[];
  cpu?: string;
  memory?: string;
  createdAt: Millis;
  pullStartedAt?: Millis;
  pullStoppedAt?: Millis;
  startedAt?: Millis;
  /** When the task first counted as healthy for its deployment (internal). */
  healthyAt?: Millis;
  stoppingAt?: Millis;
  executionStoppedAt?: Millis;
  stoppedAt?: Millis;
  stopCode?: StopCode;
  stoppedReason?: string;
  /** Whether a stop counts against the deployment's circuit breaker (internal). */
  countsAsFailure?: boolean;
  tags: Tag[];
  version: number;
}

// ---- the service-deployments API (ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions)

/** What a deployment runs: ECS's service revision, recorded once when the deployment is created. */
export interface ServiceRevision {
  serviceRevisionArn: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinition: string;
  launchType: string;
  loadBalancers: LoadBalancerRef[];
  networkConfiguration?: unknown;
  containerImages: Array<{ containerName: string; image: string }>;
  createdAt: Millis;
}

export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

export type MonitorStatus = 'TRIGGERED' | 'MONITORING' | 'MONITORING_COMPLETE' | 'DISABLED';

/**
 * One service deployment: ECS's record of taking the service from its source revisions to a
 * target revision. ECS keeps it after the deployment ends (90 days), so it outlives the
 * service's deployments[] entry.
 */
export interface ServiceDeployment {
  serviceDeploymentArn: string;
  serviceArn: string;
  clusterArn: string;
  /** The deployments[] entry (ecs-svc/...) that carries it out; a rollback hands over to another. */
  deploymentId: string;
  createdAt: Millis;
  startedAt: Millis;
  updatedAt: Millis;
  finishedAt?: Millis;
  stoppedAt?: Millis;
  /** Revisions that had tasks when the deployment started. */
  sourceServiceRevisionArns: string[];
  targetServiceRevisionArn: string;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  deploymentConfiguration: DeploymentConfiguration;
  rollback?: { reason: string; startedAt: Millis; serviceRevisionArn: string };
  circuitBreaker: { status: MonitorStatus; threshold: number };
  alarms: { status: MonitorStatus; alarmNames: string[]; triggeredAlarmNames: string[] };
  /** Once the tasks are steady, the deployment bakes until then while its alarms are watched (internal). */
  bakeUntil?: Millis;
}
