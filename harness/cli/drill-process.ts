// Runs drills through Playwright Test, the same specs `npx playwright test` runs, and collects
// the journals they wrote. Signals are passed on so an interrupted run still restores.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { LoadedEnvironment } from '../config/load.ts';
import type { Journal } from '../journal/journal.ts';

const root = resolve(import.meta.dirname, '..', '..');

export interface DrillProcessOptions {
  scenarioFiles: string[];
  environment: LoadedEnvironment;
  reportDir: string;
  allowProduction?: boolean;
}

export interface DrillProcessResult {
  journals: Journal[];
  playwrightExitCode: number | null;
  invocationId: string;
}

const playwrightCli = (): string => createRequire(import.meta.url).resolve('@playwright/test/cli');

export const runDrillsInPlaywright = async (options: DrillProcessOptions): Promise<DrillProcessResult> => {
  const invocationId = randomBytes(6).toString('hex');
  const child = spawn(process.execPath, [playwrightCli(), 'test', '--config', join(root, 'playwright.config.ts')], {
    cwd: root,
    stdio: 'inherit',
    // Its own process group: a terminal's Ctrl-C reaches only us, and we pass on exactly one
    // SIGINT. Playwright treats a second one as "stop now", which could cut a restore short.
    detached: true,
    env: {
      ...process.env,
      FIREDRILL_SCENARIOS: JSON.stringify(options.scenarioFiles),
      FIREDRILL_ENV_FILE: options.environment.file,
      FIREDRILL_ENV_NAME: options.environment.environment.name,
      FIREDRILL_REPORT_DIR: options.reportDir,
      FIREDRILL_ALLOW_PRODUCTION: options.allowProduction ? '1' : '0',
      FIREDRILL_INVOCATION: invocationId,
      FIREDRILL_PROGRESS: '1',
      FIREDRILL_REPORTER: join(root, 'harness', 'cli', 'progress-reporter.ts'),
    },
  });
  let forwarded = false;
  const forward = (signal: NodeJS.Signals) => () => {
    if (forwarded) {
      process.stderr.write(`\nfiredrill: ${signal}: still restoring the service; firedrill exits when the restore is done\n`);
      return;
    }
    forwarded = true;
    process.stderr.write(`\nfiredrill: ${signal}: stopping the drill; it restores the service and writes its journal first...\n`);
    child.kill('SIGINT');
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const exitCode = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  return { journals: readJournals(options.reportDir, invocationId), playwrightExitCode: exitCode, invocationId };
};

export const readJournals = (reportDir: string, invocationId?: string): Journal[] => {
  if (!existsSync(reportDir)) return [];
  const journals: Journal[] = [];
  for (const entry of readdirSync(reportDir)) {
    const file = join(reportDir, entry, 'journal.json');
    if (!existsSync(file)) continue;
    try {
      const journal = JSON.parse(readFileSync(file, 'utf8')) as Journal;
      if (invocationId === undefined || journal.invocationId === invocationId) journals.push(journal);
    } catch {
      // A journal being written right now, or not ours to read.
    }
  }
  return journals.sort((a, b) => a.startedAt - b.startedAt);
};
