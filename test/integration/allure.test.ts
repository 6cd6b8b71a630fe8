// The Allure evidence end to end: one drill through `firedrill run` against a sandbox this test
// started (as drills.test.ts does), its allure-playwright result checked for the phase steps,
// the verdicts step and the attachments, then the HTML report generated with Allure Report 3
// and opened in headless Chromium, where the drill's title and verdict must be visible.
//
// Then the same scenario runs twice more into the same report dir, made to fail the way real
// drills fail: a recovery budget no rollback can meet, and a baseline whose smoke check cannot
// pass. Each run's report must put the failure in its category (read from the report's own data
// files), and show the runs before it in the drill's history and the trend, from the history
// file `firedrill run` keeps in the report dir. The three runs cost two short drills (one of
// them touches nothing) on the sandbox the first one already uses.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { matchCategory, normalizeCategoriesConfig } from '@allurereport/core-api';
import { chromium, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_CSV_HEADER } from '../../harness/report/allure-attachments.ts';
import { DRILL_CATEGORIES } from '../../harness/report/allure-categories.ts';
import { allurePaths, generateAllureHtml } from '../../harness/report/allure-html.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { summarizeJournal } from '../../harness/journal/summary.ts';
import type { SmokeResult } from '../../harness/smoke/results.ts';
import { cleanUpFiredrill, describeRun, journalsIn, runFiredrill, SCENARIOS_DIR, scenarioCopy, type FinishedCli } from '../support/firedrill-cli.ts';
import { buildJournal, circuitBreakerTimeline, gateTimeline } from '../support/journal-builder.ts';
import { stage } from '../support/drill-stage.ts';
import type { TestSandbox } from '../support/sandbox.ts';

const MINUTE = 60_000;
const SCENARIO = 'crash-on-start.yaml';

interface AllureStep {
  name: string;
  status?: string;
  steps?: AllureStep[];
  attachments?: Array<{ name: string; type: string; source: string }>;
}
interface AllureResult extends AllureStep {
  uuid: string;
  fullName?: string;
  historyId?: string;
  start?: number;
  statusDetails?: { message?: string };
  labels?: Array<{ name: string; value: string }>;
  parameters?: Array<{ name: string; value: string; excluded?: boolean }>;
}

/** The allure-playwright results in a results dir. */
const readResults = (resultsDir: string): AllureResult[] =>
  readdirSync(resultsDir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as AllureResult);

/** A test result as the Allure 3 report stores it for its page (data/test-results/<id>.json). */
interface ReportTestResult {
  id: string;
  fullName: string;
  historyId: string;
  status: string;
  start: number;
  isRetry: boolean;
  categories?: Array<{ name: string }>;
  history: Array<{ id: string; status: string; start: number; historyId: string }>;
}

/** The drill's result in a built report: the one that is not a retry (a drill is never retried, so there must be one). */
const reportTestResult = (reportDir: string, fullName: string): ReportTestResult => {
  const dir = join(allurePaths(reportDir).report, 'data', 'test-results');
  const all = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ReportTestResult);
  const mine = all.filter((r) => r.fullName === fullName && !r.isRetry);
  expect(mine, `report results: ${all.map((r) => `${r.fullName} retry=${r.isRetry}`).join(', ')}`).toHaveLength(1);
  return mine[0]!;
};

/** The report's category tree (widgets/categories.json): each category's name and failed count. */
const reportCategories = (reportDir: string): Array<{ name: string; failed: number }> => {
  const tree = JSON.parse(readFileSync(join(allurePaths(reportDir).report, 'widgets', 'categories.json'), 'utf8')) as {
    nodes: Record<string, { type: string; name: string; statistic?: { failed?: number } }>;
  };
  return Object.values(tree.nodes)
    .filter((n) => n.type === 'category')
    .map((n) => ({ name: n.name, failed: n.statistic?.failed ?? 0 }));
};

/** The history file: one JSON entry a line, each holding the results of one build by history id. */
const historyEntries = (reportDir: string): Array<{ testResults: Record<string, { id: string; status: string; start: number }> }> =>
  readFileSync(allurePaths(reportDir).history, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { testResults: Record<string, { id: string; status: string; start: number }> });

