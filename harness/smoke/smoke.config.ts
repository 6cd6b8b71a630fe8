// The Playwright config that hand-written smoke specs run under. runSmokeSpecs() drives it
// through the environment; it also runs by hand while a spec is being written:
//
//   FIREDRILL_BASE_URL=http://127.0.0.1:4600 FIREDRILL_VALUES='{"baselineTag":"v1.0.0"}' \
//     npx playwright test --config harness/smoke/smoke.config.ts
//
// Environment:
//   FIREDRILL_SMOKE_SPECS       JSON array of absolute spec paths (default: drills/smoke/*.smoke.spec.ts)
//   FIREDRILL_SMOKE_OUTPUT_DIR  screenshots, traces and the like (default: reports/smoke)
//   FIREDRILL_CHROMIUM          the browser; found as for browser checks when unset
//   FIREDRILL_BASE_URL, FIREDRILL_VALUES  read by the specs themselves

import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions, findChromium } from './browser.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const chromium = findChromium();
if ('missing' in chromium) throw new Error(chromium.missing);

const specs = parseSpecs(process.env.FIREDRILL_SMOKE_SPECS);

export default defineConfig({
  // Playwright only collects files under testDir, so it is the folder that holds them all.
  testDir: specs ? commonFolder(specs) : resolve(root, 'drills/smoke'),
  // Exact paths as regular expressions: paths given on the command line would be read as
  // unescaped regular expressions, and globs trip over brackets in folder names.
  testMatch: specs ? specs.map((spec) => new RegExp(`^${escapeRegExp(spec)}$`)) : '**/*.smoke.spec.ts',
  outputDir: resolve(process.env.FIREDRILL_SMOKE_OUTPUT_DIR ?? resolve(root, 'reports/smoke')),
  // Smoke runs against one live service: one worker, and a failure is a finding, not a flake.
  workers: 1,
  retries: 0,
  fullyParallel: false,
  // Generous: a busy 2-core CI machine must not turn a slow start into a red drill.
  timeout: 60_000,
  expect: { timeout: expectTimeoutMs(process.env.FIREDRILL_SMOKE_EXPECT_TIMEOUT_MS) },
  reporter: 'list',
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions(chromium.path),
    screenshot: 'on',
    trace: 'retain-on-failure',
  },
});

function parseSpecs(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string' && isAbsolute(p))) {
    throw new Error(`FIREDRILL_SMOKE_SPECS must be a JSON array of absolute paths, got ${raw}`);
  }
  return parsed;
}

function expectTimeoutMs(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 15_000;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`FIREDRILL_SMOKE_EXPECT_TIMEOUT_MS must be a whole number of milliseconds, got ${raw}`);
  return ms;
}

function commonFolder(files: string[]): string {
  const inside = (dir: string, folder: string) => dir === folder || dir.startsWith(folder.endsWith(sep) ? folder : folder + sep);
  return files.map((file) => dirname(file)).reduce((folder, dir) => {
    while (!inside(dir, folder)) folder = dirname(folder);
    return folder;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
