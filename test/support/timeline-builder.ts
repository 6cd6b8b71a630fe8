// Hand-made timelines for the measurement tests: a few lines per drill story instead of pages of
// object literals. Times are plain milliseconds; a drill's inject usually sits at 10_000.

import type {
  ActionObservation,
  DeploymentSnapshot,
  Observation,
  Phase,
  ProbeObservation,
  StoppedTaskSnapshot,
} from '../../harness/observe/timeline.ts';

export const BASELINE_TD = 'arn:aws:ecs:us-east-1:000000000000:task-definition/firedrill-demo:1';
export const BAD_TD = 'arn:aws:ecs:us-east-1:000000000000:task-definition/firedrill-demo:2';

export const deployment = (
  id: string,
  taskDefinition: string,
  status: 'PRIMARY' | 'ACTIVE',
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED',
  runningCount = 2,
  more: Partial<DeploymentSnapshot> = {},
): DeploymentSnapshot => ({ id, status, taskDefinition, rolloutState, desiredCount: 2, runningCount, pendingCount: 0, failedTasks: 0, ...more });

/** The baseline alone, steady: what ECS shows before a drill and after a recovery. */
export const steadyBaseline = (): DeploymentSnapshot[] => [deployment('ecs-svc/1', BASELINE_TD, 'PRIMARY', 'COMPLETED')];

export const stoppedTask = (taskArn: string, more: Partial<StoppedTaskSnapshot> = {}): StoppedTaskSnapshot => ({
  taskArn,
  taskDefinitionArn: BAD_TD,
  exitCodes: {},
  ...more,
});

export class TimelineBuilder {
  private readonly observations: Observation[] = [];
  private eventIds = 0;

  /** One poll; the service's task definition and desired count are its PRIMARY deployment's. */
  service(t: number, deployments: DeploymentSnapshot[], more: { events?: string[]; stopped?: StoppedTaskSnapshot[] } = {}): this {
    const primary = deployments.find((d) => d.status === 'PRIMARY') ?? deployments[0]!;
    this.observations.push({
      t,
      source: 'service',
      taskDefinition: primary.taskDefinition,
      desiredCount: primary.desiredCount,
      runningCount: deployments.reduce((sum, d) => sum + d.runningCount, 0),
      pendingCount: 0,
      deployments,
      newEvents: (more.events ?? []).map((message) => ({ id: `event-${++this.eventIds}`, createdAt: t, message })),
      newStoppedTasks: more.stopped ?? [],
    });
    return this;
  }

  /** The same poll repeated every `everyMs` in [from, to). */
  services(from: number, to: number, everyMs: number, deployments: () => DeploymentSnapshot[]): this {
    for (let t = from; t < to; t += everyMs) this.service(t, deployments());
    return this;
  }

  probe(t: number, fields: Partial<Omit<ProbeObservation, 't' | 'source'>> = {}): this {
    this.observations.push({ t, source: 'probe', ok: true, status: 200, version: 'v1.0.0', latencyMs: 5, ...fields });
    return this;
  }

  /** A probe every `everyMs` in [from, to); `fields` may depend on the probe's index in the run. */
  probes(from: number, to: number, everyMs: number, fields: (i: number) => Partial<Omit<ProbeObservation, 't' | 'source'>> = () => ({})): this {
    for (let t = from, i = 0; t < to; t += everyMs, i++) this.probe(t, fields(i));
    return this;
  }

  action(t: number, action: ActionObservation['action'], detail: Record<string, unknown> = {}): this {
    this.observations.push({ t, source: 'action', action, detail });
    return this;
  }

  gate(t: number, signal: string, fired: boolean, value: number, threshold: number): this {
    this.observations.push({ t, source: 'gate', signal, fired, value, threshold });
    return this;
  }

  phase(t: number, phase: Phase, event: 'start' | 'end'): this {
    this.observations.push({ t, source: 'phase', phase, event });
    return this;
  }

  /** The observations in time order, as a timeline holds them. */
  build(): Observation[] {
    return [...this.observations].sort((a, b) => a.t - b.t);
  }
}
