// Metrics, thresholds and exports on hand-made histories: every figure is worked out by hand,
// so an off-by-one in a definition (a rate's denominator, a percentile's rank, a window's edge,
// "over" versus "at") shows up here.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, evaluateAlerts, parseThresholds, type Thresholds } from '../../harness/metrics/alerts.ts';
import { computeMetrics, formatDuration, parseDuration, type Metrics } from '../../harness/metrics/compute.ts';
import { median, percentile } from '../../lib/stats.ts';
import { escapeLabelValue, toEmf, toPrometheus } from '../../harness/metrics/export.ts';
import {
  appendHistory,
  historyFileFor,
  historyRecordFromJournal,
  historyRecordFromValidation,
  parseHistory,
  readHistory,
  type HistoryRecord,
} from '../../harness/metrics/history.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import type { ValidationReport } from '../../harness/journal/validation.ts';

const NOW = Date.parse('2025-06-30T12:00:00.000Z');
const DAY = 86_400_000;
const MIN = 60_000;

/** A passing drill record, `daysAgo` before NOW, with whatever changes the test needs. */
const rec = (more: Partial<HistoryRecord> = {}, daysAgo = 1): HistoryRecord => ({
  kind: 'drill',
  at: new Date(NOW - daysAgo * DAY).toISOString(),
  runId: `run-${Math.random().toString(16).slice(2, 8)}`,
  scenario: 'bad-image-tag',
  environment: 'sandbox',
  outcome: 'passed',
  rollbackPath: 'circuit-breaker',
  passed: true,
  gatePassed: true,
  rollbackPassed: true,
  timeToDetectMs: 2_000,
  timeToRollbackStartMs: 3_000,
  timeToRecoverMs: 10_000,
  phaseDurationsMs: { preflight: 100, baseline: 2_000, inject: 500 },
  probeFailures: { count: 0, total: 100 },
  ...more,
});
const failedRollback = (more: Partial<HistoryRecord> = {}) => rec({ outcome: 'failed', passed: false, rollbackPassed: false, timeToRecoverMs: null, ...more });
const validation = (passed: boolean, more: Partial<HistoryRecord> = {}) =>
  rec({ kind: 'validation', scenario: 'validation', outcome: passed ? 'passed' : 'failed', passed, gatePassed: null, probeFailures: { count: 0, total: 0 }, phaseDurationsMs: {}, ...more });
const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const metricsOf = (records: HistoryRecord[], windowMs?: number) => computeMetrics(records, { now: NOW, windowMs });
const alertNames = (m: Metrics, t: Partial<Thresholds> = {}) => evaluateAlerts(m, { ...DEFAULT_THRESHOLDS, ...t }).map((a) => a.name);

/** Every number anywhere in the value, with its path. */
const numbers = (value: unknown, path = '$'): Array<[string, number]> =>
  typeof value === 'number'
    ? [[path, value]]
    : Array.isArray(value)
      ? value.flatMap((v, i) => numbers(v, `${path}[${i}]`))
      : value && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => numbers(v, `${path}.${k}`))
        : [];

// ---- a journal, by hand

