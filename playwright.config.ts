// Drills are Playwright Test specs: one project per environment, one worker, no retries (a
// drill changes a shared service; running two at once or retrying one would corrupt the
// evidence). `firedrill run` drives this same config.

import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defineConfig } from '@playwright/test';

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

const reporter = process.env['FIREDRILL_REPORTER']
  ? [[process.env['FIREDRILL_REPORTER']] as [string]]
  : [['list'] as [string]];

export default defineConfig({
  testDir: join(import.meta.dirname, 'drills'),
  testMatch: /\.drill\.ts$/,
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // A drill has its own budgets (recovery 10 min, restore, the whole drill); this only stops a runaway.
  timeout: 45 * 60_000,
  reporter,
  outputDir: join(process.env['FIREDRILL_REPORT_DIR'] ?? join(import.meta.dirname, 'reports'), 'test-results'),
  projects: environmentFiles.map((file) => ({
    name: process.env['FIREDRILL_ENV_NAME'] ?? basename(file, '.yaml'),
    metadata: { environmentFile: file },
  })),
});
