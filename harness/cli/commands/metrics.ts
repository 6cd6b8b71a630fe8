// `firedrill metrics`: drill metrics over a window of the history, the alert thresholds, and the
// exports (Prometheus text to a file or a Pushgateway, CloudWatch EMF lines, a webhook when an
// alert fires). Also `recordHistory`, which `firedrill run` calls to append its runs.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { duration, percent } from '../../../lib/format.ts';
import { writeFileAtomic } from '../../../lib/fs/write-file-atomic.ts';
import { describeThresholds, evaluateAlerts, formatThreshold, parseThresholds, type Alert, type ThresholdName, type Thresholds } from '../../metrics/alerts.ts';
import { computeMetrics, formatDuration, inWindow, parseDuration, type Metrics, type Rate } from '../../metrics/compute.ts';
import { toEmf, toPrometheus } from '../../metrics/export.ts';
import {
  appendHistory,
  HISTORY_ENV,
  historyFileFor,
  historyRecordFromJournal,
  historyRecordFromValidation,
  readHistory,
  type HistoryRecord,
  type ParsedHistory,
} from '../../metrics/history.ts';
import type { Journal } from '../../journal/journal.ts';
import type { ValidationReport } from '../../journal/validation.ts';
import { parse } from '../args.ts';
import { ExitCode, UserError } from '../errors.ts';

/** Exit codes of `firedrill metrics`. */
export const MetricsExit = {
  ok: 0,
  alert: 1,
  badInput: 2,
  /** No alert fired, but an export or notification could not be delivered. */
  deliveryFailed: 5,
} as const;

export const METRICS_USAGE = `Usage: firedrill metrics [--history FILE] [--window 30d] [--env NAME] [--json | --emf]
                        [--prometheus FILE] [--pushgateway URL] [--webhook URL]
                        [--threshold NAME=VALUE ...]

Drill metrics over a window of the run history: rollback success and failure rate, gate
success rate, validation failure rate, median and p95 rollback (recovery) time, median time
per phase, probe/monitoring failure rate. Then the alert thresholds.

Options:
  --history FILE        The history (JSON Lines, one record per run). Default: $${HISTORY_ENV},
                        else <report dir>/history.jsonl
  --report-dir DIR      The report directory of the default history (default: reports)
  --window DURATION     Only runs that started within it: 30d, 12h, 90m, 45s, or "all" (default 30d)
  --env NAME            Only runs on this environment
  --json                Print the metrics and alerts as JSON instead of the table
  --emf                 Print CloudWatch Embedded Metric Format lines (one per environment,
                        namespace Firedrill, dimension Environment) instead of the table
  --prometheus FILE     Write the Prometheus text format to FILE, atomically (for
                        node_exporter's textfile collector: a .prom file in its directory)
  --pushgateway URL     PUT the Prometheus text to URL/metrics/job/firedrill
  --webhook URL         When an alert fires, POST the alerts as JSON with a Slack-compatible
                        "text" field (nothing is posted when no alert fires)
  --threshold NAME=VALUE  Set an alert threshold (repeatable); VALUE "off" turns it off:
      rollback-failure-rate=15%     failed rollbacks over judged rollbacks (drills, and the
                                    rollback step of validation runs)
      validation-failure-rate=10%   failed validation runs over validation runs
      rollback-time=10m             fires when ANY run in the window took longer to recover
                                    (the slowest run; the p95 is in the message)
      gate-failure-rate=10%         the bad release completed or served too much traffic
      probe-failure-rate=5%         probes and polls that failed where nothing was injected
    An alert fires when the figure is strictly over its threshold, never on no data.

Exit codes: 0 no alert fired, 1 an alert fired, 2 bad input (a bad window, threshold, URL
or history file), 5 no alert fired but an export or the webhook could not be delivered.
`;

export interface MetricsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Epoch milliseconds. */
  now: () => number;
  fetch: typeof fetch;
}

const defaultIo = (): MetricsIo => ({
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  now: () => Date.now(),
  fetch: (...a) => fetch(...a),
});

const DELIVERY_TIMEOUT_MS = 15_000;

// ---- recording runs

export interface RecordResult {
  file: string;
  appended: number;
  /** Why the history could not be written; the run's own result stands either way. */
  error?: string;
}

/**
 * Appends one history record per journal. Never throws: a history that cannot be written is
 * reported on stderr and must not change a drill's outcome or exit code.
 */
