// Alert thresholds over the metrics. Pure. Every alert fires when its figure is strictly over
// the threshold ("over 15 %": 15 % exactly does not fire), and never on a figure with no data
// (n = 0). A threshold set to null is off.
//
// Defaults, from the issue:
//   rollback-failure-rate     0.15   failed rollbacks over judged rollbacks
//   validation-failure-rate   0.10   failed validation runs over validation runs
//   rollback-time             10 min the SLOWEST rollback in the window (any single run over it
//                                    fires; the message also gives the p95)
//   gate-failure-rate         0.10   gate failures over judged gates
//   probe-failure-rate        0.05   probe or monitoring failures over probes and polls

import { duration, percent } from '../../lib/format.ts';
import { ROLLBACK_BUDGET_SECONDS } from '../config/environment.ts';
import { formatDuration, parseDuration, type Metrics, type Rate } from './compute.ts';

export const THRESHOLD_NAMES = ['rollback-failure-rate', 'validation-failure-rate', 'rollback-time', 'gate-failure-rate', 'probe-failure-rate'] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];

/** Rates as ratios (0.15), rollback-time in milliseconds; null turns an alert off. */
export type Thresholds = Record<ThresholdName, number | null>;

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  'rollback-failure-rate': 0.15,
  'validation-failure-rate': 0.1,
  'rollback-time': ROLLBACK_BUDGET_SECONDS * 1000,
  'gate-failure-rate': 0.1,
  'probe-failure-rate': 0.05,
});

export interface Alert {
  name: ThresholdName;
  /** The figure that crossed: a ratio, or milliseconds for rollback-time. */
  value: number;
  threshold: number;
  /** The runs (probes and polls, for probe-failure-rate) the figure rests on. */
  n: number;
  message: string;
}

// ---- formatting shared with the command

export const formatThreshold = (name: ThresholdName, value: number | null): string =>
  value === null ? 'off' : name === 'rollback-time' ? duration(value) : percent(value);

// ---- parsing `name=value`

const isRate = (name: ThresholdName) => name !== 'rollback-time';

/** Parses one threshold value: "15%" or "0.15" for rates, "10m", "600s" for rollback-time, "off". Throws an Error with the accepted forms. */
export const parseThresholdValue = (name: ThresholdName, text: string): number | null => {
  const value = text.trim().toLowerCase();
  if (value === 'off' || value === 'none') return null;
  if (!isRate(name)) return parseDuration(value, `--threshold ${name}`);
  const percentMatch = /^(\d+(?:\.\d+)?)\s*%$/.exec(value);
  const ratio = percentMatch ? Number(percentMatch[1]) / 100 : /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    const hint = !percentMatch && Number(value) > 1 && Number(value) <= 100 ? ` (did you mean ${value}%?)` : '';
    throw new Error(`--threshold ${name}=${text}: a rate is a percentage from 0% to 100% or a ratio from 0 to 1, e.g. 15% or 0.15, or "off"${hint}`);
  }
  return ratio;
};

/** Applies `name=value` settings over the defaults (or `base`). Throws an Error naming the valid names and forms. */
export const parseThresholds = (settings: readonly string[], base: Readonly<Thresholds> = DEFAULT_THRESHOLDS): Thresholds => {
  const thresholds: Thresholds = { ...base };
  for (const setting of settings) {
    const eq = setting.indexOf('=');
    const name = (eq < 0 ? setting : setting.slice(0, eq)).trim();
    if (!(THRESHOLD_NAMES as readonly string[]).includes(name)) {
      throw new Error(`--threshold "${setting}": unknown threshold "${name}"; the thresholds are ${THRESHOLD_NAMES.join(', ')}`);
    }
    if (eq < 0 || setting.slice(eq + 1).trim() === '') throw new Error(`--threshold "${setting}": give a value, e.g. ${name}=${isRate(name as ThresholdName) ? '15%' : '10m'} (or ${name}=off)`);
    thresholds[name as ThresholdName] = parseThresholdValue(name as ThresholdName, setting.slice(eq + 1));
  }
  return thresholds;
};

// ---- evaluation

const rateAlert = (name: ThresholdName, what: string, of: string, r: Rate, threshold: number | null): Alert | undefined => {
  if (threshold === null || r.ratio === undefined || !(r.ratio > threshold)) return undefined;
  return {
    name,
    value: r.ratio,
    threshold,
    n: r.n,
    message: `${what} is ${percent(r.ratio)} (${r.count} of ${r.n} ${of}), over the ${percent(threshold)} threshold`,
  };
};

export const evaluateAlerts = (metrics: Metrics, thresholds: Readonly<Thresholds> = DEFAULT_THRESHOLDS): Alert[] => {
  const alerts: Array<Alert | undefined> = [
    rateAlert('rollback-failure-rate', 'rollback failure rate', 'judged rollbacks', metrics.rollback.failure, thresholds['rollback-failure-rate']),
    rateAlert('validation-failure-rate', 'validation failure rate', 'validation runs', metrics.validation.failure, thresholds['validation-failure-rate']),
  ];
  const limit = thresholds['rollback-time'];
  const t = metrics.rollbackTime;
  if (limit !== null && t.maxMs !== undefined && t.maxMs > limit) {
    const over = t.slowest.filter((s) => s.ms > limit);
    const slowest = t.slowest[0]!;
    const count = over.length === t.slowest.length && t.n > t.slowest.length ? `at least ${over.length}` : `${over.length}`;
    alerts.push({
      name: 'rollback-time',
      value: t.maxMs,
      threshold: limit,
      n: t.n,
      message:
        `${count} of ${t.n} rollbacks took longer than ${duration(limit)}; the slowest took ${duration(slowest.ms)} ` +
        `(${slowest.scenario} on ${slowest.environment}, run ${slowest.runId}, ${slowest.at}); p95 ${duration(t.p95Ms!)}, median ${duration(t.medianMs!)}`,
    });
  }
  alerts.push(
    rateAlert('gate-failure-rate', 'gate failure rate (the bad release completed or served too much traffic)', 'judged gates', metrics.gate.failure, thresholds['gate-failure-rate']),
    rateAlert('probe-failure-rate', 'probe/monitoring failure rate', 'probes and polls', metrics.probes.failure, thresholds['probe-failure-rate']),
  );
  return alerts.filter((a): a is Alert => a !== undefined);
};

/** The thresholds as `name=value` words, e.g. for a help text or a report. */
export const describeThresholds = (thresholds: Readonly<Thresholds>): string[] =>
  THRESHOLD_NAMES.map((name) => {
    const v = thresholds[name];
    return `${name}=${v === null ? 'off' : name === 'rollback-time' ? formatDuration(v) : percent(v).replace(' ', '')}`;
  });
