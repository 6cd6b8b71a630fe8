// All smoke checks of a scenario, in order of cost: HTTP first, then browser checks, then the
// hand-written specs, which start a Playwright Test run of their own.

import { resolve } from 'node:path';
import type { SmokeSpec } from '../config/scenario.ts';
import { runBrowserChecks, type SharedChromium } from './browser.ts';
import { runHttpCheck } from './http-check.ts';
import type { SmokeResult } from './results.ts';
import { runSmokeSpecs } from './specs.ts';

export interface RunSmokeOptions {
  /** Screenshots, traces and the specs' JSON report go here; one folder per phase keeps them apart. */
  artifactsDir: string;
  /** The scenario file's folder: spec paths are relative to it. */
  scenarioDir: string;
  /** Where to look for Chromium; chromiumSearchList() by default. */
  chromiumSearchList?: string[];
  /** Keeps one browser open for the browser checks of several runs (a drill's baseline and after recovery). */
  sharedChromium?: SharedChromium;
}

/**
 * Runs every check against `baseUrl` and reports each. A failed check is a result, never an
 * exception; bad input (an unknown placeholder, a spec file that does not exist) throws
 * PlaceholderError or SpecFileError.
 */
export async function runSmoke(
  baseUrl: string,
  smoke: SmokeSpec,
  values: Record<string, string>,
  options: RunSmokeOptions,
): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const check of smoke.http) results.push(await runHttpCheck(baseUrl, check, values));
  const browserOptions = { artifactsDir: options.artifactsDir, chromiumSearchList: options.chromiumSearchList };
  results.push(...(await runBrowserChecks(baseUrl, smoke.browser, values, { ...browserOptions, shared: options.sharedChromium })));
  const specFiles = smoke.specs.map((spec) => resolve(options.scenarioDir, spec));
  results.push(...(await runSmokeSpecs(specFiles, { baseUrl, values, ...browserOptions })));
  return results;
}
