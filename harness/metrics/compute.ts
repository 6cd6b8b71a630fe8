// Drill metrics over a window of the history. Pure: the records and `now` come in, figures go out.
//
// Definitions (every rate is a ratio from 0 to 1, and undefined, never NaN, when n = 0):
// - rollback success / failure rate: over the runs whose rollback was judged (rollbackPassed
//   not null), drills and validation runs alike: a drill's recovery, a validation's rollback
//   to the current release.
// - gate success / failure rate: over the runs whose gate was judged (gatePassed not null).
// - validation failure rate: failed validation runs over validation runs.
// - rollback time: timeToRecoverMs of the runs that recovered (a run that never recovered has
//   no time; it counts as a rollback failure instead). Median: the middle value (the mean of
//   the two middle ones for an even count). p95: nearest rank, the ceil(0.95 n)-th smallest,
//   so it is always a time some run actually took, and the max for fewer than 20 runs.
// - time per phase: the median duration of each drill phase and each validation step.
// - probe / monitoring failure rate: failed probes and polls over all counted probes and polls,
//   pooled across runs (see history.ts for which ones count).
// - window: the records whose `at` is at or after now - window (all of them without a window).

import { median, percentile } from '../../lib/stats.ts';
import type { HistoryRecord, RunKind } from './history.ts';

export interface Rate {
  /** The runs (or samples) the rate is over. */
  n: number;
  /** How many of them count (failed, passed: see the field's name). */
  count: number;
  /** count / n; undefined when n = 0. */
  ratio: number | undefined;
}

export interface TimeStats {
  n: number;
  medianMs?: number;
  p95Ms?: number;
  maxMs?: number;
  /** The slowest runs, slowest first (at most five). */
  slowest: Array<{ runId: string; scenario: string; environment: string; at: string; ms: number }>;
}

export interface PhaseStats {
  kind: RunKind;
  phase: string;
  n: number;
  medianMs: number;
}

export interface Metrics {
  /** Evaluation time, ISO. */
  now: string;
  window: { ms?: number; from?: string };
  runs: {
    total: number;
    drill: number;
    validation: number;
    passed: number;
    byKindOutcome: Array<{ kind: RunKind; outcome: string; count: number }>;
    firstAt?: string;
    lastAt?: string;
    environments: string[];
  };
  rollback: { success: Rate; failure: Rate };
  gate: { success: Rate; failure: Rate };
  validation: { failure: Rate };
  rollbackTime: TimeStats;
  detectTime: { n: number; medianMs?: number };
  rollbackStartTime: { n: number; medianMs?: number };
  phases: PhaseStats[];
  probes: { failure: Rate };
}

export interface ComputeOptions {
  /** Epoch milliseconds. */
  now: number;
  /** Only records at or after now - windowMs; all records when undefined. */
  windowMs?: number;
}

export const rate = (count: number, n: number): Rate => ({ n, count, ratio: n === 0 ? undefined : count / n });

export const inWindow = (records: readonly HistoryRecord[], o: ComputeOptions): HistoryRecord[] => {
  if (o.windowMs === undefined) return [...records];
  const from = o.now - o.windowMs;
  return records.filter((r) => Date.parse(r.at) >= from);
};

const DRILL_PHASES = ['preflight', 'baseline', 'inject', 'gate', 'rollback', 'verify', 'restore', 'report'];
const VALIDATION_STEPS = ['security-checks', 'deploy-candidate', 'failing-release-caught', 'rollback-to-current'];

const phaseOrder = (kind: RunKind, phase: string): number => {
  const known = (kind === 'drill' ? DRILL_PHASES : VALIDATION_STEPS).indexOf(phase);
  return (kind === 'drill' ? 0 : 100) + (known < 0 ? 50 : known);
};

