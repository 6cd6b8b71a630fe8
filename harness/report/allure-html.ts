// The HTML report: Allure Report 3 (the npm package `allure`, no Java) run over the
// allure-playwright results, offline. The installed CLI runs as a child of this Node.
//
// History: Allure 3 keeps it in a JSON Lines file (`historyPath` in its config; the CLI has no
// flag for it), reads it to show each test's earlier runs and the trend charts, and appends one
// entry for the results it just reported. The file lives in the report dir beside the results
// (allure-history.jsonl), so a later run into the same dir, or a CI job that restores that one
// file, shows the runs before it.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../lib/fs/write-file-atomic.ts';
import { DRILL_CATEGORIES } from './allure-categories.ts';

/** The `allure` CLI script of the installed package. */
export const allureCli = (): string => join(dirname(createRequire(import.meta.url).resolve('allure')), '..', 'cli.js');

/** Where drills write their Allure results, the HTML report goes, and Allure keeps its history, in a report dir. */
export const allurePaths = (reportDir: string) => ({
  results: join(reportDir, 'allure-results'),
  report: join(reportDir, 'allure-report'),
  history: join(reportDir, 'allure-history.jsonl'),
});

/**
 * Runs kept in the history. Enough for months of nightly trend; older runs stay in firedrill's
 * own history (history.jsonl) for `firedrill metrics`, and every build reads the whole file.
 */
export const ALLURE_HISTORY_LIMIT = 100;

export interface AllureHtmlOptions {
  reportName?: string;
  /** The history file to read and append to; without it the report has no history. */
  historyPath?: string;
  timeoutMs?: number;
}

export interface AllureHtmlResult {
  outputDir: string;
  index: string;
  exitCode: number;
  output: string;
}

/**
 * Empties a report dir's Allure results before a run. allure-playwright only adds files, so
 * without this every earlier run's result would be in the next report again, shown as a retry
 * of the drill (drills are never retried); the history file is what carries earlier runs.
 */
export const clearAllureResults = (reportDir: string): void => rmSync(allurePaths(reportDir).results, { recursive: true, force: true });

// Allure 3 names a result in its store, and in the history entry it appends, md5 of the result
// file's uuid (@allurereport/core, store/convert.js).
const storeId = (uuid: string): string => createHash('md5').update(uuid).digest('hex');

const resultIds = (resultsDir: string): Set<string> =>
  new Set(
    readdirSync(resultsDir)
      .filter((f) => f.endsWith('-result.json'))
      .flatMap((f) => {
        try {
          const { uuid } = JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as { uuid?: unknown };
          return typeof uuid === 'string' ? [storeId(uuid)] : [];
        } catch {
          return [];
        }
      }),
  );

/**
 * Removes the entries an earlier build of these same results appended, so that rebuilding a
 * report (`firedrill report` after `firedrill run`) neither counts the run twice in the trend
 * nor shows a drill as its own previous run. An entry is dropped only when every result in it
 * is one of these results; anything unreadable is kept as it is.
 */
export const forgetEarlierBuildsOf = (historyPath: string, resultsDir: string): number => {
  if (!existsSync(historyPath)) return 0;
  const current = resultIds(resultsDir);
  if (current.size === 0) return 0;
  const lines = readFileSync(historyPath, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((line) => {
    try {
      const entry = JSON.parse(line) as { testResults?: Record<string, { id?: unknown }> };
      const ids = Object.values(entry.testResults ?? {}).map((r) => r.id);
      return !(ids.length > 0 && ids.every((id) => typeof id === 'string' && current.has(id)));
    } catch {
      return true;
    }
  });
  if (kept.length === lines.length) return 0;
  writeFileAtomic(historyPath, kept.map((l) => `${l}\n`).join(''));
  return lines.length - kept.length;
};

// What Allure 3 writes at the top of a report (a build cut short may have written only some).
const REPORT_ENTRIES = new Set(['index.html', 'awesome', 'data', 'widgets', 'summary.json', 'test-results.json']);

/**
 * Allure 3 writes its report into a folder of its own and moves it up into the output only when
 * that folder is the output's one directory: over an earlier report it leaves the new one in
 * allure-report/awesome/ and the old index.html in place. So the output goes first, but only
 * when it is a report (or empty): never a folder that was pointed at by mistake.
 */
const clearEarlierReport = (output: string): void => {
  if (!existsSync(output)) return;
  const entries = readdirSync(output);
  if (entries.length > 0 && !entries.some((e) => REPORT_ENTRIES.has(e))) throw new Error(`${output} does not look like an Allure report; not replacing it`);
  rmSync(output, { recursive: true, force: true });
};

/**
 * Runs `allure generate RESULTS` with a config written for the occasion (report name, output,
 * history, the drill categories); rejects when the CLI fails or writes no index.html.
 */
export const generateAllureHtml = async (resultsDir: string, outputDir: string, options: AllureHtmlOptions = {}): Promise<AllureHtmlResult> => {
  const results = resolve(resultsDir);
  const output = resolve(outputDir);
  if (!existsSync(results) || readdirSync(results).length === 0) throw new Error(`no Allure results in ${results}`);
  clearEarlierReport(output);
  const historyPath = options.historyPath === undefined ? undefined : resolve(options.historyPath);
  if (historyPath) {
    mkdirSync(dirname(historyPath), { recursive: true });
    forgetEarlierBuildsOf(historyPath, results);
  }
  // The config is the only way to give Allure 3 a history file and categories. It goes in a
  // folder of its own, never the report dir, so nothing stray ends up beside the evidence.
  const configDir = mkdtempSync(join(tmpdir(), 'firedrill-allurerc-'));
  const config = join(configDir, 'allurerc.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: options.reportName ?? 'firedrill',
      output,
      ...(historyPath ? { historyPath, historyLimit: ALLURE_HISTORY_LIMIT } : {}),
      categories: DRILL_CATEGORIES,
    }),
  );
  try {
    const args = [allureCli(), 'generate', results, '--config', config];
    const child = spawn(process.execPath, args, {
      // Its own folder as cwd; offline: nothing is fetched.
      cwd: dirname(output),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', CI: process.env['CI'] ?? '1' },
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (text += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const exitCode = await new Promise<number>((done, fail) => {
      child.once('error', fail);
      child.once('close', (code) => done(code ?? 1));
    }).finally(() => clearTimeout(timer));
    const index = join(output, 'index.html');
    if (exitCode !== 0 || !existsSync(index)) throw new Error(`allure generate failed (exit ${exitCode}):\n${text}`);
    return { outputDir: output, index, exitCode, output: text };
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
};

/** A report dir's HTML report, from its results, with its history. */
export const generateReportDirHtml = (reportDir: string, options: Omit<AllureHtmlOptions, 'historyPath'> = {}): Promise<AllureHtmlResult> => {
  const paths = allurePaths(resolve(reportDir));
  return generateAllureHtml(paths.results, paths.report, { ...options, historyPath: paths.history });
};
