// `firedrill metrics` against a history file in a temp directory: the table, the exit codes, the
// exports, and the webhook and Pushgateway deliveries to local HTTP servers on 127.0.0.1.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../harness/cli/errors.ts';
import { metricsCommand, recordHistory, type MetricsIo, type WebhookPayload } from '../../harness/cli/commands/metrics.ts';
import { appendHistory, readHistory, type HistoryRecord } from '../../harness/metrics/history.ts';
import type { Journal } from '../../harness/journal/journal.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOW = Date.parse('2025-06-30T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-metrics-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

let seq = 0;
const rec = (more: Partial<HistoryRecord> = {}, at = NOW - DAY): HistoryRecord => ({
  kind: 'drill',
  at: new Date(at).toISOString(),
  runId: `run-${++seq}`,
  scenario: 'bad-image-tag',
  environment: 'sandbox',
  outcome: 'passed',
  rollbackPath: 'circuit-breaker',
  passed: true,
  gatePassed: true,
  rollbackPassed: true,
  timeToDetectMs: 1_500,
  timeToRollbackStartMs: 2_500,
  timeToRecoverMs: 8_000,
  phaseDurationsMs: { preflight: 150, baseline: 3_000, inject: 400, rollback: 2_000, verify: 9_000, restore: 1_200 },
  probeFailures: { count: 0, total: 120 },
  ...more,
});
const failed = (more: Partial<HistoryRecord> = {}, at?: number) => rec({ outcome: 'failed', passed: false, rollbackPassed: false, timeToRecoverMs: null, ...more }, at);

/** A history of 10 runs in the last day (1 rollback failure: 10 %), a bad line, and an old failure outside 30 days. */
const healthyHistory = (dir: string): string => {
  const file = join(dir, 'history.jsonl');
  appendHistory(file, [failed({}, NOW - 40 * DAY), ...Array.from({ length: 9 }, () => rec()), failed()]);
  writeFileSync(file, readFileSync(file, 'utf8') + 'this line is not JSON\n');
  return file;
};
/** Two failures out of five, and a validation failure: two alerts. */
const alertingHistory = (dir: string): string => {
  const file = join(dir, 'history.jsonl');
  appendHistory(file, [
    rec(),
    rec(),
    rec({ environment: 'staging' }),
    failed({ scenario: 'http-errors' }),
    failed({ gatePassed: true }),
    rec({ kind: 'validation', scenario: 'validation', outcome: 'failed', passed: false, gatePassed: null, candidate: 'v1.2.0', probeFailures: { count: 0, total: 0 } }),
  ]);
  return file;
};

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const run = async (args: string[], io: Partial<MetricsIo> = {}): Promise<Ran> => {
  let stdout = '';
  let stderr = '';
  const code = await metricsCommand(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, now: () => NOW, ...io });
  return { code, stdout, stderr };
};

const runRejects = async (args: string[], io: Partial<MetricsIo> = {}): Promise<UserError> => {
  const error = await run(args, io).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
};

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server that records every request and answers with `status`. */
const server = async (status = 200): Promise<{ url: string; received: Received[] }> => {
  const received: Received[] = [];
  const s: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  cleanups.push(() => new Promise<void>((done) => s.close(() => done())));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, received };
};