const INJECT = 100_000;
const journal = (more: Partial<Journal> = {}): Journal => ({
  schemaVersion: 1,
  runId: 'run-1',
  firedrill: { version: '0.1.0' },
  startedAt: Date.parse('2025-06-29T10:00:00.000Z'),
  endedAt: Date.parse('2025-06-29T10:01:00.000Z'),
  scenario: { name: 'bad-image-tag', file: 'scenarios/bad-image-tag.yaml', hash: 'h', spec: {} as Journal['scenario']['spec'] },
  environment: { name: 'staging', file: 'environments/staging.yaml', hash: 'h', kind: 'aws', region: 'us-east-1', cluster: 'c', service: 's', url: 'http://x' },
  rollbackPath: 'circuit-breaker',
  phases: [
    { phase: 'preflight', startedAt: 90_000, endedAt: 90_200, outcome: 'ok' },
    { phase: 'baseline', startedAt: 90_200, endedAt: 99_000, outcome: 'ok' },
    { phase: 'inject', startedAt: 99_000, endedAt: 100_500, outcome: 'ok' },
    { phase: 'restore', startedAt: 130_000, endedAt: 131_000, outcome: 'ok' },
    { phase: 'report', startedAt: 131_000, outcome: 'ok' }, // never ended: not counted
  ],
  markers: { injectAt: INJECT, recoveredAt: 120_000 },
  timeline: [
    // Before inject: 3 probes, 1 failed. During the drill window (inject to recovery): failures by design, not counted.
    { t: 95_000, source: 'probe', ok: true, latencyMs: 5 },
    { t: 96_000, source: 'probe', ok: false, status: 503, latencyMs: 5 },
    { t: 97_000, source: 'probe', ok: true, latencyMs: 5 },
    { t: 105_000, source: 'probe', ok: false, status: 503, latencyMs: 5 },
    { t: 110_000, source: 'probe', ok: false, error: 'timeout', latencyMs: 5 },
    // From recovery on: 2 probes, 0 failed.
    { t: 120_000, source: 'probe', ok: true, latencyMs: 5 },
    { t: 125_000, source: 'probe', ok: true, latencyMs: 5 },
    // 2 polls.
    { t: 95_000, source: 'service', taskDefinition: 'td:1', desiredCount: 2, runningCount: 2, pendingCount: 0, deployments: [], newEvents: [], newStoppedTasks: [] },
    { t: 125_000, source: 'service', taskDefinition: 'td:1', desiredCount: 2, runningCount: 2, pendingCount: 0, deployments: [], newEvents: [], newStoppedTasks: [] },
  ],
  measurements: {
    timeToDetectMs: 5_000,
    timeToRollbackStartMs: 8_000,
    timeToRecoverMs: 20_000,
    probesAfterInject: 4,
    answeredProbes: 2,
    badAnswers: 0,
    badTrafficShare: 0,
    failedProbes: { count: 2, share: 0.5 },
    badReleaseCompleted: false,
    badDeploymentEnd: 'FAILED',
    endsOnBaseline: true,
  },
  verdicts: [
    { expectation: 'recovery-within-budget', passed: true, summary: '', evidence: {} },
    { expectation: 'bad-release-never-completes', passed: true, summary: '', evidence: {} },
    { expectation: 'bad-traffic-share', passed: true, summary: '', evidence: {} },
  ],
  smoke: { baseline: [], afterRecovery: [] },
  restore: { ok: true, state: 'steady', actions: [] },
  outcome: 'passed',
  exitCode: 0,
  problems: ['service poller: ThrottlingException'],
  artifactsDir: '/tmp/a',
  ...more,
});
const verdict = (expectation: string, passed: boolean) => ({ expectation, passed, summary: '', evidence: {} });

describe('history records from journals', () => {
  it('takes the times, phases, verdicts and monitoring failures of a passed drill', () => {
    const r = historyRecordFromJournal(journal());
    expect(r).toEqual({
      kind: 'drill',
      at: '2025-06-29T10:00:00.000Z',
      runId: 'run-1',
      scenario: 'bad-image-tag',
      environment: 'staging',
      outcome: 'passed',
      rollbackPath: 'circuit-breaker',
      passed: true,
      gatePassed: true,
      rollbackPassed: true,
      timeToDetectMs: 5_000,
      timeToRollbackStartMs: 8_000,
      timeToRecoverMs: 20_000,
      phaseDurationsMs: { preflight: 200, baseline: 8_800, inject: 1_500, restore: 1_000 },
      // 5 probes outside the drill window (1 failed) + 2 polls + 1 failed poll.
      probeFailures: { count: 2, total: 8 },
    });
  });

  it('fails the gate when either gate verdict failed, and leaves it unjudged without them', () => {
    const through = journal({ outcome: 'failed', verdicts: [verdict('recovery-within-budget', true), verdict('bad-release-never-completes', false), verdict('bad-traffic-share', true)] });
    expect(historyRecordFromJournal(through)).toMatchObject({ gatePassed: false, rollbackPassed: true, passed: false });
    const share = journal({ outcome: 'failed', verdicts: [verdict('recovery-within-budget', true), verdict('bad-traffic-share', false)] });
    expect(historyRecordFromJournal(share).gatePassed).toBe(false);
    const none = journal({ verdicts: [verdict('recovery-within-budget', true)] });
    expect(historyRecordFromJournal(none).gatePassed).toBeNull();
  });

  it('fails the rollback when recovery failed or the restore failed', () => {
    expect(historyRecordFromJournal(journal({ outcome: 'failed', verdicts: [verdict('recovery-within-budget', false)] })).rollbackPassed).toBe(false);
    const restoreFailed = journal({ outcome: 'restore-failed', restore: { ok: false, state: 'stuck', actions: [] } });
    expect(historyRecordFromJournal(restoreFailed)).toMatchObject({ rollbackPassed: false, gatePassed: true, outcome: 'restore-failed' });
  });

  it('leaves gate and rollback unjudged for runs that never got to judge them', () => {
    for (const outcome of ['interrupted', 'invalid', 'unhealthy-baseline'] as const) {
      expect(historyRecordFromJournal(journal({ outcome })), outcome).toMatchObject({ gatePassed: null, rollbackPassed: null, passed: false });
    }
  });

  it('counts every probe when nothing was injected, and nothing after inject when the service never recovered', () => {
    const unhealthy = journal({ outcome: 'unhealthy-baseline', markers: {}, measurements: undefined, verdicts: [], problems: [] });
    const r = historyRecordFromJournal(unhealthy);
    expect(r.probeFailures).toEqual({ count: 3, total: 9 }); // 7 probes (3 failed) + 2 polls
    expect(r).toMatchObject({ timeToDetectMs: null, timeToRollbackStartMs: null, timeToRecoverMs: null });
    const neverRecovered = journal({ markers: { injectAt: INJECT }, problems: [] });
    expect(historyRecordFromJournal(neverRecovered).probeFailures).toEqual({ count: 1, total: 5 }); // 3 probes before inject + 2 polls
  });
});

