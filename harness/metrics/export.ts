// Metrics out of firedrill: the Prometheus text exposition format (for node_exporter's textfile
// collector or a Pushgateway) and CloudWatch Embedded Metric Format lines. Pure.
//
// Every figure is a gauge over the window (a count of runs in the window can go down as old runs
// leave it). A figure with no data (a rate with n = 0, a time with no run) is left out, never
// written as NaN; its HELP and TYPE lines stay so the family is documented.

import { THRESHOLD_NAMES, type Alert, type Thresholds } from './alerts.ts';
import type { Metrics, Rate } from './compute.ts';

// ---- Prometheus

/** A label value in the text format: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

const formatValue = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12))));

type Labels = Record<string, string>;

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, help: string, samples: Array<{ labels?: Labels; value: number | undefined }>): this {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} gauge`);
    for (const s of samples) {
      if (s.value === undefined || !Number.isFinite(s.value)) continue;
      const labels = Object.entries(s.labels ?? {});
      const text = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
      this.lines.push(`${name}${text} ${formatValue(s.value)}`);
    }
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

const ratio = (r: Rate) => [{ value: r.ratio }];
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export interface PrometheusOptions {
  /** The alerts that fired. */
  alerts?: readonly Alert[];
  /** With thresholds, firedrill_alert_firing has a 0 or 1 sample for every threshold that is on; without, a 1 for each alert that fired. */
  thresholds?: Readonly<Thresholds>;
}

export const toPrometheus = (m: Metrics, o: PrometheusOptions = {}): string => {
  const e = new Exposition();
  e.family('firedrill_window_seconds', 'Length of the history window the metrics are computed over.', [{ value: seconds(m.window.ms) }]);
  e.family(
    'firedrill_runs_total',
    'Runs recorded in the window, by kind (drill or validation) and outcome.',
    m.runs.byKindOutcome.map((r) => ({ labels: { kind: r.kind, outcome: r.outcome }, value: r.count })),
  );
  e.family('firedrill_last_run_timestamp_seconds', 'Start time of the latest run in the window, in Unix seconds.', [{ value: m.runs.lastAt === undefined ? undefined : Date.parse(m.runs.lastAt) / 1000 }]);
  e.family('firedrill_rollback_success_ratio', 'Share of judged rollbacks that recovered within budget and restored cleanly.', ratio(m.rollback.success));
  e.family('firedrill_rollback_failure_ratio', 'Share of judged rollbacks that failed.', ratio(m.rollback.failure));
  e.family('firedrill_rollback_judged_runs', 'Runs whose rollback was judged (the denominator of the rollback ratios).', [{ value: m.rollback.success.n }]);
  e.family('firedrill_gate_success_ratio', 'Share of judged gates that held: the bad release never completed and its traffic share stayed within the limit.', ratio(m.gate.success));
  e.family('firedrill_gate_failure_ratio', 'Share of judged gates that let the bad release through.', ratio(m.gate.failure));
  e.family('firedrill_validation_failure_ratio', 'Share of pre-release validation runs that failed.', ratio(m.validation.failure));
  e.family('firedrill_probe_failure_ratio', 'Share of probes and service polls that failed where no failure was injected.', ratio(m.probes.failure));
  e.family('firedrill_rollback_seconds', 'Rollback (recovery) time of the runs that recovered: median and p95 (nearest rank).', [
    { labels: { quantile: '0.5' }, value: seconds(m.rollbackTime.medianMs) },
    { labels: { quantile: '0.95' }, value: seconds(m.rollbackTime.p95Ms) },
  ]);
  e.family('firedrill_rollback_max_seconds', 'The slowest rollback (recovery) time in the window.', [{ value: seconds(m.rollbackTime.maxMs) }]);
  e.family('firedrill_detect_seconds', 'Median time from inject to the first failure signal.', [{ labels: { quantile: '0.5' }, value: seconds(m.detectTime.medianMs) }]);
  e.family('firedrill_phase_seconds', 'Median duration of each drill phase and validation step.', m.phases.map((p) => ({ labels: { kind: p.kind, phase: p.phase, quantile: '0.5' }, value: p.medianMs / 1000 })));
  const fired = new Set((o.alerts ?? []).map((a) => a.name));
  const names = o.thresholds ? THRESHOLD_NAMES.filter((n) => o.thresholds![n] !== null) : [...fired];
  e.family('firedrill_alert_firing', 'Whether an alert threshold is crossed (1) or not (0).', names.map((name) => ({ labels: { alert: name }, value: fired.has(name) ? 1 : 0 })));
  return e.toString();
};

// ---- CloudWatch Embedded Metric Format

export const EMF_NAMESPACE = 'Firedrill';

type EmfUnit = 'Count' | 'Percent' | 'Milliseconds';

const pct = (r: Rate): number | undefined => (r.ratio === undefined ? undefined : r.ratio * 100);

export interface EmfGroup {
  environment: string;
  metrics: Metrics;
  alerts?: readonly Alert[];
}

/**
 * One EMF line (a JSON object) per group, dimension Environment. Rates are Percent (0 to 100),
 * times Milliseconds. A figure with no data is left out of both the values and the metric list.
 */
export const toEmf = (groups: readonly EmfGroup[], timestamp: number): string[] =>
  groups.map(({ environment, metrics: m, alerts }) => {
    const values: Array<[string, EmfUnit, number | undefined]> = [
      ['Runs', 'Count', m.runs.total],
      ['DrillRuns', 'Count', m.runs.drill],
      ['ValidationRuns', 'Count', m.runs.validation],
      ['RollbackSuccessRate', 'Percent', pct(m.rollback.success)],
      ['RollbackFailureRate', 'Percent', pct(m.rollback.failure)],
      ['GateSuccessRate', 'Percent', pct(m.gate.success)],
      ['GateFailureRate', 'Percent', pct(m.gate.failure)],
      ['ValidationFailureRate', 'Percent', pct(m.validation.failure)],
      ['ProbeFailureRate', 'Percent', pct(m.probes.failure)],
      ['RollbackTimeP50', 'Milliseconds', m.rollbackTime.medianMs],
      ['RollbackTimeP95', 'Milliseconds', m.rollbackTime.p95Ms],
      ['RollbackTimeMax', 'Milliseconds', m.rollbackTime.maxMs],
      ['TimeToDetectP50', 'Milliseconds', m.detectTime.medianMs],
      ['AlertsFiring', 'Count', alerts?.length],
    ];
    const present = values.filter((v): v is [string, EmfUnit, number] => v[2] !== undefined && Number.isFinite(v[2]));
    const line: Record<string, unknown> = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [{ Namespace: EMF_NAMESPACE, Dimensions: [['Environment']], Metrics: present.map(([Name, Unit]) => ({ Name, Unit })) }],
      },
      Environment: environment,
    };
    for (const [name, , value] of present) line[name] = value;
    return JSON.stringify(line);
  });