export const computeMetrics = (records: readonly HistoryRecord[], o: ComputeOptions): Metrics => {
  const rs = inWindow(records, o);
  const drills = rs.filter((r) => r.kind === 'drill');
  const validations = rs.filter((r) => r.kind === 'validation');

  const byKey = new Map<string, { kind: RunKind; outcome: string; count: number }>();
  for (const r of rs) {
    const key = `${r.kind}\u0000${r.outcome}`;
    const entry = byKey.get(key) ?? { kind: r.kind, outcome: r.outcome, count: 0 };
    entry.count += 1;
    byKey.set(key, entry);
  }
  const times = rs.map((r) => Date.parse(r.at)).sort((a, b) => a - b);

  const rollbackJudged = rs.filter((r) => r.rollbackPassed !== null);
  const rollbackOk = rollbackJudged.filter((r) => r.rollbackPassed).length;
  const gateJudged = rs.filter((r) => r.gatePassed !== null);
  const gateOk = gateJudged.filter((r) => r.gatePassed).length;

  const recovered = rs.filter((r): r is HistoryRecord & { timeToRecoverMs: number } => r.timeToRecoverMs !== null);
  const recoverMs = recovered.map((r) => r.timeToRecoverMs);
  const detectMs = rs.flatMap((r) => (r.timeToDetectMs === null ? [] : [r.timeToDetectMs]));
  const startMs = rs.flatMap((r) => (r.timeToRollbackStartMs === null ? [] : [r.timeToRollbackStartMs]));

  const perPhase = new Map<string, { kind: RunKind; phase: string; values: number[] }>();
  for (const r of rs) {
    for (const [phase, ms] of Object.entries(r.phaseDurationsMs)) {
      const key = `${r.kind}\u0000${phase}`;
      const entry = perPhase.get(key) ?? { kind: r.kind, phase, values: [] };
      entry.values.push(ms);
      perPhase.set(key, entry);
    }
  }
  const phases: PhaseStats[] = [...perPhase.values()]
    .map((p) => ({ kind: p.kind, phase: p.phase, n: p.values.length, medianMs: median(p.values)! }))
    .sort((a, b) => phaseOrder(a.kind, a.phase) - phaseOrder(b.kind, b.phase) || a.phase.localeCompare(b.phase));

  const probeCount = rs.reduce((sum, r) => sum + r.probeFailures.count, 0);
  const probeTotal = rs.reduce((sum, r) => sum + r.probeFailures.total, 0);

  return {
    now: new Date(o.now).toISOString(),
    window: o.windowMs === undefined ? {} : { ms: o.windowMs, from: new Date(o.now - o.windowMs).toISOString() },
    runs: {
      total: rs.length,
      drill: drills.length,
      validation: validations.length,
      passed: rs.filter((r) => r.passed).length,
      byKindOutcome: [...byKey.values()].sort((a, b) => a.kind.localeCompare(b.kind) || b.count - a.count || a.outcome.localeCompare(b.outcome)),
      firstAt: times.length ? new Date(times[0]!).toISOString() : undefined,
      lastAt: times.length ? new Date(times.at(-1)!).toISOString() : undefined,
      environments: [...new Set(rs.map((r) => r.environment))].sort(),
    },
    rollback: { success: rate(rollbackOk, rollbackJudged.length), failure: rate(rollbackJudged.length - rollbackOk, rollbackJudged.length) },
    gate: { success: rate(gateOk, gateJudged.length), failure: rate(gateJudged.length - gateOk, gateJudged.length) },
    validation: { failure: rate(validations.filter((r) => !r.passed).length, validations.length) },
    rollbackTime: {
      n: recoverMs.length,
      medianMs: median(recoverMs),
      p95Ms: percentile(recoverMs, 0.95),
      maxMs: recoverMs.length ? Math.max(...recoverMs) : undefined,
      slowest: [...recovered]
        .sort((a, b) => b.timeToRecoverMs - a.timeToRecoverMs)
        .slice(0, 5)
        .map((r) => ({ runId: r.runId, scenario: r.scenario, environment: r.environment, at: r.at, ms: r.timeToRecoverMs })),
    },
    detectTime: { n: detectMs.length, medianMs: median(detectMs) },
    rollbackStartTime: { n: startMs.length, medianMs: median(startMs) },
    phases,
    probes: { failure: rate(probeCount, probeTotal) },
  };
};

// ---- durations, for --window and thresholds

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * "30d", "12h", "90m", "45s", "1500ms", "2w", "1.5h": a positive duration in milliseconds. Throws
 * an Error that says what is accepted.
 */
export const parseDuration = (text: string, what = 'duration'): number => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  const value = match ? Number(match[1]) * UNITS[match[2]!.toLowerCase()]! : Number.NaN;
  if (!match || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${what} "${text}" is not a duration: use a positive number and a unit, e.g. 30d, 12h, 90m, 45s or 500ms`);
  }
  return value;
};

/** 2592000000 -> "30d", 5400000 -> "90m": the largest unit that divides it. */
export const formatDuration = (ms: number): string => {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNITS[unit]! === 0 && ms >= UNITS[unit]!) return `${ms / UNITS[unit]!}${unit}`;
  }
  return `${ms}ms`;
};