/** The trend chart's points ("Status dynamics" in widgets/charts.json): earlier builds, then the current one. */
const statusDynamics = (reportDir: string): Array<{ id: string; statistic: Record<string, number> }> => {
  const charts = JSON.parse(readFileSync(join(allurePaths(reportDir).report, 'widgets', 'charts.json'), 'utf8')) as {
    general: Record<string, { type: string; data: Array<{ id: string; statistic: Record<string, number> }> }>;
  };
  const chart = Object.values(charts.general).find((c) => c.type === 'statusDynamics');
  if (!chart) throw new Error(`no statusDynamics chart: ${Object.values(charts.general).map((c) => c.type).join(', ')}`);
  return chart.data;
};

const allSteps = (s: AllureStep): AllureStep[] => (s.steps ?? []).flatMap((c) => [c, ...allSteps(c)]);
const allAttachments = (r: AllureResult) => [r, ...allSteps(r)].flatMap((s) => s.attachments ?? []);

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.txt': 'text/plain', '.csv': 'text/csv' };

/** A tiny static server for the report on 127.0.0.1: the report's scripts fetch its data files. */
const serve = async (root: string): Promise<Server> => {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
};

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Serves a built report on 127.0.0.1, opens it in headless Chromium, and hands over the page once the report has loaded. */
const withReport = async (reportRoot: string, body: (page: Page) => Promise<void>): Promise<void> => {
  const server = await serve(resolve(reportRoot));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
    await page.getByText('Total').first().waitFor({ timeout: 30_000 });
    await body(page);
  } finally {
    await browser.close();
    await new Promise((done) => server.close(done));
  }
};

/** Opens the drill's own page from the report's tree. */
const openDrill = async (page: Page, name: string): Promise<void> => {
  const title = page.getByText(name, { exact: true }).first();
  // Allure 3 opens its tree collapsed (suite, then spec file): open levels until the drill shows.
  const arrows = page.locator('[data-testid=tree-arrow]');
  for (let level = 0; level < 4 && !(await title.isVisible()); level++) await arrows.nth(level).click();
  await title.click();
  // The drill's own page: its path in the tree.
  await page.getByText(`scenario-runner.drill.ts › ${name}`).first().waitFor({ state: 'visible', timeout: 30_000 });
};

