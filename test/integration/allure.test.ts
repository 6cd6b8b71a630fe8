// The Allure evidence end to end: one drill through `firedrill run` against a sandbox this test
// started (as drills.test.ts does), its allure-playwright result checked for the phase steps,
// the verdicts step and the attachments, then the HTML report generated with Allure Report 3
// and opened in headless Chromium, where the drill's title and verdict must be visible.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployDemoService } from '../../harness/ecs/demo-service.ts';
import { PROBE_CSV_HEADER } from '../../harness/report/allure-attachments.ts';
import { generateAllureHtml } from '../../harness/report/allure-html.ts';
import type { Journal } from '../../harness/run/journal.ts';
import { cleanUpFiredrill, describeRun, journalsIn, runFiredrill, SCENARIOS_DIR, tempDir, writeEnvironment, type FinishedCli } from '../support/firedrill-cli.ts';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.ts';

const MINUTE = 60_000;
const SCENARIO = 'crash-on-start.yaml';

interface AllureStep {
  name: string;
  status?: string;
  steps?: AllureStep[];
  attachments?: Array<{ name: string; type: string; source: string }>;
}
interface AllureResult extends AllureStep {
  fullName?: string;
  labels?: Array<{ name: string; value: string }>;
  parameters?: Array<{ name: string; value: string }>;
}

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

describe('Allure results and the HTML report of one drill', () => {
  let t: TestSandbox;
  let reportDir: string;
  let run: FinishedCli;
  let journal: Journal;
  let result: AllureResult;
  let resultsDir: string;

  beforeAll(async () => {
    t = await startTestSandbox();
    await deployDemoService(t.ecs, { cluster: 'firedrill', service: 'demo', targetGroupArn: t.demoTargetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: 90_000 });
    const dir = tempDir('firedrill-allure-');
    reportDir = join(dir, 'reports');
    run = await runFiredrill(['run', join(SCENARIOS_DIR, SCENARIO), '--env', writeEnvironment(dir, t), '--report-dir', reportDir], 10 * MINUTE);
    const journals = journalsIn(reportDir);
    expect(journals, describeRun(run)).toHaveLength(1);
    journal = journals[0]!;
    resultsDir = join(reportDir, 'allure-results');
    const results = readdirSync(resultsDir)
      .filter((f) => f.endsWith('-result.json'))
      .map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as AllureResult);
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
    const server = await serve(resolve(html.outputDir));
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
      await page.getByText('Total').first().waitFor({ timeout: 30_000 });
      const title = page.getByText(journal.scenario.name, { exact: true }).first();
      // Allure 3 opens its tree collapsed (suite, then spec file): open levels until the drill shows.
      const arrows = page.locator('[data-testid=tree-arrow]');
      for (let level = 0; level < 4 && !(await title.isVisible()); level++) await arrows.nth(level).click();
      await title.click();
      // The drill's own page: its path in the tree, then its status.
      await page.getByText(`scenario-runner.drill.ts › ${journal.scenario.name}`).first().waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.locator('body').innerText()).toMatch(new RegExp(`${journal.scenario.name}\\s+Passed`));
    } finally {
      await browser.close();
      await new Promise((done) => server.close(done));
    }
  }, 3 * MINUTE);
});
