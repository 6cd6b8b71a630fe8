// The timeline: every observation a drill makes, timestamped, in order. Observers append to
// it; measurements and verdicts are pure functions of it. Times are epoch milliseconds from the
// injected clock.

export type Phase = 'preflight' | 'baseline' | 'inject' | 'gate' | 'rollback' | 'verify' | 'restore' | 'report';

export const PHASES: readonly Phase[] = ['preflight', 'baseline', 'inject', 'gate', 'rollback', 'verify', 'restore', 'report'];

export interface DeploymentSnapshot {
  id: string;
  status: string;
  taskDefinition: string;
  rolloutState?: string;
  rolloutStateReason?: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks: number;
}

export interface StoppedTaskSnapshot {
  taskArn: string;
  taskDefinitionArn: string;
  startedBy?: string;
  stopCode?: string;
  stoppedReason?: string;
  stoppedAt?: number;
  exitCodes: Record<string, number | null>;
}

/** One service deployment as DescribeServiceDeployments reports it: ECS's own record of a deployment and its rollback. */
export interface ServiceDeploymentSnapshot {
  arn: string;
  status: string;
  statusReason?: string;
  targetServiceRevisionArn?: string;
  createdAt?: number;
  finishedAt?: number;
  rollback?: { reason?: string; startedAt?: number; serviceRevisionArn?: string };
  circuitBreaker?: { status?: string; failureCount?: number; threshold?: number };
  alarms?: { status?: string; alarmNames: string[]; triggeredAlarmNames: string[] };
}

export interface PhaseObservation {
  t: number;
  source: 'phase';
  phase: Phase;
  event: 'start' | 'end';
  outcome?: 'ok' | 'failed' | 'skipped' | 'interrupted';
  detail?: string;
}

/** One DescribeServices poll: the deployments as ECS reports them, plus what is new since the last poll. */
export interface ServiceObservation {
  t: number;
  source: 'service';
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  deployments: DeploymentSnapshot[];
  /** Service events not seen in earlier polls, oldest first. */
  newEvents: Array<{ id: string; createdAt: number; message: string }>;
  /** Tasks that stopped since the last poll. */
  newStoppedTasks: StoppedTaskSnapshot[];
  /**
   * The service deployments created since the poller started, newest first; absent where the
   * endpoint lacks the service-deployments API, where deployments[] is the only record.
   */
  serviceDeployments?: ServiceDeploymentSnapshot[];
}

/** One request of the endpoint prober. */
export interface ProbeObservation {
  t: number;
  source: 'probe';
  ok: boolean;
  status?: number;
  /** The release that answered (the body's `version` or the version header). */
  version?: string;
  latencyMs: number;
  error?: string;
}

/** Something firedrill did: a call, a command, a trigger. */
export interface ActionObservation {
  t: number;
  source: 'action';
  action:
    | 'register-task-definition'
    | 'update-service'
    | 'deploy-command'
    | 'rollback-triggered'
    | 'rollback-command'
    | 'deregister-task-definition'
    | 'lock-acquired'
    | 'lock-released'
    | 'deadline'
    | 'restore'
    | 'interrupt';
  detail: Record<string, unknown>;
}

/** A gate signal's evaluation that changed state (it fired, or it recovered). */
export interface GateObservation {
  t: number;
  source: 'gate';
  signal: string;
  fired: boolean;
  value: number;
  threshold: number;
}

export type Observation = PhaseObservation | ServiceObservation | ProbeObservation | ActionObservation | GateObservation;

export class Timeline {
  readonly observations: Observation[] = [];
  private readonly listeners = new Set<(o: Observation) => void>();

  add(observation: Observation): void {
    this.observations.push(observation);
    for (const listener of this.listeners) listener(observation);
  }

  subscribe(listener: (o: Observation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  of<S extends Observation['source']>(source: S): Array<Extract<Observation, { source: S }>> {
    return this.observations.filter((o): o is Extract<Observation, { source: S }> => o.source === source);
  }
}
