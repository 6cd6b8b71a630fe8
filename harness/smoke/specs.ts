// Hand-written Playwright smoke specs: run in a Playwright Test child process under
// smoke.config.ts, and read back through the JSON reporter as one SmokeResult per test.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { findChromium } from './browser.ts';
import { summarize, type SmokeResult } from './results.ts';

const CONFIG = fileURLToPath(new URL('./smoke.config.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Playwright's own CLI, run with this Node: `npx` could go looking on the network for it. */
const PLAYWRIGHT_CLI = createRequire(import.meta.url).resolve('@playwright/test/cli');
const KILL_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 4000;

/** A smoke spec named in a scenario does not exist: bad input, found before anything runs. */
export class SpecFileError extends Error {
  override readonly name = 'SpecFileError';
}

export interface SmokeSpecOptions {
  baseUrl: string;
  /** Given to the specs as FIREDRILL_VALUES (JSON), e.g. { baselineTag: 'v1.0.0' }. */
  values: Record<string, string>;
  /** The JSON report, screenshots and traces go here. */
  artifactsDir: string;
  /** Where to look for Chromium; chromiumSearchList() by default. */
  chromiumSearchList?: string[];
  /** The whole Playwright run; 5 minutes by default. */
  timeoutMs?: number;
  /** How long an `expect` waits for its condition; smoke.config.ts's 15 s by default. */
  expectTimeoutMs?: number;
}

/** Runs `specFiles` (absolute, or relative to the working directory) and reports each test. */
export async function runSmokeSpecs(specFiles: string[], options: SmokeSpecOptions): Promise<SmokeResult[]> {
  if (specFiles.length === 0) return [];
  const files = specFiles.map((file) => resolve(file));
  const absent = files.filter((file) => !existsSync(file));
  if (absent.length > 0) throw new SpecFileError(`smoke spec not found: ${absent.join(', ')}`);

  const found = findChromium(options.chromiumSearchList);
  if ('missing' in found) return files.map((file) => notRun(file, 'skipped', found.missing));

  await mkdir(options.artifactsDir, { recursive: true });
  const reportFile = join(options.artifactsDir, 'smoke-specs.json');
  await rm(reportFile, { force: true });
  const run = await runPlaywright(options.timeoutMs ?? 300_000, {
    ...inheritedEnv(),
    FIREDRILL_BASE_URL: options.baseUrl,
    FIREDRILL_VALUES: JSON.stringify(options.values),
    FIREDRILL_SMOKE_SPECS: JSON.stringify(files),
    FIREDRILL_SMOKE_OUTPUT_DIR: join(options.artifactsDir, 'specs'),
    FIREDRILL_CHROMIUM: found.path,
    ...(options.expectTimeoutMs === undefined ? {} : { FIREDRILL_SMOKE_EXPECT_TIMEOUT_MS: String(options.expectTimeoutMs) }),
    PLAYWRIGHT_JSON_OUTPUT_FILE: reportFile,
    FORCE_COLOR: '0',
  });

  let report: JsonReport;
  try {
    report = JSON.parse(await readFile(reportFile, 'utf8')) as JsonReport;
  } catch {
    const why = run.timedOut
      ? `Playwright did not finish within ${options.timeoutMs ?? 300_000} ms`
      : `Playwright exited with ${run.exit} and wrote no report: ${run.outputTail.trim() || 'no output'}`;
    return files.map((file) => notRun(file, 'failed', why));
  }
  return toResults(report, run);
}

interface PlaywrightRun {
  exit: string;
  timedOut: boolean;
  outputTail: string;
}

function runPlaywright(timeoutMs: number, env: NodeJS.ProcessEnv): Promise<PlaywrightRun> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, [PLAYWRIGHT_CLI, 'test', '--config', CONFIG, '--reporter=json'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM'); // Playwright closes its workers and browsers on SIGTERM
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    child.on('error', rejectRun);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      resolveRun({ exit: signal ? `signal ${signal}` : `code ${code}`, timedOut, outputTail: stripVTControlCharacters(output) });
    });
  });
}