export const recordHistory = (journals: readonly Journal[], o: { historyFile: string; stderr?: (text: string) => void }): RecordResult =>
  append(journals.map(historyRecordFromJournal), o);

/** The same for a `firedrill validate` run. */
export const recordValidationHistory = (
  report: ValidationReport,
  o: { historyFile: string; environment: string; at: Date | number | string; stderr?: (text: string) => void },
): RecordResult => append([historyRecordFromValidation(report, o.at, { environment: o.environment })], o);

const append = (records: HistoryRecord[], o: { historyFile: string; stderr?: (text: string) => void }): RecordResult => {
  try {
    appendHistory(o.historyFile, records);
    return { file: o.historyFile, appended: records.length };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    (o.stderr ?? ((t: string) => void process.stderr.write(t)))(`firedrill: could not append to the history ${o.historyFile}: ${message}\n`);
    return { file: o.historyFile, appended: 0, error: message };
  }
};

export { historyFileFor };

// ---- the command

interface Delivery {
  what: string;
  ok: boolean;
  detail: string;
}

/** Where a URL points, without its path, query or credentials: webhook URLs carry secrets. */
const safeUrl = (url: URL): string => `${url.protocol}//${url.host}`;

const parseUrl = (value: string | undefined, flag: string): URL | undefined => {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`${flag} "${value}" is not a URL; give an http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`${flag} must be an http:// or https:// URL, not ${url.protocol}`);
  return url;
};

export const pushgatewayUrl = (base: URL): URL => {
  const url = new URL(base.toString());
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics/job/firedrill`;
  return url;
};

const send = async (io: MetricsIo, what: string, url: URL, init: RequestInit): Promise<Delivery> => {
  try {
    const response = await io.fetch(url, { ...init, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    const body = await response.text().catch(() => '');
    if (!response.ok) return { what, ok: false, detail: `${safeUrl(url)} answered HTTP ${response.status}${body ? `: ${body.trim().slice(0, 200)}` : ''}` };
    return { what, ok: true, detail: `${safeUrl(url)} (HTTP ${response.status})` };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return { what, ok: false, detail: `${safeUrl(url)}: ${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause})` : ''}` };
  }
};

export interface WebhookPayload {
  /** Slack's field: the alerts in a few lines. */
  text: string;
  source: 'firedrill';
  window: string;
  environment?: string;
  history: string;
  runs: number;
  alerts: Alert[];
}

export const webhookPayload = (alerts: readonly Alert[], m: Metrics, o: { window: string; environment?: string; history: string }): WebhookPayload => {
  const scope = `${m.runs.total} run${m.runs.total === 1 ? '' : 's'} in ${o.window === 'all' ? 'the whole history' : `the last ${o.window}`}${o.environment ? ` on ${o.environment}` : ''}`;
  const text = [`firedrill: ${alerts.length} alert${alerts.length === 1 ? '' : 's'} fired (${scope})`, ...alerts.map((a) => `• ${a.name}: ${a.message}`)].join('\n');
  return { text, source: 'firedrill', window: o.window, environment: o.environment, history: o.history, runs: m.runs.total, alerts: [...alerts] };
};

// ---- the table

const pad = (rows: string[][]): string[] => {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd());
};

const runs = (n: number, noun = 'runs') => `${n} ${n === 1 ? noun.replace(/s$/, '') : noun}`;

