// The sandbox's event log, typed: every kind of event it writes and the fields each one carries.
// The writers (the controller, the API server, the runtime, the load balancer, the composition
// root) emit through EventSink (ports.ts), which takes exactly these shapes, and the reader
// (readEventLog in ../event-log.ts) hands them back as SandboxEvent: one definition for both, so
// they cannot drift. A field a test or the bench reads that no writer sets is a compile error.
//
// Pure types (and the list of kinds the reader checks against): no I/O, nothing from outside
// control/. Where a writer's own type carries the field (the API faults, the listeners), the one
// here is its shape as logged; the emitting code compiles only while its value fits.

import type { HealthStatus, Millis, StopCode, TaskLastStatus } from './model.ts';
import type { TargetState } from './ports.ts';

/** Who made an API call: the user-agent's leading token, and whether it was firedrill. */
export interface ApiCaller {
  /** The user-agent's leading product token: `aws-sdk-js/3.1163.0`, `aws-cli/2.17.0`, `curl/8.5.0`. */
  client: string;
  /** The call carries firedrill's `firedrill/<version>` user-agent token: the harness made it. */
  firedrill: boolean;
  /** The SDK's `amz-sdk-invocation-id`: the same for every attempt of one call, so retries can be told apart from calls. */
  invocationId?: string;
  /** The attempt number from `amz-sdk-request: attempt=N; max=M`. */
  attempt?: number;
}

/** An injected API fault that answers the call (sandbox/api/faults.ts). */
export type ApiFaultKind = 'throttle' | 'error' | 'applied' | 'unavailable';

/** The API faults in force, as logged: sandbox/api/faults.ts's FaultConfig. */
export interface FaultSettings {
  seed: number;
  operations: Record<string, Partial<Record<ApiFaultKind | 'latencyMs', number>>>;
}

/** A target group's listener, as sandbox.started lists them. */
export interface ListenerSettings {
  name: string;
  targetGroupArn: string;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
}

// ---- the composition root (sandbox/index.ts)

export interface SandboxStartedEvent {
  kind: 'sandbox.started';
  endpoint: string;
  listeners: ListenerSettings[];
  /** Only when the sandbox config set faults. */
  faults?: FaultSettings;
}

export interface SandboxStoppedEvent {
  kind: 'sandbox.stopped';
}

export interface FaultsSetEvent {
  kind: 'faults.set';
  faults: FaultSettings;
}

export interface FaultsClearedEvent {
  kind: 'faults.cleared';
}

/** A controller tick threw; the next tick retries. */
export interface ControllerErrorEvent {
  kind: 'controller.error';
  message: string;
}

// ---- the API (sandbox/api/server.ts)

/** One API request and its answer. Faulted calls are logged too, with the fault that answered them. */
export interface ApiCallEvent extends Partial<ApiCaller> {
  kind: 'api.call';
  service: 'ecs' | 'sts' | 'elbv2';
  /** The operation, or `(none)`, `(unparseable)` for requests that named none. */
  operation: string;
  status: number;
  errorCode?: string;
  /** The injected fault that answered the call, when one did. */
  fault?: ApiFaultKind;
  // The caller's fields are absent only for a request Node's HTTP parser refused (`(unparseable)`).
}

/** A fault that answered a call (throttle, error, ...), with whatever latency was added too. */
export interface ApiFaultAnswerEvent extends ApiCaller {
  kind: 'api.fault';
  service: 'ecs' | 'sts' | 'elbv2';
  operation: string;
  fault: ApiFaultKind;
  /** The HTTP status and error code of the fault's answer. */
  status: number;
  errorCode: string;
  latencyMs?: number;
}

/** Latency alone: the call was slowed down, then ran. */
export interface ApiLatencyEvent extends ApiCaller {
  kind: 'api.fault';
  service: 'ecs' | 'sts' | 'elbv2';
  operation: string;
  fault: 'latency';
  latencyMs: number;
  // Named, never set, so both kinds of fault read the same: `status` is undefined for latency alone.
  status?: never;
  errorCode?: never;
}

/** A fault the injector applied to a call: an answer, or only latency (narrow on `fault`). */
export type ApiFaultEvent = ApiFaultAnswerEvent | ApiLatencyEvent;

