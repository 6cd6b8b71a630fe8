// `firedrill run` as a user runs it, for end-to-end drill tests: the command as a subprocess of
// this test process (its own process group, so a failed test can take Playwright and its worker
// down with it), an environment file pointing at a sandbox this test started, scenario copies
// with one field changed, and the journals a run wrote.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type Document } from 'yaml';
import { readJournals } from '../../harness/cli/drill-process.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import type { TestSandbox } from './sandbox.ts';
import { waitFor } from './wait.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'firedrill.js');
export const SCENARIOS_DIR = join(ROOT, 'scenarios');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Set once the process has exited and its output is complete. */
  exit: Exit | undefined;
  exited: Promise<Exit>;
}

export interface FinishedCli extends Exit {
  stdout: string;
  stderr: string;
  ms: number;
}

const started: RunningCli[] = [];
const tempDirs: string[] = [];

/**
 * The environment the command runs with: this process's, minus vitest's own markers, which
 * would otherwise reach Playwright Test and the drill it runs.
 */
const cliEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'VITEST' || key.startsWith('VITEST_') || key === 'TEST' || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  return env;
};

/** Starts `node bin/firedrill.js ARGS` from the repository root, collecting its output. */
export const startFiredrill = (args: string[]): RunningCli => {
  // detached: its own process group, so cleanup can reach Playwright and its worker too.
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv(), detached: true });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const r: RunningCli = {
    child,
    stdout: () => out,
    stderr: () => err,
    exit: undefined,
    exited: new Promise((resolve) =>
      child.once('close', (code, signal) => {
        r.exit = { code, signal };
        resolve(r.exit);
      }),
    ),
  };
  started.push(r);
  return r;
};

/** Runs the command to completion; past `timeoutMs` its whole process group is killed. */
export const runFiredrill = async (args: string[], timeoutMs: number): Promise<FinishedCli> => {
  const t0 = Date.now();
  const r = startFiredrill(args);
  const timer = setTimeout(() => killGroup(r), timeoutMs);
  const { code, signal } = await r.exited;
  clearTimeout(timer);
  return { code, signal, stdout: r.stdout(), stderr: r.stderr(), ms: Date.now() - t0 };
};

const killGroup = (r: RunningCli): void => {
  if (r.exit || r.child.pid === undefined) return;
  try {
    process.kill(-r.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

/**
 * For afterEach/afterAll: kills every command still running (with Playwright and its worker)
 * and removes the temporary folders. Processes are ended by their group id, which is the pid of
 * the command this module started.
 */
export const cleanUpFiredrill = async (): Promise<void> => {
  for (const r of started.splice(0)) {
    if (r.exit) continue;
    killGroup(r);
    await r.exited;
  }
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
};

export const tempDir = (prefix = 'firedrill-drill-'): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};

/** Waits until stdout matches, failing at once if the command exits first. */
export const waitForStdout = (r: RunningCli, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> =>
  waitFor(
    () => {
      const match = pattern.exec(r.stdout());
      if (match) return match;
      if (r.exit) throw new Error(`firedrill exited (${JSON.stringify(r.exit)}) before printing ${pattern}\nstdout:\n${r.stdout()}\nstderr:\n${r.stderr()}`);
      return undefined;
    },
    timeoutMs,
    `firedrill to print ${pattern}`,
  );

export const PROBE_INTERVAL_MS = 500;
export const POLL_INTERVAL_MS = 250;

/** An environment of kind sandbox on the test's own sandbox; firedrill must not start another. */
export const writeEnvironment = (dir: string, t: TestSandbox, name = 'drill-test'): string => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'kind: sandbox',
      `endpoint: ${t.sandbox.endpoint}`,
      `region: ${t.sandbox.region}`,
      'cluster: firedrill',
      // Every drill in the tests goes through the account guard: the sandbox answers STS with this.
      'allowedAccountIds: ["000000000000"]',
      'services:',
      '  demo:',
      '    service: demo',
      `    url: ${t.demoUrl}`,
      // Several test files at once can hold a probe up past 2 s, which failed healthy baselines;
      // the slow-responses scenario's 1.5 s answers stay slow, not lost.
      `probe: { intervalMs: ${PROBE_INTERVAL_MS}, timeoutMs: 5000 }`,
      `poll: { intervalMs: ${POLL_INTERVAL_MS} }`,
      'timeouts: { baselineSeconds: 60, restoreSeconds: 120, drillSeconds: 900 }',
      'sandbox: { embedded: false }',
      '',
    ].join('\n'),
  );
  return file;
};

/** A copy of a shipped scenario in `dir`, changed by `edit` (comments and layout are kept). */
export const scenarioCopy = (dir: string, shipped: string, edit: (doc: Document) => void, fileName = shipped): string => {
  const doc = parseDocument(readFileSync(join(SCENARIOS_DIR, shipped), 'utf8'));
  edit(doc);
  const file = join(dir, basename(fileName));
  writeFileSync(file, doc.toString());
  return file;
};

/** Every journal under the report dir, oldest first. */
export const journalsIn = (reportDir: string): Journal[] => readJournals(reportDir);

/** A run's output, for assertion messages. */
export const describeRun = (r: Pick<FinishedCli, 'code' | 'signal' | 'stdout' | 'stderr'>): string =>
  `exit ${r.code} (signal ${r.signal})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