describe('history records from validation reports', () => {
  const report = (more: Partial<ValidationReport> = {}): ValidationReport => ({
    candidate: 'v1.2.0',
    current: { taskDefinitionArn: 'td:1', image: 'app:v1.1.0' },
    budgetMs: 300_000,
    durationMs: 120_000,
    withinBudget: true,
    restored: true,
    findings: [],
    failOn: 'high',
    prediction: { ms: 110_000, costs: [], notes: [] },
    steps: [
      { name: 'security-checks', passed: true, durationMs: 40, summary: '' },
      { name: 'deploy-candidate', passed: true, durationMs: 30_000, summary: '' },
      { name: 'failing-release-caught', passed: true, durationMs: 50_000, summary: '' },
      { name: 'rollback-to-current', passed: true, durationMs: 25_000, summary: '' },
    ],
    passed: true,
    ...more,
  });

  it('records the verdict, the rollback step and the step durations', () => {
    const r = historyRecordFromValidation(report(), '2025-06-29T09:00:00Z', { environment: 'staging' });
    expect(r).toMatchObject({
      kind: 'validation',
      at: '2025-06-29T09:00:00.000Z',
      environment: 'staging',
      outcome: 'passed',
      passed: true,
      gatePassed: null,
      rollbackPassed: true,
      timeToRecoverMs: 25_000,
      candidate: 'v1.2.0',
      phaseDurationsMs: { 'security-checks': 40, 'deploy-candidate': 30_000, 'failing-release-caught': 50_000, 'rollback-to-current': 25_000 },
      probeFailures: { count: 0, total: 0 },
    });
    expect(r.runId).toContain('v1.2.0');
  });

  it('tells a failed run, a failed restore and a rollback that never ran apart', () => {
    const steps = report().steps;
    const slow = report({ passed: false, steps: steps.map((s) => (s.name === 'rollback-to-current' ? { ...s, passed: false } : s)) });
    expect(historyRecordFromValidation(slow, NOW)).toMatchObject({ outcome: 'failed', passed: false, rollbackPassed: false, timeToRecoverMs: null, environment: 'unknown' });
    const stuck = report({ passed: false, restored: false, steps: steps.map((s) => (s.name === 'rollback-to-current' ? { ...s, passed: false } : s)) });
    expect(historyRecordFromValidation(stuck, NOW)).toMatchObject({ outcome: 'restore-failed', rollbackPassed: false });
    // A candidate that fails its security checks is never deployed: there is no rollback to judge.
    const refused = report({ passed: false, steps: [{ ...steps[0]!, passed: false }] });
    expect(historyRecordFromValidation(refused, NOW)).toMatchObject({ outcome: 'failed', rollbackPassed: null, timeToRecoverMs: null });
  });
});

