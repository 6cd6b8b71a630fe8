// The smoke checks' browser, a fixture: launched once, on the first browser check (baseline),
// reused after recovery, and closed before restore, since no smoke check runs from there on.

import { SharedChromium } from '../../smoke/browser.ts';
import type { DrillContext } from '../drill-context.ts';
import type { Task } from '../task-runner.ts';

export const browserFixture = (ctx: DrillContext): Task<void, SharedChromium> => {
  const chromium = new SharedChromium();
  return {
    name: 'browser',
    async setup() {
      return chromium;
    },
    async teardown() {
      await chromium.close().catch((error: unknown) => ctx.problem(`closing the smoke checks' browser: ${error instanceof Error ? error.message : String(error)}`));
    },
  };
};
