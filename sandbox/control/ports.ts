// What the controller needs from the outside world. The data plane (sandbox/data) implements
// these with real processes and sockets; unit tests implement them with plain objects.

import type { SandboxEventBody } from './events.ts';
import type { HealthStatus, Millis, NetworkBinding, StopCode, TaskDefinition } from './model.ts';

export interface Clock {
  now(): Millis;
}

/** Ground truth: every action the sandbox takes, appended to the JSONL event log (events.ts). */
export interface EventSink {
  emit(event: SandboxEventBody): void;
}

export interface TaskLaunchSpec {
  taskArn: string;
  taskId: string;
  clusterName: string;
  serviceName?: string;
  taskDefinition: TaskDefinition;
}

export interface ContainerRuntimeState {
  name: string;
  state: 'pending' | 'running' | 'exited';
  exitCode?: number;
  /** Why it exited when the runtime knows better than the exit code (OutOfMemoryError: ...). */
  reason?: string;
  health: HealthStatus;
  networkBindings: NetworkBinding[];
}

export interface TaskRuntimeStatus {
  /**
   * pulling: resolving images and secrets; failed: could not start at all (TaskFailedToStart);
   * starting: processes spawned, not all up yet; running: every container up;
   * exited: an essential container exited on its own; stopped: every container gone after stop().
   */
  phase: 'pulling' | 'failed' | 'starting' | 'running' | 'exited' | 'stopped';
  failure?: { stopCode: StopCode; reason: string };
  /** The essential container whose exit ended the task, when phase is exited. */
  exited?: { container: string; exitCode?: number; reason?: string };
  pullStartedAt?: Millis;
  pullStoppedAt?: Millis;
  containers: ContainerRuntimeState[];
}

export interface TaskRuntime {
  launch(spec: TaskLaunchSpec): void;
  status(taskArn: string): TaskRuntimeStatus | undefined;
  /** SIGTERM every container, SIGKILL after graceMs; status turns to stopped when all are gone. */
  stop(taskArn: string, graceMs: number): void;
  /** Drop what the runtime remembers of a stopped task. */
  forget(taskArn: string): void;
  shutdown(): Promise<void>;
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';

export interface TargetHealth {
  state: TargetState;
  /** ELB's reason code, e.g. Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks. */
  reason?: string;
  description?: string;
}

export interface TargetInfo {
  /** The task ARN: one target per task and target group. */
  id: string;
  port: number;
  /** Carried into the event log so traffic switches name the release that serves. */
  taskDefinitionArn: string;
  serviceName?: string;
}

export interface Balancer {
  register(targetGroupArn: string, target: TargetInfo): void;
  /** Starts draining; the target turns `unused` once the deregistration delay has passed. */
  deregister(targetGroupArn: string, targetId: string): void;
  health(targetGroupArn: string, targetId: string): TargetHealth;
  shutdown(): Promise<void>;
}

export interface AlarmSnapshot {
  name: string;
  arn: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  /** When the alarm last changed state (StateTransitionedTimestamp): a deployment ignores an ALARM older than itself. */
  updatedAt: Millis;
  periodSeconds: number;
  evaluationPeriods: number;
}

/** CloudWatch's alarms as ECS's deployment alarms read them (sandbox/monitoring implements it). */
export interface AlarmStates {
  alarm(name: string): AlarmSnapshot | undefined;
}