/** The sandbox's own code threw while handling a request: always a bug. */
export interface ApiExceptionEvent {
  kind: 'api.exception';
  operation: string;
  message: string;
  where?: 'onMutation';
  stack?: string;
}

// ---- the controller (sandbox/control/controller.ts)

export interface TaskLaunchedEvent {
  kind: 'task.launched';
  taskArn: string;
  service: string;
  deploymentId: string;
  taskDefinitionArn: string;
}

export interface TaskStatusEvent {
  kind: 'task.status';
  taskArn: string;
  from: TaskLastStatus;
  to: TaskLastStatus;
}

export interface TaskHealthEvent {
  kind: 'task.health';
  taskArn: string;
  health: HealthStatus;
}

/** The task first counted as healthy for its deployment. */
export interface TaskHealthyEvent {
  kind: 'task.healthy';
  taskArn: string;
  deploymentId?: string;
}

export interface TaskStoppingEvent {
  kind: 'task.stopping';
  taskArn: string;
  deploymentId?: string;
  stopCode: StopCode;
  stoppedReason: string;
  /** Counts against the deployment's circuit breaker. */
  failure: boolean;
}

export interface TaskStoppedEvent {
  kind: 'task.stopped';
  taskArn: string;
  serviceName?: string;
  deploymentId?: string;
  taskDefinitionArn: string;
  stopCode?: StopCode;
  stoppedReason?: string;
  /** Container name -> exit code, null when it never exited on its own. */
  exitCodes: Record<string, number | null>;
}

/** A failure booked against the PRIMARY deployment's circuit breaker. */
export interface DeploymentFailedTaskEvent {
  kind: 'deployment.failed_task';
  service: string;
  deploymentId: string;
  failedTasks: number;
}

export type DeploymentStateEvent =
  | { kind: 'deployment.state'; service: string; deploymentId: string; rolloutState: 'COMPLETED'; taskDefinition: string }
  | { kind: 'deployment.state'; service: string; deploymentId: string; rolloutState: 'FAILED'; reason: 'circuit-breaker' | 'alarm' | 'stop-deployment'; alarmNames?: string[] };

/** The deployment's tasks are steady; ECS watches its deployment alarms until `until` before it completes. */
export interface DeploymentBakeEvent {
  kind: 'deployment.bake';
  service: string;
  deploymentId: string;
  /** ECS seconds. */
  bakeSeconds: number;
  until: number;
}

/** ECS returned the service to its last COMPLETED deployment (circuit breaker, alarm or StopServiceDeployment). */
export interface DeploymentRollbackEvent {
  kind: 'deployment.rollback';
  service: string;
  from: string;
  to: string;
  taskDefinition?: string;
}

export interface ServiceInactiveEvent {
  kind: 'service.inactive';
  service: string;
}

// ---- the runtime (sandbox/data/process-runtime.ts)

export interface TaskPullFailedEvent {
  kind: 'task.pull_failed';
  taskArn: string;
  reason: string;
}

export interface TaskLogFailedEvent {
  kind: 'task.log_failed';
  taskArn: string;
  error: string;
}

export interface ContainerStartedEvent {
  kind: 'container.started';
  taskArn: string;
  container: string;
  pid?: number;
  hostPorts: number[];
}

export interface ContainerHealthEvent {
  kind: 'container.health';
  taskArn: string;
  container: string;
  health: HealthStatus;
}

export interface ContainerExitedEvent {
  kind: 'container.exited';
  taskArn: string;
  container: string;
  exitCode?: number;
  /** The signal that ended it, e.g. SIGKILL; null when it exited by itself. */
  signal: string | null;
  reason?: string;
}

export interface RuntimeErrorEvent {
  kind: 'runtime.error';
  error: string;
}

// ---- the load balancer (sandbox/data/)

export interface TargetRegisteredEvent {
  kind: 'target.registered';
  targetGroup: string;
  target: string;
  port: number;
  taskDefinitionArn: string;
}

export interface TargetDrainingEvent {
  kind: 'target.draining';
  targetGroup: string;
  target: string;
}