describe('Allure results and the HTML report of one drill', () => {
  let t: TestSandbox;
  let reportDir: string;
  let run: FinishedCli;
  let journal: Journal;
  let result: AllureResult;
  let resultsDir: string;
  let dir: string;
  let envFile: string;

  beforeAll(async () => {
    ({ t, dir, envFile, reportDir } = await stage());
    run = await runFiredrill(['run', join(SCENARIOS_DIR, SCENARIO), '--env', envFile, '--report-dir', reportDir], 10 * MINUTE);
    const journals = journalsIn(reportDir);
    expect(journals, describeRun(run)).toHaveLength(1);
    journal = journals[0]!;
    resultsDir = allurePaths(reportDir).results;
    const results = readResults(resultsDir);
    const mine = results.filter((r) => r.name === journal.scenario.name);
    expect(mine, `results: ${results.map((r) => r.name).join(', ')}`).toHaveLength(1);
    result = mine[0]!;
  }, 12 * MINUTE);

  afterAll(async () => {
    await cleanUpFiredrill();
    await t?.stop();
  });

  it('records the drill as passed, with a step per phase', () => {
    expect(journal.outcome, describeRun(run)).toBe('passed');
    expect(run.code, describeRun(run)).toBe(0);
    expect(result.status).toBe('passed');
    const names = allSteps(result).map((s) => s.name);
    for (const p of journal.phases) expect(names, `phase ${p.phase}`).toContain(p.phase);
  });

  it('has a verdicts step with one passed sub-step per expectation', () => {
    const verdicts = allSteps(result).find((s) => s.name === 'verdicts');
    expect(verdicts, JSON.stringify(allSteps(result).map((s) => s.name))).toBeDefined();
    expect(verdicts!.steps ?? []).toHaveLength(journal.verdicts.length);
    expect(journal.verdicts.length).toBeGreaterThan(0);
    for (const [i, v] of journal.verdicts.entries()) {
      const sub = verdicts!.steps![i]!;
      expect(sub.name).toContain(v.expectation);
      expect(sub.status).toBe(v.passed ? 'passed' : 'failed');
    }
  });

  it('attaches the evidence, by name and type', () => {
    const attachments = allAttachments(result);
    const byName = (name: string) => {
      const found = attachments.find((a) => a.name === name);
      if (!found) throw new Error(`no attachment ${name}: ${JSON.stringify(attachments.map((a) => [a.name, a.type]))}`);
      expect(existsSync(join(resultsDir, found.source)), found.source).toBe(true);
      return { ...found, content: readFileSync(join(resultsDir, found.source), 'utf8') };
    };
    const svg = byName('timeline');
    expect(svg.type).toBe('image/svg+xml');
    expect(svg.content).toMatch(/^<svg|<\?xml/);
    const j = byName('journal');
    expect(j.type).toBe('application/json');
    expect((JSON.parse(j.content) as Journal).runId).toBe(journal.runId);
    const events = byName('ECS service events');
    expect(events.type).toBe('text/plain');
    expect(events.content).toMatch(/^\d{4}-\d\d-\d\dT\S+ \(service demo\)/m);
    const stopped = byName('stopped tasks');
    expect(stopped.type).toBe('text/plain');
    expect(stopped.content).toContain('arn:aws:ecs:');
    const probes = byName('probe series');
    expect(probes.type).toBe('text/csv');
    const lines = probes.content.trim().split('\n');
    expect(lines[0]).toBe(PROBE_CSV_HEADER);
    expect(lines.length).toBeGreaterThan(10);
    const diff = byName('diff');
    expect(diff.type).toBe('text/plain');
    expect(diff.content).toMatch(/^[-+] /m);
    // The demo service passes its own security checks.
    expect(byName('security findings').content).toBe('no findings\n');
    const shots = [...journal.smoke.baseline, ...journal.smoke.afterRecovery].flatMap((r) => r.attachments).filter((a) => a.path.endsWith('.png'));
    const pngs = attachments.filter((a) => a.type === 'image/png');
    expect(pngs.length).toBeGreaterThanOrEqual(shots.length);
    const labels = Object.fromEntries((result.labels ?? []).map((l) => [l.name, l.value]));
    expect(labels['environment']).toBe(journal.environment.name);
    expect(labels['cluster']).toBe('firedrill');
    expect(labels['service']).toBe('demo');
    const parameters = Object.fromEntries((result.parameters ?? []).map((p) => [p.name, p.value]));
    expect(parameters['baseline release']).toContain('v1.0.0');
    expect(parameters['injected release']).toBeDefined();
  });

  it('generates the HTML report offline, and Chromium shows the drill and its verdict', async () => {
    const html = await generateAllureHtml(resultsDir, join(reportDir, 'allure-report'));
    expect(existsSync(html.index)).toBe(true);
    await withReport(html.outputDir, async (page) => {
      await openDrill(page, journal.scenario.name);
      expect(await page.locator('body').innerText()).toMatch(new RegExp(`${journal.scenario.name}\\s+Passed`));
    });
  }, 3 * MINUTE);

  it('firedrill run started the history: one entry, holding this drill as passed', () => {
    const entries = historyEntries(reportDir);
    expect(entries).toHaveLength(1);
    expect(Object.values(entries[0]!.testResults).map((r) => [r.status, r.start])).toEqual([['passed', result.start]]);
  });

  it('keeps what changes from run to run out of the drill\'s identity', () => {
    // The injected release is a new task definition revision each run (and some name the run),
    // and the sandbox's port is picked per start; were they part of the history id, no two runs
    // of a drill would line up. Run 2 below checks that they do.
    const parameters = Object.fromEntries((result.parameters ?? []).map((p) => [p.name, p]));
    expect(parameters['injected release']?.value).toContain(journal.injected!.taskDefinitionArn);
    for (const name of ['injected release', 'baseline release', 'endpoint or region']) expect(parameters[name]?.excluded, name).toBe(true);
    for (const name of ['environment', 'cluster', 'service']) expect(parameters[name]?.excluded ?? false, name).toBe(false);
  });

  // Run 2: the same scenario with a recovery budget of 1 ms, which no rollback can meet (as in
  // drills.test.ts), so the drill really runs and really fails its recovery verdict.
  describe('a second run that is too slow', () => {
    let second: FinishedCli;
    let secondJournal: Journal;

    beforeAll(async () => {
      const file = scenarioCopy(dir, SCENARIO, (doc) => doc.setIn(['expectations', 'recoveryWithinSeconds'], 0.001));
      second = await runFiredrill(['run', file, '--env', envFile, '--report-dir', reportDir], 6 * MINUTE);
      const journals = journalsIn(reportDir);
      expect(journals, describeRun(second)).toHaveLength(2);
      secondJournal = journals.find((j) => j.runId !== journal.runId)!;
    }, 8 * MINUTE);

    it('fails its recovery verdict, and allure-results hold this run alone', () => {
      expect(second.code, describeRun(second)).toBe(1);
      expect(secondJournal.outcome).toBe('failed');
      expect(secondJournal.verdicts.find((v) => v.expectation === 'recovery-within-budget')?.passed).toBe(false);
      const results = readResults(resultsDir);
      expect(results.map((r) => r.status)).toEqual(['failed']);
      expect(results[0]!.statusDetails?.message).toContain('FAIL recovery-within-budget');
      // The same test as run 1, to Allure: same history id although the injected release differs.
      const injected = (r: AllureResult) => r.parameters?.find((p) => p.name === 'injected release')?.value;
      expect(injected(results[0]!)).toContain(secondJournal.injected!.taskDefinitionArn);
      expect(injected(results[0]!)).not.toBe(injected(result));
      expect(results[0]!.historyId).toBe(result.historyId);
    });

    it('lands in "rollback too slow" in the report built by firedrill run', () => {
      const tr = reportTestResult(reportDir, result.fullName!);
      expect(tr.status).toBe('failed');
      expect(tr.categories?.map((c) => c.name)).toEqual(['rollback too slow']);
      expect(reportCategories(reportDir)).toEqual([{ name: 'rollback too slow', failed: 1 }]);
    });

    it('adds an entry to the history file, and the report shows run 1 in the drill\'s history and the trend', async () => {
      const entries = historyEntries(reportDir);
      expect(entries).toHaveLength(2);
      expect(entries.map((e) => Object.values(e.testResults).map((r) => r.status))).toEqual([['passed'], ['failed']]);
      const tr = reportTestResult(reportDir, result.fullName!);
      expect(tr.history.map((h) => [h.status, h.start, h.historyId])).toEqual([['passed', result.start, tr.historyId]]);
      expect(statusDynamics(reportDir).map((p) => p.statistic)).toEqual([
        { total: 1, passed: 1 },
        { total: 1, failed: 1 },
      ]);
      // And in the page a reader sees: the drill's History tab lists run 1, passed.
      await withReport(allurePaths(reportDir).report, async (page) => {
        await openDrill(page, journal.scenario.name);
        const tab = page.locator('[data-testid=test-result-tab-history]');
        await expect.poll(() => tab.innerText(), { timeout: 30_000 }).toMatch(/History\s*1/);
        await tab.click();
        const items = page.locator('[data-testid=test-result-history-item]');
        await items.first().waitFor({ state: 'visible', timeout: 30_000 });
        expect(await items.count()).toBe(1);
        expect(await items.first().locator('[data-testid=tree-leaf-status-passed]').count()).toBe(1);
      });
    }, 3 * MINUTE);

    it('firedrill report rebuilds the same report without counting the run twice', async () => {
      const rebuilt = await runFiredrill(['report', '--report-dir', reportDir], 3 * MINUTE);
      expect(rebuilt.code, describeRun(rebuilt)).toBe(0);
      expect(rebuilt.stdout).toContain(join(allurePaths(reportDir).report, 'index.html'));
      expect(historyEntries(reportDir).map((e) => Object.values(e.testResults).map((r) => r.status))).toEqual([['passed'], ['failed']]);
      const tr = reportTestResult(reportDir, result.fullName!);
      expect(tr.history.map((h) => h.status)).toEqual(['passed']);
      expect(tr.categories?.map((c) => c.name)).toEqual(['rollback too slow']);
    }, 3 * MINUTE);

    // Run 3: a smoke check the healthy service cannot pass (a teapot status, as in drills.test.ts)
    // makes the baseline unhealthy: the drill stops before touching anything, in seconds. It sits
    // inside run 2's block so that selecting it alone with -t still runs 1 and 2 before it.
    describe('a third run on an unhealthy baseline', () => {
      let third: FinishedCli;

      beforeAll(async () => {
        const file = scenarioCopy(dir, SCENARIO, (doc) => {
          doc.setIn(['smoke'], doc.createNode({ http: [{ name: 'a teapot', path: '/api/version', status: 418 }] }));
        });
        third = await runFiredrill(['run', file, '--env', envFile, '--report-dir', reportDir], 4 * MINUTE);
      }, 6 * MINUTE);

      it('lands in "environment unhealthy before the drill", with both earlier runs in its history', () => {
        expect(third.code, describeRun(third)).toBe(3);
        const results = readResults(resultsDir);
        expect(results).toHaveLength(1);
        expect(results[0]!.statusDetails?.message).toContain('UNHEALTHY-BASELINE');
        const tr = reportTestResult(reportDir, result.fullName!);
        expect(tr.categories?.map((c) => c.name)).toEqual(['environment unhealthy before the drill']);
        expect(reportCategories(reportDir)).toEqual([{ name: 'environment unhealthy before the drill', failed: 1 }]);
        expect(historyEntries(reportDir)).toHaveLength(3);
        expect(tr.history.map((h) => h.status).sort()).toEqual(['failed', 'passed']);
        expect(statusDynamics(reportDir)).toHaveLength(3);
      });
    });
  });
});

