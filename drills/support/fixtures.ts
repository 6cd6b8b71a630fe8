// Playwright fixtures for drills: the environment (from the project), the sandbox where one is
// needed, the driver, and `drill`, which runs a scenario with a test.step per phase and
// makes sure an interrupted test still restores the service and writes its journal.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test as base } from '@playwright/test';
import { loadEnvironment, type LoadedEnvironment, type LoadedScenario } from '../../harness/config/load.ts';
import { Driver } from '../../harness/ecs/driver.ts';
import { runDrill, type Progress } from '../../harness/run/drill.ts';
import { SharedChromium } from '../../harness/smoke/browser.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import type { Sandbox } from '../../sandbox/index.ts';
import { ensureSandbox } from './embedded-sandbox.ts';

export const PROGRESS_PREFIX = '::firedrill-progress::';

const firedrillVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
export const reportDir = resolve(process.env['FIREDRILL_REPORT_DIR'] ?? 'reports');

const printProgress = (p: Progress): void => {
  if (process.env['FIREDRILL_PROGRESS'] === '1') process.stdout.write(`${PROGRESS_PREFIX}${JSON.stringify(p)}\n`);
};

export interface DrillFixture {
  run(scenario: LoadedScenario): Promise<Journal>;
}

interface WorkerFixtures {
  environment: LoadedEnvironment;
  sandbox: Sandbox | undefined;
  driver: Driver;
  /** One Chromium for the smoke checks of every drill in this worker, launched at the first. */
  chromium: SharedChromium;
}

export const test = base.extend<{ drill: DrillFixture }, WorkerFixtures>({
  environment: [
    async ({}, use, workerInfo) => {
      const file = (workerInfo.project.metadata as { environmentFile?: string }).environmentFile;
      if (!file) throw new Error(`project ${workerInfo.project.name} names no environment file`);
      await use(loadEnvironment(file));
    },
    { scope: 'worker' },
  ],
  sandbox: [
    async ({ environment }, use) => {
      const sandbox = await ensureSandbox(environment.environment, reportDir, (line) => process.stdout.write(`firedrill: ${line}\n`));
      await use(sandbox);
      await sandbox?.stop();
    },
    { scope: 'worker' },
  ],
  driver: [
    async ({ environment, sandbox }, use) => {
      const env = environment.environment;
      const driver = new Driver({ endpoint: sandbox?.endpoint ?? env.endpoint, region: env.region });
      await use(driver);
      driver.destroy();
    },
    { scope: 'worker' },
  ],
  chromium: [
    async ({}, use) => {
      const chromium = new SharedChromium();
      await use(chromium);
      await chromium.close();
    },
    { scope: 'worker' },
  ],
  drill: async ({ environment, driver, chromium }, use) => {
    const interrupt = new AbortController();
    let running: Promise<Journal> | undefined;
    let finished = false;
    // Playwright stops a worker on Ctrl-C or a timeout by tearing fixtures down; aborting here
    // sends the drill to restore, and awaiting it keeps the worker alive until the journal is written.
    const onSignal = () => interrupt.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    await use({
      run: (scenario) => {
        running = runDrill({
          scenario,
          environment,
          driver,
          reportDir,
          firedrillVersion,
          invocationId: process.env['FIREDRILL_INVOCATION'],
          signal: interrupt.signal,
          // `firedrill run --allow-production` sets it; a bare `npx playwright test` must set it by hand.
          allowProduction: process.env['FIREDRILL_ALLOW_PRODUCTION'] === '1',
          progress: printProgress,
          step: (phase, body) => test.step(phase, body),
          browser: chromium,
        });
        void running.finally(() => (finished = true)).catch(() => undefined);
        return running;
      },
    });
    if (running && !finished) {
      interrupt.abort();
      await running.catch(() => undefined);
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
});

export { expect } from '@playwright/test';
export const journalPath = (journal: Journal): string => join(reportDir, journal.runId, 'journal.json');
