// Browser smoke checks in Chromium through Playwright: the page loads, the expected texts are
// visible, the console stays clean, and a screenshot is kept as evidence. Without a Chromium the
// checks are reported skipped with how to get one; they never pass silently.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser, type LaunchOptions } from '@playwright/test';
import type { BrowserCheck } from '../config/scenario.ts';
import { fillPlaceholders } from './placeholders.ts';
import { summarize, type SmokeAttachment, type SmokeResult } from './results.ts';

const HOW_TO_INSTALL =
  'install one with `apt-get install -y chromium`, or `npx playwright install chromium` where downloads work, ' +
  'or set FIREDRILL_CHROMIUM to a Chromium or Chrome executable';

const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Where Chromium is looked for, in order: FIREDRILL_CHROMIUM, then `fallbacks` (Playwright's own browser, then the system's). */
export function chromiumSearchList(env: NodeJS.ProcessEnv = process.env, fallbacks: string[] = defaultFallbacks()): string[] {
  const chosen = env.FIREDRILL_CHROMIUM;
  return [...(chosen ? [chosen] : []), ...fallbacks];
}

const defaultFallbacks = (): string[] => {
  let playwrights: string[] = [];
  try {
    playwrights = [chromium.executablePath()];
  } catch {
    // No browser build is known for this platform; the system's Chromium may still exist.
  }
  return [...playwrights, ...SYSTEM_CHROMIUMS];
};

export type ChromiumLookup = { path: string } | { missing: string };

/** The first executable of `searchList` that exists, or what was tried and how to install one. */
export function findChromium(searchList: string[] = chromiumSearchList()): ChromiumLookup {
  const path = searchList.find((candidate) => existsSync(candidate));
  if (path) return { path };
  const tried = searchList.length > 0 ? `looked for ${searchList.join(', ')}` : 'nowhere to look';
  return { missing: `no Chromium found (${tried}); ${HOW_TO_INSTALL}` };
}

/**
 * How firedrill launches Chromium, in checks and in specs alike. Without the background-networking
 * flags Chromium keeps calling home, which floods a closed network and slows a busy machine.
 */