describe('reading the history', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'firedrill-history-'));
    dirs.push(d);
    return d;
  };

  it('skips and counts bad lines, ignores blank ones, and reads partial records as not measured', () => {
    const good = rec({ runId: 'good' });
    const text = [
      JSON.stringify(good),
      '',
      '{"kind":"drill","at":"2025-06-29T00:00:00Z","passed":false}', // partial: fine
      'not json',
      '{"kind":"chaos","at":"2025-06-29T00:00:00Z","passed":true}',
      '{"kind":"drill","at":"yesterday","passed":true}',
      '{"kind":"drill","at":"2025-06-29T00:00:00Z"}',
      '{"kind":"drill","at":"2025-06-29T00:00:00Z","passed":true,"timeToRecoverMs":"fast"}',
      '{"kind":"drill","at":"2025-06-29T00:00:00Z","passed":true,"probeFailures":{"count":5,"total":2}}',
      '[1,2]',
      '{"kind":"drill","at":"2025-06-29T00:00:00Z","passed":true,"rollbackPassed":"yes"}',
      '{"kind":"validation","at":"2025-06-29T00:00:0', // a writer died mid-line
    ].join('\n');
    const parsed = parseHistory(text);
    expect(parsed.skipped).toBe(9);
    expect(parsed.bad.map((b) => b.line)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(parsed.bad[0]!.reason).toBe('not valid JSON');
    expect(parsed.records).toHaveLength(2);
    expect(parsed.records[0]).toEqual(good);
    expect(parsed.records[1]).toEqual({
      kind: 'drill',
      at: '2025-06-29T00:00:00Z',
      runId: '',
      scenario: 'unknown',
      environment: 'unknown',
      outcome: 'failed',
      rollbackPath: 'unknown',
      passed: false,
      gatePassed: null,
      rollbackPassed: null,
      timeToDetectMs: null,
      timeToRollbackStartMs: null,
      timeToRecoverMs: null,
      phaseDurationsMs: {},
      probeFailures: { count: 0, total: 0 },
    });
  });

  it('appends JSON lines, reads them back, and closes a line a dead writer left open', () => {
    const file = join(tmp(), 'nested', 'history.jsonl');
    expect(readHistory(file)).toEqual({ records: [], skipped: 0, bad: [] });
    appendHistory(file, [rec({ runId: 'a' }), rec({ runId: 'b' })]);
    writeFileSync(file, readFileSync(file, 'utf8') + '{"kind":"drill","at":"2025-');
    appendHistory(file, [rec({ runId: 'c' })]);
    appendHistory(file, []);
    const back = readHistory(file);
    expect(back.records.map((r) => r.runId)).toEqual(['a', 'b', 'c']);
    expect(back.skipped).toBe(1);
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
  });

  it('finds the history file: the flag, then FIREDRILL_HISTORY, then the report directory', () => {
    expect(historyFileFor({ history: 'h.jsonl', reportDir: 'reports', env: { FIREDRILL_HISTORY: 'env.jsonl' } })).toBe('h.jsonl');
    expect(historyFileFor({ reportDir: 'reports', env: { FIREDRILL_HISTORY: 'env.jsonl' } })).toBe('env.jsonl');
    expect(historyFileFor({ reportDir: 'out', env: {} })).toBe(join('out', 'history.jsonl'));
  });
});