describe('firedrill metrics: the table', () => {
  it('prints the metrics, the time per phase and "no alert", and exits 0', async () => {
    const history = healthyHistory(tmp());
    const { code, stdout, stderr } = await run(['--history', history]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('firedrill metrics: 10 runs (10 drills, 0 validation runs) in the last 30d (since 2025-05-31T12:00:00.000Z)');
    expect(stdout).toContain(`history: ${history} (1 bad line skipped: line 12: not valid JSON)`);
    const row = (metric: string) => stdout.split('\n').find((l) => l.trim().startsWith(metric))?.trim().split(/\s{3,}/);
    expect(row('metric')).toEqual(['metric', 'value', 'n', 'alert when', 'status']);
    expect(row('rollback success rate')).toEqual(['rollback success rate', '90 %', '10 runs']);
    expect(row('rollback failure rate')).toEqual(['rollback failure rate', '10 %', '10 runs', '> 15 %', 'ok']);
    expect(row('gate success rate')).toEqual(['gate success rate', '100 %', '10 runs']);
    expect(row('validation failure rate')).toEqual(['validation failure rate', '-', '0 runs', '> 10 %', 'no data']);
    expect(row('rollback time, median')).toEqual(['rollback time, median', '8.0 s', '9 runs']);
    expect(row('rollback time, p95')).toEqual(['rollback time, p95', '8.0 s', '9 runs']);
    expect(row('rollback time, slowest run')).toEqual(['rollback time, slowest run', '8.0 s', '9 runs', '> 10 min', 'ok']);
    expect(row('probe/monitoring failure rate')).toEqual(['probe/monitoring failure rate', '0 %', '1200 samples', '> 5 %', 'ok']);
    expect(stdout).toContain('time per phase (median):');
    expect(stdout).toMatch(/drill\s+verify\s+9\.0 s\s+10 runs/);
    expect(stdout).toMatch(/drill\s+failed\s+1\n/);
    expect(stdout).toContain('alerts: none (rollback-failure-rate=15%, validation-failure-rate=10%, rollback-time=10m, gate-failure-rate=10%, probe-failure-rate=5%)');
  });

  it('exits 1 and names each alert when one fires', async () => {
    const history = alertingHistory(tmp());
    const { code, stdout } = await run(['--history', history]);
    expect(code).toBe(1);
    expect(stdout).toContain('ALERTS: 2 fired');
    expect(stdout).toContain('  rollback-failure-rate: rollback failure rate is 33.3 % (2 of 6 judged rollbacks), over the 15 % threshold');
    expect(stdout).toContain('  validation-failure-rate: validation failure rate is 100 % (1 of 1 validation runs), over the 10 % threshold');
    expect(stdout).toMatch(/rollback failure rate\s+33\.3 %\s+6 runs\s+> 15 %\s+ALERT/);
  });

  it('applies the window, an environment filter and thresholds from the command line', async () => {
    const history = alertingHistory(tmp());
    appendHistory(history, [rec({}, NOW - 20 * HOUR), failed({}, NOW - 3 * HOUR)]);
    expect((await run(['--history', history, '--window', '12h'])).stdout).toContain('firedrill metrics: 1 run (1 drill, 0 validation runs) in the last 12h');
    expect((await run(['--history', history, '--window', '90m'])).stdout).toContain('firedrill metrics: 0 runs');
    expect((await run(['--history', history, '--window', 'all'])).stdout).toContain('firedrill metrics: 8 runs (7 drills, 1 validation run) in the whole history');
    const staging = await run(['--history', history, '--env', 'staging']);
    expect(staging.stdout).toContain('1 run (1 drill, 0 validation runs) in the last 30d (since 2025-05-31T12:00:00.000Z) on staging');
    expect(staging.code).toBe(0);
    const relaxed = await run(['--history', history, '--threshold', 'rollback-failure-rate=50%', '--threshold', 'validation-failure-rate=off']);
    expect(relaxed.code).toBe(0);
    expect(relaxed.stdout).toMatch(/validation failure rate\s+100 %\s+1 run\s+off/);
  });

  it('finds the history through FIREDRILL_HISTORY and the report directory, and says when there is none yet', async () => {
    const dir = tmp();
    const history = alertingHistory(dir);
    expect((await run([], { env: { FIREDRILL_HISTORY: history } })).code).toBe(1);
    expect((await run(['--report-dir', dir])).stdout).toContain(`history: ${history}\n`);
    const none = await run(['--report-dir', join(dir, 'fresh')]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(`history: ${join(dir, 'fresh', 'history.jsonl')} (does not exist yet: no runs recorded)`);
    expect(none.stdout).toMatch(/rollback failure rate\s+-\s+0 runs\s+> 15 %\s+no data/);
    expect(none.stdout).toContain('alerts: none');
  });
});

describe('firedrill metrics: bad input exits 2 with a message', () => {
  it('a window that is not a duration', async () => {
    const history = healthyHistory(tmp());
    for (const bad of ['30', '30x', '-5d', '0h', 'month']) {
      const error = await runRejects(['--history', history, `--window=${bad}`]);
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(`--window "${bad}" is not a duration: use a positive number and a unit, e.g. 30d, 12h, 90m, 45s or 500ms, or "all"`);
    }
  });

  it('a bad threshold, URL, flag or history', async () => {
    const dir = tmp();
    const history = healthyHistory(dir);
    expect((await runRejects(['--history', history, '--threshold', 'nope=1'])).message).toMatch(/unknown threshold "nope"/);
    expect((await runRejects(['--history', history, '--threshold', 'gate-failure-rate=10'])).message).toMatch(/did you mean 10%\?/);
    expect((await runRejects(['--history', history, '--webhook', 'not a url'])).message).toMatch(/--webhook "not a url" is not a URL/);
    expect((await runRejects(['--history', history, '--pushgateway', 'ftp://host'])).message).toMatch(/--pushgateway must be an http/);
    expect((await runRejects(['--history', history, '--json', '--emf'])).message).toMatch(/choose one/);
    expect((await runRejects(['--history', history, '--frobnicate'])).exitCode).toBe(2);
    mkdirSync(join(dir, 'a-directory'));
    expect((await runRejects(['--history', join(dir, 'a-directory')])).message).toMatch(/cannot read the history/);
  });
});

describe('firedrill metrics: the webhook', () => {
  it('posts the alerts as JSON with a Slack-compatible text when an alert fires', async () => {
    const hook = await server();
    const history = alertingHistory(tmp());
    const secretPath = '/services/T0000/B0000/sEcReTtOkEn';
    const { code, stdout, stderr } = await run(['--history', history, '--webhook', `${hook.url}${secretPath}`]);
    expect(code).toBe(1);
    expect(hook.received).toHaveLength(1);
    const [request] = hook.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(secretPath);
    expect(request!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request!.body) as WebhookPayload;
    expect(body.text).toBe(
      [
        'firedrill: 2 alerts fired (6 runs in the last 30d)',
        '• rollback-failure-rate: rollback failure rate is 33.3 % (2 of 6 judged rollbacks), over the 15 % threshold',
        '• validation-failure-rate: validation failure rate is 100 % (1 of 1 validation runs), over the 10 % threshold',
      ].join('\n'),
    );
    expect(body).toMatchObject({ source: 'firedrill', window: '30d', history, runs: 6 });
    expect(body.alerts.map((a) => [a.name, a.value, a.threshold, a.n])).toEqual([
      ['rollback-failure-rate', 2 / 6, 0.15, 6],
      ['validation-failure-rate', 1, 0.1, 1],
    ]);
    expect(stdout).toContain(`webhook: ${hook.url} (HTTP 200)`);
    // The webhook's path is its secret: never printed.
    expect(stdout + stderr).not.toContain('sEcReTtOkEn');
  });

  it('posts nothing when no alert fires', async () => {
    const hook = await server();
    const { code, stdout } = await run(['--history', healthyHistory(tmp()), '--webhook', `${hook.url}/hook`]);
    expect(code).toBe(0);
    expect(hook.received).toEqual([]);
    expect(stdout).not.toContain('webhook');
  });

  it('says so on stderr when the webhook refuses, and still exits 1 for the alert', async () => {
    const hook = await server(500);
    const { code, stderr } = await run(['--history', alertingHistory(tmp()), '--webhook', `${hook.url}/hook`]);
    expect(code).toBe(1);
    expect(hook.received).toHaveLength(1);
    expect(stderr).toContain(`firedrill: webhook: FAILED: ${hook.url} answered HTTP 500: nope`);
  });
});

describe('firedrill metrics: exports', () => {
  it('PUTs the Prometheus text to <URL>/metrics/job/firedrill', async () => {
    const gateway = await server();
    const history = healthyHistory(tmp());
    const { code, stdout } = await run(['--history', history, '--pushgateway', `${gateway.url}/`]);
    expect(code).toBe(0);
    const prefixed = await run(['--history', history, '--pushgateway', `${gateway.url}/pgw`]);
    expect(prefixed.code).toBe(0);
    expect(gateway.received.map((r) => [r.method, r.url])).toEqual([
      ['PUT', '/metrics/job/firedrill'],
      ['PUT', '/pgw/metrics/job/firedrill'],
    ]);
    const [put] = gateway.received;
    expect(put!.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(put!.body).toContain('# TYPE firedrill_runs_total gauge\n');
    expect(put!.body).toContain('firedrill_runs_total{kind="drill",outcome="passed"} 9\n');
    expect(put!.body).toContain('firedrill_rollback_success_ratio 0.9\n');
    expect(put!.body).toContain('firedrill_rollback_seconds{quantile="0.95"} 8\n');
    expect(put!.body).toContain('firedrill_alert_firing{alert="rollback-failure-rate"} 0\n');
    expect(stdout).toContain(`pushgateway: ${gateway.url} (HTTP 200)`);
  });

  it('exits 5 when no alert fired but the Pushgateway could not take the metrics', async () => {
    const gateway = await server(503);
    const { code, stderr } = await run(['--history', healthyHistory(tmp()), '--pushgateway', gateway.url]);
    expect(code).toBe(5);
    expect(stderr).toContain(`firedrill: pushgateway: FAILED: ${gateway.url} answered HTTP 503`);
    const closed = await server();
    const port = new URL(closed.url).port;
    await cleanups.pop()!(); // close it: nothing listens there now
    const refused = await run(['--history', healthyHistory(tmp()), '--pushgateway', `http://127.0.0.1:${port}`]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/pushgateway: FAILED: http:\/\/127\.0\.0\.1:\d+: fetch failed/);
  });

  it('writes the Prometheus text file for the textfile collector', async () => {
    const dir = tmp();
    const file = join(dir, 'textfile', 'firedrill.prom');
    const { code, stdout } = await run(['--history', alertingHistory(dir), '--prometheus', file]);
    expect(code).toBe(1);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# HELP firedrill_rollback_success_ratio ');
    expect(text).toContain('firedrill_alert_firing{alert="rollback-failure-rate"} 1\n');
    expect(text).toContain('firedrill_alert_firing{alert="validation-failure-rate"} 1\n');
    expect(stdout).toContain(`prometheus: wrote ${file}`);
  });

  it('--json prints the metrics and alerts; --emf prints one EMF line per environment', async () => {
    const history = alertingHistory(tmp());
    const json = await run(['--history', history, '--json']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { window: string; metrics: { runs: { total: number } }; alerts: Array<{ name: string }>; thresholds: Record<string, number> };
    expect(doc.window).toBe('30d');
    expect(doc.metrics.runs.total).toBe(6);
    expect(doc.alerts.map((a) => a.name)).toEqual(['rollback-failure-rate', 'validation-failure-rate']);
    expect(doc.thresholds['rollback-time']).toBe(600_000);

    const emf = await run(['--history', history, '--emf']);
    expect(emf.code).toBe(1);
    const lines = emf.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> } });
    expect(lines.map((l) => l.Environment)).toEqual(['sandbox', 'staging']);
    for (const l of lines) {
      expect(l._aws.Timestamp).toBe(NOW);
      expect(l._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Firedrill', Dimensions: [['Environment']] });
    }
    expect(lines[0]).toMatchObject({ Runs: 5, ValidationRuns: 1, ValidationFailureRate: 100, RollbackFailureRate: 40 });
    expect(lines[1]).toMatchObject({ Runs: 1, RollbackFailureRate: 0 });
    expect(emf.stderr).toContain('2 alert(s) fired');
  });
});

describe('recordHistory', () => {
  const journal = (runId: string, outcome: Journal['outcome']): Journal =>
    ({
      schemaVersion: 1,
      runId,
      firedrill: { version: '0.1.0' },
      startedAt: NOW - HOUR,
      scenario: { name: 'bad-image-tag', file: 'f', hash: 'h', spec: {} },
      environment: { name: 'sandbox', file: 'f', hash: 'h', kind: 'sandbox', region: 'us-east-1', cluster: 'c', service: 's', url: 'u' },
      rollbackPath: 'circuit-breaker',
      phases: [{ phase: 'preflight', startedAt: 0, endedAt: 100, outcome: 'ok' }],
      markers: {},
      timeline: [],
      verdicts: [{ expectation: 'recovery-within-budget', passed: outcome === 'passed', summary: '', evidence: {} }],
      smoke: { baseline: [], afterRecovery: [] },
      restore: { ok: true, state: '', actions: [] },
      outcome,
      exitCode: outcome === 'passed' ? 0 : 1,
      problems: [],
      artifactsDir: '',
    }) as unknown as Journal;

  it('appends one record per journal, which `firedrill metrics` then reads', async () => {
    const file = join(tmp(), 'reports', 'history.jsonl');
    expect(recordHistory([journal('a', 'passed'), journal('b', 'failed')], { historyFile: file })).toEqual({ file, appended: 2 });
    expect(recordHistory([journal('c', 'passed')], { historyFile: file }).appended).toBe(1);
    const { records, skipped } = readHistory(file);
    expect(skipped).toBe(0);
    expect(records.map((r) => [r.runId, r.outcome, r.rollbackPassed])).toEqual([
      ['a', 'passed', true],
      ['b', 'failed', false],
      ['c', 'passed', true],
    ]);
    expect((await run(['--history', file])).stdout).toMatch(/rollback failure rate\s+33\.3 %\s+3 runs\s+> 15 %\s+ALERT/);
  });

  it('never throws: a history it cannot write is reported, and the run goes on', () => {
    const dir = tmp();
    let stderr = '';
    const result = recordHistory([journal('a', 'passed')], { historyFile: dir, stderr: (t) => (stderr += t) });
    expect(result.appended).toBe(0);
    expect(result.error).toBeTruthy();
    expect(stderr).toContain(`firedrill: could not append to the history ${dir}`);
  });
});

describe('firedrill metrics as a process', () => {
  /** Through bin/firedrill.js once main.ts routes `metrics`; until then through the same error handling in a small runner. */
  const cli = (dir: string): string[] => {
    if (readFileSync(join(ROOT, 'harness', 'cli', 'main.ts'), 'utf8').includes('metricsCommand')) return [join(ROOT, 'bin', 'firedrill.js'), 'metrics'];
    const runner = join(dir, 'runner.mts');
    writeFileSync(
      runner,
      `import { metricsCommand } from ${JSON.stringify(join(ROOT, 'harness/cli/commands/metrics.ts'))};
import { UserError } from ${JSON.stringify(join(ROOT, 'harness/cli/errors.ts'))};
try { process.exitCode = await metricsCommand(process.argv.slice(2)); }
catch (error) {
  if (!(error instanceof UserError)) throw error;
  process.stderr.write('firedrill: ' + error.message + '\\n');
  process.exitCode = error.exitCode;
}
`,
    );
    return ['--import', 'tsx', runner];
  };
  const exec = (args: string[]): Promise<Ran> =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', fail);
      child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    });

  it('exits 2 on a bad window, 1 when an alert fires, 0 otherwise', async () => {
    const dir = tmp();
    const file = join(dir, 'history.jsonl');
    const now = Date.now();
    appendHistory(file, [rec({}, now - HOUR), rec({}, now - 2 * HOUR)]);
    const base = cli(dir);
    const bad = await exec([...base, '--history', file, '--window', '30x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('firedrill: --window "30x" is not a duration: use a positive number and a unit, e.g. 30d, 12h, 90m');
    expect(bad.stdout).toBe('');
    const ok = await exec([...base, '--history', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('firedrill metrics: 2 runs');
    appendHistory(file, [failed({}, now - HOUR)]);
    const alert = await exec([...base, '--history', file]);
    expect(alert.code).toBe(1);
    expect(alert.stdout).toContain('ALERTS: 1 fired');
  });
});