export const chromiumLaunchOptions = (executablePath: string): LaunchOptions => ({
  executablePath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

export interface BrowserCheckOptions {
  /** Screenshots go here. */
  artifactsDir: string;
  /** Where to look for Chromium; chromiumSearchList() by default. */
  chromiumSearchList?: string[];
  /** A browser the caller keeps open across several runs of checks; otherwise one is launched and closed here. */
  shared?: SharedChromium;
}

/**
 * One Chromium for every browser check of a drill (baseline and after recovery), or of every
 * drill of a Playwright worker: launched at the first check and closed by its owner. A launch
 * costs seconds and ~100 MiB. A browser that crashed or failed to launch is launched again at
 * the next check, so one bad launch does not fail every drill after it.
 */
export class SharedChromium {
  private launched?: Promise<Browser>;

  get(executablePath: string): Promise<Browser> {
    // Chained, so checks that ask at once share one launch.
    const previous = this.launched?.catch(() => undefined) ?? Promise.resolve(undefined);
    this.launched = previous.then((browser) => (browser?.isConnected() ? browser : chromium.launch(chromiumLaunchOptions(executablePath))));
    return this.launched;
  }

  async close(): Promise<void> {
    const launched = this.launched;
    this.launched = undefined;
    const browser = await launched?.catch(() => undefined);
    await browser?.close();
  }
}

interface PreparedCheck {
  check: BrowserCheck;
  name: string;
  url: string;
  texts: string[];
  screenshotPath: string;
}

/**
 * Runs `checks` in one browser, each in a fresh context so cookies and storage do not leak
 * between them. Placeholders are filled first: an unknown one throws PlaceholderError before
 * a browser starts.
 */
export async function runBrowserChecks(
  baseUrl: string,
  checks: BrowserCheck[],
  values: Record<string, string>,
  options: BrowserCheckOptions,
): Promise<SmokeResult[]> {
  if (checks.length === 0) return [];
  const prepared = checks.map((check, index) => prepare(baseUrl, check, index, values, options.artifactsDir));

  const found = findChromium(options.chromiumSearchList);
  if ('missing' in found) return prepared.map(({ name }) => notRun(name, 'skipped', found.missing));

  let browser: Browser;
  try {
    browser = await (options.shared ? options.shared.get(found.path) : chromium.launch(chromiumLaunchOptions(found.path)));
  } catch (error) {
    const why = `Chromium at ${found.path} did not start: ${firstLine(error)}`;
    return prepared.map(({ name }) => notRun(name, 'failed', why));
  }
  try {
    await mkdir(options.artifactsDir, { recursive: true });
    const results: SmokeResult[] = [];
    for (const one of prepared) results.push(await runOne(browser, one));
    return results;
  } finally {
    if (!options.shared) await browser.close();
  }
}

function prepare(baseUrl: string, check: BrowserCheck, index: number, values: Record<string, string>, artifactsDir: string): PreparedCheck {
  const path = fillPlaceholders(check.path, values);
  const name = check.name ?? `browser ${path}`;
  const slug = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return {
    check,
    name,
    url: baseUrl.replace(/\/+$/, '') + path,
    texts: check.visibleText.map((text) => fillPlaceholders(text, values)),
    // The index keeps two checks with the same name from overwriting each other's evidence.
    screenshotPath: join(artifactsDir, `browser-${index + 1}-${slug || 'page'}.png`),
  };
}

/** Bounds the wait for late requests before the console is judged; a page that polls never goes idle. */
const NETWORK_IDLE_MS = 3000;

async function runOne(browser: Browser, { check, name, url, texts, screenshotPath }: PreparedCheck): Promise<SmokeResult> {
  const started = performance.now();
  const deadline = Date.now() + check.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const failures: string[] = [];
  const consoleErrors: string[] = [];
  const attachments: SmokeAttachment[] = [];
  let status: number | undefined;

  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const { url: source, lineNumber } = message.location();
      // Chromium asks every site for /favicon.ico on its own; a 404 there is not the page's error.
      if (source && new URL(source).pathname === '/favicon.ico') return;
      consoleErrors.push(`console error: ${message.text()}${source ? ` (${source}:${lineNumber + 1})` : ''}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught ${error.name}: ${error.message}`));

    let loaded = false;
    try {
      const response = await page.goto(url, { timeout: remaining(), waitUntil: 'load' });
      status = response?.status();
      if (!response) failures.push(`${url}: no response`);
      else if (!response.ok()) failures.push(`${url}: answered HTTP ${response.status()}`);
      loaded = true;
    } catch (error) {
      failures.push(`${url}: did not load: ${firstLine(error)}`);
    }

    if (loaded) {
      // All texts wait together, so one absent text does not eat the others' time.
      const visibility = await Promise.all(
        texts.map((text) =>
          page
            .getByText(text)
            .first()
            .waitFor({ state: 'visible', timeout: remaining() })
            .then(
              () => undefined,
              () => `text not visible within ${check.timeoutMs} ms: ${JSON.stringify(text)}`,
            ),
        ),
      );
      failures.push(...visibility.filter((failure) => failure !== undefined));
      if (check.noConsoleErrors) {
        // Errors from requests made after load (the demo page's fetch) arrive late; give them a moment.
        await page.waitForLoadState('networkidle', { timeout: Math.min(remaining(), NETWORK_IDLE_MS) }).catch(() => undefined);
      }
    }

    if (check.screenshot) {
      // Taken on failure too: the picture of a broken page is the most useful evidence.
      try {
        await page.screenshot({ path: screenshotPath, fullPage: true, timeout: Math.max(remaining(), 5000) });
        attachments.push({ name: `${name} screenshot`, path: screenshotPath, contentType: 'image/png' });
      } catch (error) {
        failures.push(`screenshot failed: ${firstLine(error)}`);
      }
    }
    if (check.noConsoleErrors) failures.push(...consoleErrors);
  } finally {
    await context.close();
  }

  const visible = texts.length === 1 ? '1 text visible' : `${texts.length} texts visible`;
  return {
    kind: 'browser',
    name,
    status: failures.length === 0 ? 'passed' : 'failed',
    durationMs: Math.round(performance.now() - started),
    summary: summarize(failures, `page loaded (HTTP ${status}), ${visible}${check.noConsoleErrors ? ', no console errors' : ''}`),
    failures,
    attachments,
    evidence: { url, status, visibleText: texts, consoleErrors },
  };
}

const notRun = (name: string, status: 'skipped' | 'failed', why: string): SmokeResult => ({
  kind: 'browser',
  name,
  status,
  durationMs: 0,
  summary: why,
  failures: status === 'failed' ? [why] : [],
  attachments: [],
});

/** Playwright's messages carry a call log after the first line; the report needs the first. */
const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
