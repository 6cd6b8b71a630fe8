// Drills are Playwright Test specs: one project per environment, one worker, no retries (a
// drill changes a shared service; running two at once or retrying one would corrupt the
// evidence). `firedrill run` drives this same config.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defineConfig, type ReporterDescription } from '@playwright/test';
import { DRILL_CATEGORIES } from './harness/report/allure-categories.ts';

// The SDK's notice that releases after January 2027 need Node 22 says nothing about this pinned install.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const environmentsDir = join(import.meta.dirname, 'environments');
const explicit = process.env['FIREDRILL_ENV_FILE'];
const environmentFiles = explicit
  ? [explicit]
  : existsSync(environmentsDir)
    ? readdirSync(environmentsDir)
        .filter((f) => f.endsWith('.yaml') && !f.includes('.example.'))
        .map((f) => join(environmentsDir, f))
    : [];

const reportDir = process.env['FIREDRILL_REPORT_DIR'] ?? join(import.meta.dirname, 'reports');

const gitRevision = (): string => {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: import.meta.dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
};
const firedrillVersion = (JSON.parse(readFileSync(join(import.meta.dirname, 'package.json'), 'utf8')) as { version: string }).version;

// Categories match the failure message, which is summarizeJournal(journal) (harness/run/summary.ts);
// harness/report/allure-categories.ts says how.
const allure: ReporterDescription = [
  'allure-playwright',
  {
    resultsDir: join(reportDir, 'allure-results'),
    environmentInfo: {
      'firedrill version': firedrillVersion,
      'git revision': gitRevision(),
      ...(process.env['FIREDRILL_ENV_NAME'] ? { environment: process.env['FIREDRILL_ENV_NAME'] } : {}),
      ...(process.env['FIREDRILL_ENV_FILE'] ? { 'environment file': process.env['FIREDRILL_ENV_FILE'] } : {}),
      node: process.version,
    },
    // Shared with the Allure 3 report's config (allure-html.ts), which does not read these from the results.
    categories: [...DRILL_CATEGORIES],
  },
];

const reporter: ReporterDescription[] = [
  process.env['FIREDRILL_REPORTER'] ? [process.env['FIREDRILL_REPORTER']] : ['list'],
  allure,
];

export default defineConfig({
  testDir: join(import.meta.dirname, 'drills'),
  testMatch: /\.drill\.ts$/,
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // A drill has its own budgets (recovery 10 min, restore, the whole drill); this only stops a runaway.
  timeout: 45 * 60_000,
  reporter,
  outputDir: join(reportDir, 'test-results'),
  projects: environmentFiles.map((file) => ({
    name: process.env['FIREDRILL_ENV_NAME'] ?? basename(file, '.yaml'),
    metadata: { environmentFile: file },
  })),
});