export interface TargetDeregisteredEvent {
  kind: 'target.deregistered';
  targetGroup: string;
  target: string;
}

export interface TargetHealthEvent {
  kind: 'target.health';
  targetGroup: string;
  target: string;
  from: TargetState;
  to: TargetState;
  reason?: string;
}

/** The set of targets the listener sends traffic to changed. */
export interface TrafficSwitchEvent {
  kind: 'traffic.switch';
  targetGroup: string;
  healthyTargets: Array<{ target: string; taskDefinitionArn: string }>;
}

export interface ProxyErrorEvent {
  kind: 'proxy.error';
  targetGroup: string;
  target: string;
  error: string;
}

export interface ListenerErrorEvent {
  kind: 'listener.error';
  targetGroup: string;
  error: string;
}

/** What a writer emits: one of the events, without the time the log stamps on it. */
export type SandboxEventBody =
  | SandboxStartedEvent
  | SandboxStoppedEvent
  | FaultsSetEvent
  | FaultsClearedEvent
  | ControllerErrorEvent
  | ApiCallEvent
  | ApiFaultEvent
  | ApiExceptionEvent
  | TaskLaunchedEvent
  | TaskStatusEvent
  | TaskHealthEvent
  | TaskHealthyEvent
  | TaskStoppingEvent
  | TaskStoppedEvent
  | DeploymentFailedTaskEvent
  | DeploymentStateEvent
  | DeploymentRollbackEvent
  | DeploymentBakeEvent
  | ServiceInactiveEvent
  | TaskPullFailedEvent
  | TaskLogFailedEvent
  | ContainerStartedEvent
  | ContainerHealthEvent
  | ContainerExitedEvent
  | RuntimeErrorEvent
  | TargetRegisteredEvent
  | TargetDrainingEvent
  | TargetDeregisteredEvent
  | TargetHealthEvent
  | TrafficSwitchEvent
  | ProxyErrorEvent
  | ListenerErrorEvent;

export type SandboxEventKind = SandboxEventBody['kind'];

type Stamped<E> = E extends unknown ? { time: string; epochMs: Millis } & E : never;

/** One line of the event log: an event and when the sandbox acted (ISO time and epoch ms). */
export type SandboxEvent = Stamped<SandboxEventBody>;

/** The event (stamped or not) of one kind. */
export type EventOf<K extends SandboxEventKind, E extends { kind: string } = SandboxEvent> = Extract<E, { kind: K }>;

/** Every kind, for the reader to refuse a line no writer could have written. Complete by type. */
const KINDS: Record<SandboxEventKind, true> = {
  'sandbox.started': true,
  'sandbox.stopped': true,
  'faults.set': true,
  'faults.cleared': true,
  'controller.error': true,
  'api.call': true,
  'api.fault': true,
  'api.exception': true,
  'task.launched': true,
  'task.status': true,
  'task.health': true,
  'task.healthy': true,
  'task.stopping': true,
  'task.stopped': true,
  'deployment.failed_task': true,
  'deployment.state': true,
  'deployment.rollback': true,
  'deployment.bake': true,
  'service.inactive': true,
  'task.pull_failed': true,
  'task.log_failed': true,
  'container.started': true,
  'container.health': true,
  'container.exited': true,
  'runtime.error': true,
  'target.registered': true,
  'target.draining': true,
  'target.deregistered': true,
  'target.health': true,
  'traffic.switch': true,
  'proxy.error': true,
  'listener.error': true,
};

export const isEventKind = (kind: unknown): kind is SandboxEventKind => typeof kind === 'string' && Object.hasOwn(KINDS, kind);

/**
 * The events of the given kinds, narrowed to them: `ofKind(events, 'api.call')` is a list of
 * api.call events whose fields can be read without a cast. Works on the log's stamped events and
 * on what an in-memory EventSink recorded alike.
 */
export const ofKind = <E extends { kind: string }, K extends E['kind'] & SandboxEventKind>(events: readonly E[], ...kinds: K[]): Array<Extract<E, { kind: K }>> =>
  events.filter((e): e is Extract<E, { kind: K }> => (kinds as readonly string[]).includes(e.kind));