/**
 * This process may itself be a Playwright Test worker (drills are specs); its worker variables
 * would confuse the child runner, so they are not passed on.
 */
const inheritedEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^PW_|^TEST_(WORKER|PARALLEL)_INDEX$/.test(name)));

// The parts of Playwright's JSON report that are read here.
interface JsonReport {
  config: { rootDir: string };
  suites?: JsonSuite[];
  errors?: JsonError[];
}
interface JsonSuite {
  title: string;
  file: string;
  specs?: JsonSpec[];
  suites?: JsonSuite[];
}
interface JsonSpec {
  title: string;
  file: string;
  line: number;
  tests: JsonTest[];
}
interface JsonTest {
  status: 'expected' | 'unexpected' | 'flaky' | 'skipped';
  annotations?: Array<{ type: string; description?: string }>;
  results: Array<{
    status: string;
    duration: number;
    errors?: JsonError[];
    attachments?: Array<{ name: string; contentType: string; path?: string }>;
  }>;
}
interface JsonError {
  message?: string;
}

function toResults(report: JsonReport, run: PlaywrightRun): SmokeResult[] {
  const results: SmokeResult[] = [];
  // The file-level suite's title is the file; nested suites are describe() blocks.
  const walk = (suite: JsonSuite, titles: string[]) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) results.push(toResult(report.config.rootDir, spec, [...titles, spec.title], test));
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  for (const fileSuite of report.suites ?? []) walk(fileSuite, []);

  // Errors outside any test: a spec that does not compile, a config that throws, no tests found.
  const errors = (report.errors ?? []).map(errorText).filter(Boolean);
  if (errors.length > 0 || results.length === 0) {
    const failures = errors.length > 0 ? errors : [`no tests ran (Playwright exited with ${run.exit})`];
    results.push({ kind: 'spec', name: 'smoke specs', status: 'failed', durationMs: 0, summary: summarize(failures, ''), failures, attachments: [] });
  }
  return results;
}

function toResult(rootDir: string, spec: JsonSpec, titles: string[], test: JsonTest): SmokeResult {
  const file = resolve(rootDir, spec.file);
  const name = [displayPath(file), ...titles].join(' › ');
  const durationMs = test.results.reduce((sum, result) => sum + result.duration, 0);
  const last = test.results.at(-1);
  const attachments = test.results.flatMap((result) =>
    (result.attachments ?? []).flatMap(({ name: attachment, contentType, path }) => (path ? [{ name: attachment, path, contentType }] : [])),
  );
  const evidence = { file, line: spec.line, result: last?.status ?? 'not run' };

  if (test.status === 'skipped') {
    const reason = test.annotations?.find((a) => a.type === 'skip')?.description;
    return { kind: 'spec', name, status: 'skipped', durationMs, summary: reason ?? 'skipped by the spec', failures: [], attachments, evidence };
  }
  // Every attempt's errors: with retries a flaky test passed in the end, and that is still a finding.
  const failures = test.status === 'expected' ? [] : test.results.flatMap((r) => r.errors ?? []).map(errorText).filter(Boolean);
  if (test.status !== 'expected' && failures.length === 0) failures.push(`ended ${last?.status ?? 'without a result'}`);
  return {
    kind: 'spec',
    name,
    status: failures.length === 0 ? 'passed' : 'failed',
    durationMs,
    summary: summarize(failures, `passed in ${Math.round(durationMs)} ms`),
    failures,
    attachments,
    evidence,
  };
}

/** Relative to the working directory where the file is under it, absolute where it is not. */
const displayPath = (file: string): string => {
  const path = relative(process.cwd(), file);
  return path.startsWith('..') || isAbsolute(path) ? file : path;
};

const errorText = (error: JsonError): string => stripVTControlCharacters(error.message ?? '').trim();

const notRun = (file: string, status: 'skipped' | 'failed', why: string): SmokeResult => ({
  kind: 'spec',
  name: displayPath(file),
  status,
  durationMs: 0,
  summary: why,
  failures: status === 'failed' ? [why] : [],
  attachments: [],
});
