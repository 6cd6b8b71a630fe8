// Hand-made journals for the report tests: a whole drill in a few lines. The measurements and
// verdicts come from the real pure functions (measure, judge) over the built timeline, so a
// built journal is as consistent as one a drill writes; any field can be overridden.
// Times are plain milliseconds; the run starts at 0 and inject usually sits at 10_000.

import { measure, type Markers } from '../../harness/analysis/measurements.ts';
import { judge } from '../../harness/analysis/verdicts.ts';
import { scenarioSchema } from '../../harness/config/scenario.ts';
import type { Observation, Phase, PhaseObservation } from '../../harness/observe/timeline.ts';
import { JOURNAL_SCHEMA_VERSION, type Journal, type PhaseRecord } from '../../harness/journal/journal.ts';
import { exitCodeOf, type Outcome } from '../../harness/journal/outcome.ts';
import { BAD_TD, BASELINE_TD, deployment, steadyBaseline, TimelineBuilder } from './timeline-builder.ts';

export { BAD_TD, BASELINE_TD };

export interface JournalOptions {
  scenario?: string;
  description?: string;
  environment?: string;
  outcome?: Outcome;
  /** The timeline; phases are read from its phase observations unless `phases` is given. */
  timeline?: Observation[];
  phases?: PhaseRecord[];
  /** Undefined: nothing was injected (no injected release, no measurements, no verdicts). */
  injectAt?: number;
  baselineVersion?: string;
  badVersion?: string;
  rollbackPath?: 'circuit-breaker' | 'redeploy-previous' | 'command';
  expectations?: Record<string, unknown>;
  /** Whether to compute measurements and verdicts from the timeline (default: when injected). */
  measured?: boolean;
  problems?: string[];
  restore?: Journal['restore'];
  smoke?: Journal['smoke'];
  runId?: string;
  endedAt?: number;
}

/** Phase records from a timeline's phase observations; a phase that never ended has no endedAt. */
export const phasesOf = (timeline: readonly Observation[]): PhaseRecord[] => {
  const records: PhaseRecord[] = [];
  for (const o of timeline.filter((o): o is PhaseObservation => o.source === 'phase')) {
    if (o.event === 'start') records.push({ phase: o.phase, startedAt: o.t, outcome: 'ok' });
    else {
      const open = [...records].reverse().find((r) => r.phase === o.phase && r.endedAt === undefined);
      if (open) Object.assign(open, { endedAt: o.t, outcome: o.outcome ?? 'ok', ...(o.detail ? { detail: o.detail } : {}) });
    }
  }
  return records;
};

export const buildJournal = (options: JournalOptions = {}): Journal => {
  const name = options.scenario ?? 'bad-image-tag';
  const timeline = options.timeline ?? [];
  const baselineVersion = options.baselineVersion ?? 'v1.0.0';
  const badVersion = options.badVersion ?? 'v1.1.0';
  const rollbackPath = options.rollbackPath ?? 'circuit-breaker';
  const spec = scenarioSchema.parse({
    name,
    description: options.description ?? 'A hand-made drill for the report tests.',
    target: { service: 'demo' },
    release: { kind: 'missing-image-tag', tag: badVersion },
    rollback: { path: rollbackPath, ...(rollbackPath === 'command' ? { command: 'rollback.sh' } : {}) },
    expectations: options.expectations ?? {},
  });
  const injectAt = options.injectAt;
  const measured = options.measured ?? injectAt !== undefined;
  const markers: Markers | undefined =
    injectAt === undefined
      ? undefined
      : { injectAt, baselineTaskDefinition: BASELINE_TD, badTaskDefinition: BAD_TD, baselineVersion, badVersion, stableWindowMs: spec.expectations.stableWindowSeconds * 1000 };
  const measurements = measured && markers ? measure(timeline, markers) : undefined;
  const verdicts = measurements ? judge(spec.expectations, measurements) : [];
  const outcome = options.outcome ?? (verdicts.length > 0 && verdicts.every((v) => v.passed) ? 'passed' : 'failed');
  const times = timeline.map((o) => o.t);
  const runId = options.runId ?? `20260101-000000-${name}-0001`;
  const journal: Journal = {
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    runId,
    firedrill: { version: '0.0.0-test' },
    startedAt: 0,
    endedAt: options.endedAt ?? (times.length ? Math.max(...times) : 0),
    scenario: { name, file: `/scenarios/${name}.yaml`, hash: 'a'.repeat(64), spec },
    environment: {
      name: options.environment ?? 'sandbox',
      file: '/environments/sandbox.yaml',
      hash: 'b'.repeat(64),
      kind: 'sandbox',
      endpoint: 'http://127.0.0.1:4599',
      region: 'us-east-1',
      cluster: 'firedrill',
      service: 'demo',
      url: 'http://127.0.0.1:4600',
    },
    baseline: { taskDefinitionArn: BASELINE_TD, image: `firedrill/demo-app:${baselineVersion}`, tag: baselineVersion, version: baselineVersion },
    rollbackPath,
    phases: options.phases ?? phasesOf(timeline),
    markers: injectAt === undefined ? {} : { injectAt },
    timeline,
    verdicts,
    smoke: options.smoke ?? { baseline: [], afterRecovery: [] },
    restore: options.restore ?? { ok: true, state: `steady on the baseline ${BASELINE_TD}`, actions: [] },
    outcome,
    exitCode: exitCodeOf(outcome),
    problems: options.problems ?? [],
    artifactsDir: `/reports/${runId}/artifacts`,
  };
  if (injectAt !== undefined) {
    journal.injected = {
      taskDefinitionArn: BAD_TD,
      image: `firedrill/demo-app:${badVersion}`,
      tag: badVersion,
      version: badVersion,
      summary: `container web: image firedrill/demo-app:${baselineVersion} -> firedrill/demo-app:${badVersion}`,
      diff: [{ path: 'containerDefinitions[web].image', before: `firedrill/demo-app:${baselineVersion}`, after: `firedrill/demo-app:${badVersion}` }],
    };
  }
  if (measurements) journal.measurements = measurements;
  return journal;
};