describe('metrics', () => {
  it('on an empty history: every count 0, every rate and time undefined, nothing NaN', () => {
    const m = metricsOf([]);
    expect(m.runs).toMatchObject({ total: 0, drill: 0, validation: 0, passed: 0, byKindOutcome: [], environments: [] });
    expect(m.rollback.failure).toEqual({ n: 0, count: 0, ratio: undefined });
    expect(m.gate.success.ratio).toBeUndefined();
    expect(m.validation.failure.ratio).toBeUndefined();
    expect(m.probes.failure.ratio).toBeUndefined();
    expect(m.rollbackTime).toEqual({ n: 0, medianMs: undefined, p95Ms: undefined, maxMs: undefined, slowest: [] });
    expect(m.phases).toEqual([]);
    expect(numbers(m).filter(([, v]) => !Number.isFinite(v))).toEqual([]);
    expect(evaluateAlerts(m)).toEqual([]);
  });

  it('on a partial history: each figure over the records that have it', () => {
    const records = [
      rec({ rollbackPassed: null, gatePassed: null, timeToRecoverMs: null, timeToDetectMs: null, phaseDurationsMs: {}, probeFailures: { count: 0, total: 0 } }),
      rec({ rollbackPassed: true, gatePassed: null, timeToRecoverMs: 4_000, phaseDurationsMs: { inject: 700 } }),
      rec({ rollbackPassed: false, gatePassed: false, timeToRecoverMs: null, outcome: 'failed', passed: false }),
    ];
    const m = metricsOf(records);
    expect(m.runs).toMatchObject({ total: 3, drill: 3, validation: 0, passed: 2 });
    expect(m.rollback.success).toEqual({ n: 2, count: 1, ratio: 0.5 });
    expect(m.rollback.failure).toEqual({ n: 2, count: 1, ratio: 0.5 });
    expect(m.gate.failure).toEqual({ n: 1, count: 1, ratio: 1 });
    expect(m.validation.failure.ratio).toBeUndefined();
    expect(m.rollbackTime).toMatchObject({ n: 1, medianMs: 4_000, p95Ms: 4_000, maxMs: 4_000 });
    expect(m.detectTime).toEqual({ n: 2, medianMs: 2_000 });
    expect(m.phases.find((p) => p.phase === 'inject')).toEqual({ kind: 'drill', phase: 'inject', n: 2, medianMs: 600 });
    expect(m.probes.failure).toEqual({ n: 200, count: 0, ratio: 0 });
    expect(numbers(m).filter(([, v]) => !Number.isFinite(v))).toEqual([]);
  });

  it('rates, median, p95, time per phase and counts on a worked example', () => {
    // 20 drills: recovery times 1..17 s for the 17 that recovered, 3 that never did.
    const drills = [
      ...many(17, (i) => rec({ runId: `ok-${i + 1}`, timeToRecoverMs: (i + 1) * 1000, phaseDurationsMs: { inject: 100 * (i + 1), verify: 50 } })),
      ...many(3, (i) => failedRollback({ runId: `bad-${i}`, gatePassed: i === 0 ? false : true, probeFailures: { count: 10, total: 100 } })),
    ];
    const validations = [validation(true), validation(false), validation(true, { timeToRecoverMs: 30_000 }), validation(true)];
    const m = metricsOf([...drills, ...validations]);
    expect(m.runs).toMatchObject({ total: 24, drill: 20, validation: 4, passed: 20 });
    expect(m.runs.byKindOutcome).toEqual([
      { kind: 'drill', outcome: 'passed', count: 17 },
      { kind: 'drill', outcome: 'failed', count: 3 },
      { kind: 'validation', outcome: 'passed', count: 3 },
      { kind: 'validation', outcome: 'failed', count: 1 },
    ]);
    // Rollbacks judged: 20 drills + 4 validations; 3 failed.
    expect(m.rollback.failure).toEqual({ n: 24, count: 3, ratio: 3 / 24 });
    expect(m.rollback.success.ratio).toBe(21 / 24);
    // Gates judged: the 20 drills; 1 failed.
    expect(m.gate.success).toEqual({ n: 20, count: 19, ratio: 0.95 });
    expect(m.validation.failure).toEqual({ n: 4, count: 1, ratio: 0.25 });
    // Recovery times: 1..17 s and 10 s x3 (the validations' default) and 30 s: 21 values.
    // Sorted: 1..9, 10,10,10,10, 11..17, 30. Median = the 11th = 10 s; p95 = the ceil(19.95) = 20th = 17 s.
    expect(m.rollbackTime).toMatchObject({ n: 21, medianMs: 10_000, p95Ms: 17_000, maxMs: 30_000 });
    expect(m.rollbackTime.slowest.map((s) => s.ms)).toEqual([30_000, 17_000, 16_000, 15_000, 14_000]);
    // inject: 100..1700 ms over 17 drills plus 500 ms of the 3 failed ones: sorted 20 values, median = mean of the 10th and 11th.
    const inject = [...many(17, (i) => 100 * (i + 1)), 500, 500, 500].sort((a, b) => a - b);
    expect(m.phases.find((p) => p.phase === 'inject')).toEqual({ kind: 'drill', phase: 'inject', n: 20, medianMs: (inject[9]! + inject[10]!) / 2 });
    expect(m.phases.map((p) => p.phase)).toEqual(['preflight', 'baseline', 'inject', 'verify']);
    // Probes: 17 x 0/100 + 3 x 10/100 + 4 x 0/0.
    expect(m.probes.failure).toEqual({ n: 2_000, count: 30, ratio: 0.015 });
  });

  it('median and nearest-rank p95', () => {
    expect(median([])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([5], 0.95)).toBe(5);
    expect(percentile(many(20, (i) => i + 1), 0.95)).toBe(19);
    expect(percentile(many(19, (i) => i + 1), 0.95)).toBe(19);
    expect(percentile(many(100, (i) => i + 1), 0.95)).toBe(95);
  });

  it('counts only the runs in the window, its edge included', () => {
    const records = [
      rec({ runId: 'edge', at: new Date(NOW - 30 * DAY).toISOString() }),
      rec({ runId: 'old', at: new Date(NOW - 30 * DAY - 1).toISOString(), rollbackPassed: false }),
      rec({ runId: 'recent', at: new Date(NOW - 2 * 3_600_000).toISOString() }),
    ];
    expect(metricsOf(records, 30 * DAY).runs.total).toBe(2);
    expect(metricsOf(records, 30 * DAY).rollback.failure.ratio).toBe(0);
    expect(metricsOf(records, 30 * DAY).window).toEqual({ ms: 30 * DAY, from: '2025-05-31T12:00:00.000Z' });
    expect(metricsOf(records, 12 * 3_600_000).runs.total).toBe(1);
    expect(metricsOf(records).runs.total).toBe(3);
    expect(metricsOf(records).rollback.failure.ratio).toBe(1 / 3);
  });

  it('parses window durations and rejects the rest with a clear message', () => {
    expect(parseDuration('30d')).toBe(30 * DAY);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * MIN);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('2w')).toBe(14 * DAY);
    expect(parseDuration('1.5h')).toBe(90 * MIN);
    for (const bad of ['30', 'd', '30x', '-1d', '0d', '', '30 days', '1e3d']) {
      expect(() => parseDuration(bad, '--window'), bad).toThrow(/--window ".*" is not a duration: use a positive number and a unit, e\.g\. 30d, 12h, 90m/);
    }
    expect(formatDuration(30 * DAY)).toBe('30d');
    expect(formatDuration(90 * MIN)).toBe('90m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

describe('alerts', () => {
  /** n runs of which `failed` failed, for a rate's numerator and denominator. */
  const rollbacks = (n: number, failed: number) => many(n, (i) => (i < failed ? failedRollback() : rec()));

  it('rollback failure rate: 15 % exactly does not fire, over it does', () => {
    expect(alertNames(metricsOf(rollbacks(20, 3)))).toEqual([]); // 3/20 = 15 %
    expect(alertNames(metricsOf(rollbacks(19, 3)))).toEqual(['rollback-failure-rate']); // 15.8 %
    const [alert] = evaluateAlerts(metricsOf(rollbacks(19, 3)));
    expect(alert).toMatchObject({ name: 'rollback-failure-rate', value: 3 / 19, threshold: 0.15, n: 19 });
    expect(alert!.message).toBe('rollback failure rate is 15.8 % (3 of 19 judged rollbacks), over the 15 % threshold');
  });

  it('validation failure rate: 10 % exactly does not fire, over it does', () => {
    const runs = (n: number, failed: number) => many(n, (i) => validation(i >= failed));
    expect(alertNames(metricsOf(runs(10, 1)))).toEqual([]);
    expect(alertNames(metricsOf(runs(9, 1)))).toEqual(['validation-failure-rate']);
  });

  it('gate failure rate: 10 % exactly does not fire, over it does', () => {
    const runs = (n: number, failed: number) => many(n, (i) => rec({ gatePassed: i >= failed }));
    expect(alertNames(metricsOf(runs(10, 1)))).toEqual([]);
    expect(alertNames(metricsOf(runs(9, 1)))).toEqual(['gate-failure-rate']);
  });

  it('probe/monitoring failure rate: 5 % exactly does not fire, over it does', () => {
    expect(alertNames(metricsOf([rec({ probeFailures: { count: 5, total: 100 } })]))).toEqual([]);
    expect(alertNames(metricsOf([rec({ probeFailures: { count: 6, total: 100 } })]))).toEqual(['probe-failure-rate']);
    expect(alertNames(metricsOf([rec({ probeFailures: { count: 3, total: 50 } }), rec({ probeFailures: { count: 3, total: 50 } })]))).toEqual(['probe-failure-rate']);
  });

  it('rollback time: any single run over 10 minutes fires; exactly 10 minutes does not', () => {
    const fast = many(30, () => rec({ timeToRecoverMs: 20_000 }));
    expect(alertNames(metricsOf([...fast, rec({ timeToRecoverMs: 10 * MIN })]))).toEqual([]);
    const slow = rec({ runId: 'slow-one', scenario: 'http-errors', environment: 'staging', timeToRecoverMs: 10 * MIN + 1 });
    const m = metricsOf([...fast, slow]);
    expect(m.rollbackTime.p95Ms).toBe(20_000); // the p95 is fine; the slowest run is not
    const [alert] = evaluateAlerts(m);
    expect(alert).toMatchObject({ name: 'rollback-time', value: 10 * MIN + 1, threshold: 10 * MIN, n: 31 });
    expect(alert!.message).toContain('1 of 31 rollbacks took longer than 10 min');
    expect(alert!.message).toContain('http-errors on staging, run slow-one');
    expect(alert!.message).toContain('p95 20.0 s');
  });

  it('never fires on no data, and a threshold set to off never fires', () => {
    expect(evaluateAlerts(metricsOf([]))).toEqual([]);
    const bad = metricsOf([failedRollback({ gatePassed: false, probeFailures: { count: 9, total: 10 } }), validation(false, { timeToRecoverMs: 11 * MIN })]);
    expect(alertNames(bad)).toEqual(['rollback-failure-rate', 'validation-failure-rate', 'rollback-time', 'gate-failure-rate', 'probe-failure-rate']);
    const off = parseThresholds(['rollback-failure-rate=off', 'validation-failure-rate=off', 'rollback-time=off', 'gate-failure-rate=none', 'probe-failure-rate=off']);
    expect(evaluateAlerts(bad, off)).toEqual([]);
  });

  it('thresholds are configurable: percentages, ratios, durations', () => {
    const t = parseThresholds(['rollback-failure-rate=20%', 'gate-failure-rate=0.05', 'rollback-time=5m', 'probe-failure-rate=0']);
    expect(t).toEqual({ ...DEFAULT_THRESHOLDS, 'rollback-failure-rate': 0.2, 'gate-failure-rate': 0.05, 'rollback-time': 5 * MIN, 'probe-failure-rate': 0 });
    expect(alertNames(metricsOf(rollbacks(5, 1)), t)).toEqual([]); // 20 % exactly
    expect(alertNames(metricsOf([rec({ timeToRecoverMs: 5 * MIN + 1 })]), t)).toEqual(['rollback-time']);
    expect(alertNames(metricsOf([rec({ probeFailures: { count: 1, total: 1000 } })]), t)).toEqual(['probe-failure-rate']);
  });

  it('rejects unknown names and bad values with the accepted forms', () => {
    expect(() => parseThresholds(['rollback-failures=10%'])).toThrow(/unknown threshold "rollback-failures"; the thresholds are rollback-failure-rate, validation-failure-rate, rollback-time/);
    expect(() => parseThresholds(['rollback-failure-rate'])).toThrow(/give a value, e\.g\. rollback-failure-rate=15%/);
    expect(() => parseThresholds(['rollback-failure-rate=15'])).toThrow(/did you mean 15%\?/);
    expect(() => parseThresholds(['gate-failure-rate=120%'])).toThrow(/a percentage from 0% to 100%/);
    expect(() => parseThresholds(['gate-failure-rate=abc'])).toThrow(/a percentage from 0% to 100%/);
    expect(() => parseThresholds(['rollback-time=600'])).toThrow(/is not a duration/);
  });
});

describe('exports', () => {
  const sample = () => {
    const records = [
      ...many(9, (i) => rec({ timeToRecoverMs: (i + 1) * 1000 })),
      failedRollback({ outcome: 'we"ird\\out\ncome', environment: 'staging' }),
      validation(true, { environment: 'staging' }),
    ];
    const m = metricsOf(records, 30 * DAY);
    return { records, m, alerts: evaluateAlerts(m) };
  };

  it('Prometheus: HELP and TYPE for every family, gauges, escaped labels, no NaN', () => {
    const { m, alerts } = sample();
    const text = toPrometheus(m, { alerts, thresholds: DEFAULT_THRESHOLDS });
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    for (const family of families) {
      expect(lines).toContain(`# TYPE ${family} gauge`);
      expect(lines.some((l) => l.startsWith(`# HELP ${family} `))).toBe(true);
    }
    const sampleLine = /^([a-z_]+)(\{[a-z_]+="(?:[^"\\\n]|\\["\\n])*"(?:,[a-z_]+="(?:[^"\\\n]|\\["\\n])*")*\})? (-?[0-9.e+-]+)$/;
    for (const line of lines.filter((l) => !l.startsWith('#'))) {
      const match = sampleLine.exec(line);
      expect(match, line).not.toBeNull();
      expect(families).toContain(match![1]);
      expect(Number.isFinite(Number(match![3])), line).toBe(true);
    }
    expect(text).not.toMatch(/NaN|Inf/);
    expect(lines).toContain('firedrill_runs_total{kind="drill",outcome="passed"} 9');
    expect(lines).toContain('firedrill_runs_total{kind="drill",outcome="we\\"ird\\\\out\\ncome"} 1');
    expect(lines).toContain('firedrill_runs_total{kind="validation",outcome="passed"} 1');
    expect(lines).toContain('firedrill_rollback_success_ratio 0.909090909091');
    expect(lines).toContain('firedrill_rollback_seconds{quantile="0.5"} 5.5');
    expect(lines).toContain('firedrill_rollback_seconds{quantile="0.95"} 10');
    expect(lines).toContain('firedrill_rollback_max_seconds 10');
    expect(lines).toContain('firedrill_window_seconds 2592000');
    expect(lines).toContain('firedrill_validation_failure_ratio 0');
    expect(lines).toContain('firedrill_phase_seconds{kind="drill",phase="inject",quantile="0.5"} 0.5');
    expect(lines).toContain('firedrill_alert_firing{alert="rollback-failure-rate"} 0');
    expect(lines).toContain('firedrill_alert_firing{alert="gate-failure-rate"} 0');
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('Prometheus on an empty history: the families are documented, the figures with no data are left out', () => {
    const text = toPrometheus(metricsOf([]));
    expect(text).toContain('# TYPE firedrill_rollback_success_ratio gauge');
    expect(text).not.toMatch(/^firedrill_rollback_success_ratio /m);
    expect(text).not.toMatch(/^firedrill_rollback_seconds/m);
    expect(text).not.toMatch(/NaN/);
    expect(text).toMatch(/^firedrill_rollback_judged_runs 0$/m);
  });

  it('EMF: one JSON line per environment, every listed metric present with its unit', () => {
    const { records } = sample();
    const groups = ['sandbox', 'staging'].map((environment) => {
      const m = metricsOf(records.filter((r) => r.environment === environment));
      return { environment, metrics: m, alerts: evaluateAlerts(m) };
    });
    const lines = toEmf(groups, NOW);
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      expect(line).not.toContain('\n');
      const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } };
      expect(doc._aws.Timestamp).toBe(NOW);
      expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
      const [directive] = doc._aws.CloudWatchMetrics;
      expect(directive!.Namespace).toBe('Firedrill');
      expect(directive!.Dimensions).toEqual([['Environment']]);
      expect(doc.Environment).toBe(groups[i]!.environment);
      for (const { Name, Unit } of directive!.Metrics) {
        expect(['Count', 'Percent', 'Milliseconds']).toContain(Unit);
        expect(typeof doc[Name], Name).toBe('number');
      }
    }
    const sandbox = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(sandbox).toMatchObject({ Runs: 9, DrillRuns: 9, ValidationRuns: 0, RollbackSuccessRate: 100, RollbackTimeP50: 5_000, RollbackTimeP95: 9_000, AlertsFiring: 0 });
    // No validation runs on sandbox: no ValidationFailureRate, in the values or the metric list.
    expect(sandbox).not.toHaveProperty('ValidationFailureRate');
    expect(lines[0]).not.toContain('"ValidationFailureRate"');
    const staging = JSON.parse(lines[1]!) as Record<string, unknown>;
    expect(staging).toMatchObject({ Runs: 2, RollbackFailureRate: 50, ValidationFailureRate: 0, AlertsFiring: 1 });
  });
});