// The three categories no cheap real drill reaches (a failed restore, a gate that lets the bad
// release through, a smoke check that fails only after the rollback, a refused drill), and the order among
// them all, checked with Allure 3's own matcher on hand-made journals: the message is what the drill
// spec fails with, summarizeJournal's text inside Playwright's expect message.
describe('drill categories, by Allure 3\'s own matcher', () => {
  const categories = normalizeCategoriesConfig([...DRILL_CATEGORIES]);
  const playwrightMessage = (j: Journal): string =>
    `Error: ${summarizeJournal(j)}\n\nexpect(received).toBe(expected) // Object.is equality\n\nExpected: "passed"\nReceived: "${j.outcome}"`;
  const categoryOf = (j: Journal, status: 'failed' | 'broken' | 'passed' = 'failed') =>
    matchCategory(categories, { status, flaky: false, labels: [], message: status === 'passed' ? undefined : playwrightMessage(j) })?.name;
  const smoke = (name: string, status: SmokeResult['status']): SmokeResult => ({ kind: 'http', name, status, durationMs: 5, summary: status === 'failed' ? '1 problem: status 500' : 'ok', failures: status === 'failed' ? ['status 500'] : [], attachments: [] });
  const tooSlow = { recoveryWithinSeconds: 0.001 };

  it('a drill over its recovery budget: rollback too slow', () => {
    const j = buildJournal({ timeline: circuitBreakerTimeline(), injectAt: 10_000, expectations: tooSlow });
    expect(j.outcome).toBe('failed');
    expect(categoryOf(j)).toBe('rollback too slow');
  });

  it('the bad release served more than allowed: gate let the bad release through', () => {
    const j = buildJournal({ timeline: gateTimeline(), injectAt: 10_000, rollbackPath: 'redeploy-previous', expectations: { maxBadTrafficShare: 0 } });
    // The bad release took the traffic and its deployment completed; the rollback itself was quick.
    expect(j.verdicts.filter((v) => !v.passed).map((v) => v.expectation)).toEqual(['bad-release-never-completes', 'bad-traffic-share']);
    expect(categoryOf(j)).toBe('gate let the bad release through');
  });

  it('a smoke check failing on the restored service: smoke failed after rollback', () => {
    const j = buildJournal({ timeline: circuitBreakerTimeline(), injectAt: 10_000, outcome: 'failed', smoke: { baseline: [smoke('home', 'passed')], afterRecovery: [smoke('home', 'failed')] } });
    expect(j.verdicts.every((v) => v.passed)).toBe(true);
    expect(categoryOf(j)).toBe('smoke failed after rollback');
  });

  it('a baseline smoke failure is an unhealthy environment, not a smoke failure after rollback', () => {
    const j = buildJournal({ outcome: 'unhealthy-baseline', smoke: { baseline: [smoke('home', 'failed')], afterRecovery: [] }, restore: { ok: true, state: 'nothing was touched', actions: [] } });
    expect(categoryOf(j)).toBe('environment unhealthy before the drill');
  });

  it('a failed restore wins over everything else that failed', () => {
    const j = buildJournal({
      timeline: circuitBreakerTimeline(),
      injectAt: 10_000,
      expectations: { ...tooSlow, maxBadTrafficShare: 0 },
      outcome: 'restore-failed',
      smoke: { baseline: [], afterRecovery: [smoke('home', 'failed')] },
      restore: { ok: false, state: 'the bad release is still PRIMARY', actions: [] },
    });
    expect(categoryOf(j)).toBe('restore failed');
    expect(categoryOf(j, 'broken')).toBe('restore failed');
  });

  it('a drill refused before anything was touched: by the lock, or by a guard', () => {
    const refused = { restore: { ok: true, state: 'nothing was touched', actions: [] } };
    expect(categoryOf(buildJournal({ outcome: 'locked', ...refused }))).toBe('refused: service locked by another drill');
    expect(categoryOf(buildJournal({ outcome: 'invalid', ...refused }))).toBe('refused by a guard or bad input');
  });

  it('a passed drill is in no category', () => {
    const j = buildJournal({ timeline: circuitBreakerTimeline(), injectAt: 10_000 });
    expect(j.outcome).toBe('passed');
    expect(categoryOf(j, 'passed')).toBeUndefined();
  });
});