export const renderTable = (
  m: Metrics,
  alerts: readonly Alert[],
  thresholds: Readonly<Thresholds>,
  o: { history: string; historyExists: boolean; parsed: ParsedHistory; window: string; environment?: string },
): string => {
  const fired = new Map(alerts.map((a) => [a.name, a]));
  const out: string[] = [];
  const scope = o.window === 'all' ? 'in the whole history' : `in the last ${o.window} (since ${m.window.from})`;
  out.push(`firedrill metrics: ${runs(m.runs.total)} (${runs(m.runs.drill, 'drills')}, ${runs(m.runs.validation, 'validation runs')}) ${scope}${o.environment ? ` on ${o.environment}` : ''}`);
  const notes = [
    !o.historyExists && 'does not exist yet: no runs recorded',
    o.parsed.skipped > 0 && `${o.parsed.skipped} bad line${o.parsed.skipped === 1 ? '' : 's'} skipped: ${o.parsed.bad.slice(0, 3).map((b) => `line ${b.line}: ${b.reason}`).join('; ')}${o.parsed.skipped > 3 ? '; ...' : ''}`,
  ].filter(Boolean);
  out.push(`history: ${o.history}${notes.length ? ` (${notes.join('; ')})` : ''}`, '');

  const status = (name: ThresholdName, hasData: boolean) => (thresholds[name] === null ? 'off' : !hasData ? 'no data' : fired.has(name) ? 'ALERT' : 'ok');
  const limit = (name: ThresholdName) => (thresholds[name] === null ? '' : `> ${formatThreshold(name, thresholds[name])}`);
  const pctOf = (r: Rate) => (r.ratio === undefined ? '-' : percent(r.ratio));
  const ms = (v: number | undefined) => (v === undefined ? '-' : duration(v));
  const rows: string[][] = [
    ['metric', 'value', 'n', 'alert when', 'status'],
    ['rollback success rate', pctOf(m.rollback.success), runs(m.rollback.success.n), '', ''],
    ['rollback failure rate', pctOf(m.rollback.failure), runs(m.rollback.failure.n), limit('rollback-failure-rate'), status('rollback-failure-rate', m.rollback.failure.n > 0)],
    ['gate success rate', pctOf(m.gate.success), runs(m.gate.success.n), '', ''],
    ['gate failure rate', pctOf(m.gate.failure), runs(m.gate.failure.n), limit('gate-failure-rate'), status('gate-failure-rate', m.gate.failure.n > 0)],
    ['validation failure rate', pctOf(m.validation.failure), runs(m.validation.failure.n), limit('validation-failure-rate'), status('validation-failure-rate', m.validation.failure.n > 0)],
    ['rollback time, median', ms(m.rollbackTime.medianMs), runs(m.rollbackTime.n), '', ''],
    ['rollback time, p95', ms(m.rollbackTime.p95Ms), runs(m.rollbackTime.n), '', ''],
    ['rollback time, slowest run', ms(m.rollbackTime.maxMs), runs(m.rollbackTime.n), limit('rollback-time'), status('rollback-time', m.rollbackTime.n > 0)],
    ['time to detect, median', ms(m.detectTime.medianMs), runs(m.detectTime.n), '', ''],
    ['time to rollback start, median', ms(m.rollbackStartTime.medianMs), runs(m.rollbackStartTime.n), '', ''],
    ['probe/monitoring failure rate', pctOf(m.probes.failure), runs(m.probes.failure.n, 'samples'), limit('probe-failure-rate'), status('probe-failure-rate', m.probes.failure.n > 0)],
  ];
  out.push(...pad(rows).map((l) => `  ${l}`), '');

  if (m.phases.length > 0) {
    out.push('time per phase (median):');
    out.push(...pad(m.phases.map((p) => [p.kind, p.phase, duration(p.medianMs), runs(p.n)])).map((l) => `  ${l}`), '');
  }
  if (m.runs.byKindOutcome.length > 0) {
    out.push('runs by outcome:');
    out.push(...pad(m.runs.byKindOutcome.map((r) => [r.kind, r.outcome, String(r.count)])).map((l) => `  ${l}`), '');
  }
  if (alerts.length === 0) out.push(`alerts: none (${describeThresholds(thresholds).join(', ')})`);
  else {
    out.push(`ALERTS: ${alerts.length} fired`);
    for (const a of alerts) out.push(`  ${a.name}: ${a.message}`);
  }
  return out.join('\n') + '\n';
};

// ---- entry point