const ALL_PHASES: Array<[Phase, number, number]> = [
  ['preflight', 0, 200],
  ['baseline', 200, 10_000],
  ['inject', 10_000, 10_050],
  ['gate', 10_050, 10_700],
  ['rollback', 10_700, 10_710],
  ['verify', 10_710, 16_000],
  ['restore', 16_000, 16_100],
  ['report', 16_100, 16_120],
];

const withPhases = (b: TimelineBuilder, phases = ALL_PHASES): TimelineBuilder => {
  for (const [phase, from, to] of phases) b.phase(from, phase, 'start').phase(to, phase, 'end');
  return b;
};

/**
 * A circuit-breaker drill that passes: the bad release (deployment ecs-svc/2) never serves, ECS
 * reports it failing at 10.6 s and rolls back to ecs-svc/1, steady again from 11.0 s.
 */
export const circuitBreakerTimeline = (): Observation[] =>
  withPhases(new TimelineBuilder())
    .probes(500, 16_000, 500)
    .services(500, 10_500, 500, steadyBaseline)
    .action(10_000, 'register-task-definition', { taskDefinitionArn: BAD_TD })
    .action(10_000, 'update-service', { taskDefinition: BAD_TD })
    .service(10_500, [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'IN_PROGRESS', 0, { failedTasks: 2 }), deployment('ecs-svc/1', BASELINE_TD, 'ACTIVE', 'COMPLETED')])
    .service(10_600, [deployment('ecs-svc/1', BASELINE_TD, 'PRIMARY', 'IN_PROGRESS'), deployment('ecs-svc/2', BAD_TD, 'ACTIVE', 'FAILED', 0, { failedTasks: 2 })], {
      events: ['(service demo) (deployment ecs-svc/2) deployment failed: tasks failed to start.', '(service demo) rolling back to deployment ecs-svc/1.'],
    })
    .services(11_000, 16_000, 500, steadyBaseline)
    .build();

/**
 * A gate drill that passes: the bad release v1.1.0 takes the traffic and answers 500 from
 * 11.0 s, the error-rate gate fires at 12.0 s, firedrill redeploys the baseline (ecs-svc/3) at
 * 12.1 s, and the baseline serves every probe again from 13.5 s.
 */
export const gateTimeline = (): Observation[] =>
  withPhases(new TimelineBuilder(), [
    ['preflight', 0, 200],
    ['baseline', 200, 10_000],
    ['inject', 10_000, 10_050],
    ['gate', 10_050, 12_050],
    ['rollback', 12_050, 12_100],
    ['verify', 12_100, 18_000],
    ['restore', 18_000, 18_100],
    ['report', 18_100, 18_120],
  ])
    .probes(500, 11_000, 500)
    .probes(11_000, 13_500, 500, () => ({ ok: false, status: 500, version: 'v1.1.0' }))
    .probes(13_500, 18_000, 500)
    .services(500, 10_500, 500, steadyBaseline)
    .action(10_000, 'update-service', { taskDefinition: BAD_TD })
    .services(10_500, 11_000, 500, () => [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'IN_PROGRESS'), deployment('ecs-svc/1', BASELINE_TD, 'ACTIVE', 'COMPLETED')])
    .services(11_000, 12_500, 500, () => [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'COMPLETED')])
    .gate(12_000, 'probe error rate', true, 1, 0.2)
    .action(12_100, 'rollback-triggered', { path: 'redeploy-previous', call: 'UpdateService', taskDefinition: BASELINE_TD })
    .services(12_500, 13_500, 500, () => [deployment('ecs-svc/3', BASELINE_TD, 'PRIMARY', 'IN_PROGRESS'), deployment('ecs-svc/2', BAD_TD, 'ACTIVE', 'COMPLETED')])
    .services(13_500, 18_000, 500, () => [deployment('ecs-svc/3', BASELINE_TD, 'PRIMARY', 'COMPLETED')])
    .build();

/** The circuit-breaker drill stopped by Ctrl-C during verify: no restore end, no recovery. */
export const interruptedTimeline = (): Observation[] =>
  withPhases(new TimelineBuilder(), ALL_PHASES.slice(0, 5))
    .phase(10_710, 'verify', 'start')
    .probes(500, 10_900, 500)
    .probe(10_900, { ok: false, version: undefined, status: undefined, error: 'connect ECONNREFUSED', latencyMs: 0 })
    .services(500, 10_500, 500, steadyBaseline)
    .action(10_000, 'update-service', { taskDefinition: BAD_TD })
    .service(10_500, [deployment('ecs-svc/2', BAD_TD, 'PRIMARY', 'IN_PROGRESS', 0), deployment('ecs-svc/1', BASELINE_TD, 'ACTIVE', 'COMPLETED')])
    .action(11_000, 'interrupt', { phase: 'verify' })
    .build();