export const metricsCommand = async (args: string[], ioOverrides: Partial<MetricsIo> = {}): Promise<number> => {
  const io = { ...defaultIo(), ...ioOverrides };
  const { values, positionals } = parse(
    args,
    {
      history: { type: 'string' },
      'report-dir': { type: 'string' },
      window: { type: 'string' },
      env: { type: 'string' },
      json: { type: 'boolean' },
      emf: { type: 'boolean' },
      prometheus: { type: 'string' },
      pushgateway: { type: 'string' },
      webhook: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    METRICS_USAGE,
  );
  if (values.help) {
    io.stdout(METRICS_USAGE);
    return MetricsExit.ok;
  }
  if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"\n\n${METRICS_USAGE}`);
  if (values.json && values.emf) throw new UserError('--json and --emf both print to stdout; choose one');

  const windowText = (values.window ?? '30d').trim();
  let windowMs: number | undefined;
  if (windowText.toLowerCase() !== 'all') {
    try {
      windowMs = parseDuration(windowText, '--window');
    } catch (error) {
      throw new UserError(`${(error as Error).message}, or "all"`, ExitCode.badInput);
    }
  }
  const window = windowMs === undefined ? 'all' : formatDuration(windowMs);
  let thresholds: Thresholds;
  try {
    thresholds = parseThresholds(values.threshold ?? []);
  } catch (error) {
    throw new UserError((error as Error).message, ExitCode.badInput);
  }
  const pushgateway = parseUrl(values.pushgateway, '--pushgateway');
  const webhook = parseUrl(values.webhook, '--webhook');

  const history = resolve(historyFileFor({ history: values.history, reportDir: resolve(values['report-dir'] ?? 'reports'), env: io.env }));
  let parsed: ParsedHistory;
  try {
    parsed = readHistory(history);
  } catch (error) {
    throw new UserError(`cannot read the history ${history}: ${(error as Error).message}`, ExitCode.badInput);
  }
  const historyExists = existsSync(history);
  const environment = values.env;
  const records = environment === undefined ? parsed.records : parsed.records.filter((r) => r.environment === environment);
  const now = io.now();
  const metrics = computeMetrics(records, { now, windowMs });
  const alerts = evaluateAlerts(metrics, thresholds);
  const note = values.json || values.emf ? io.stderr : io.stdout;

  if (values.json) {
    io.stdout(JSON.stringify({ history: { file: history, exists: historyExists, skipped: parsed.skipped, bad: parsed.bad }, window, environment, thresholds, metrics, alerts }, null, 2) + '\n');
    if (parsed.skipped > 0) io.stderr(`firedrill: skipped ${parsed.skipped} bad line(s) in ${history}\n`);
  } else if (values.emf) {
    const windowed = inWindow(records, { now, windowMs });
    const environments = [...new Set(windowed.map((r) => r.environment))].sort();
    const groups = environments.map((env) => {
      const m = computeMetrics(windowed.filter((r) => r.environment === env), { now, windowMs });
      return { environment: env, metrics: m, alerts: evaluateAlerts(m, thresholds) };
    });
    for (const line of toEmf(groups, now)) io.stdout(`${line}\n`);
    if (groups.length === 0) io.stderr(`firedrill: no runs in the window; no EMF lines written\n`);
    if (parsed.skipped > 0) io.stderr(`firedrill: skipped ${parsed.skipped} bad line(s) in ${history}\n`);
    if (alerts.length > 0) io.stderr(`firedrill: ${alerts.length} alert(s) fired:\n${alerts.map((a) => `  ${a.name}: ${a.message}\n`).join('')}`);
  } else {
    io.stdout(renderTable(metrics, alerts, thresholds, { history, historyExists, parsed, window, environment }));
  }

  const deliveries: Delivery[] = [];
  const prometheusText = values.prometheus !== undefined || pushgateway ? toPrometheus(metrics, { alerts, thresholds }) : '';
  if (values.prometheus !== undefined) {
    const file = resolve(values.prometheus);
    try {
      writeFileAtomic(file, prometheusText);
      deliveries.push({ what: 'prometheus', ok: true, detail: `wrote ${file}` });
    } catch (error) {
      deliveries.push({ what: 'prometheus', ok: false, detail: `${file}: ${(error as Error).message}` });
    }
  }
  if (pushgateway) {
    deliveries.push(
      await send(io, 'pushgateway', pushgatewayUrl(pushgateway), { method: 'PUT', headers: { 'content-type': 'text/plain; version=0.0.4' }, body: prometheusText }),
    );
  }
  if (webhook && alerts.length > 0) {
    const payload = webhookPayload(alerts, metrics, { window, environment, history });
    deliveries.push(await send(io, 'webhook', webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }));
  }
  for (const d of deliveries) (d.ok ? note : io.stderr)(`${d.ok ? '' : 'firedrill: '}${d.what}: ${d.ok ? d.detail : `FAILED: ${d.detail}`}\n`);

  if (alerts.length > 0) return MetricsExit.alert;
  return deliveries.some((d) => !d.ok) ? MetricsExit.deliveryFailed : MetricsExit.ok;
};
