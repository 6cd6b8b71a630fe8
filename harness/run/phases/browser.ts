// The smoke checks' browser, a fixture: launched once, on the first browser check (baseline),
// reused after recovery, and closed before restore, since no smoke check runs from there on.
// A browser the caller owns (one for every drill of a Playwright worker) is used as it is and
// left open: launching Chromium costs several seconds of CPU, which a suite of drills paid per drill.

import { SharedChromium } from '../../smoke/browser.ts';
import type { DrillContext } from '../drill-context.ts';
import type { Task } from '../task-runner.ts';

export const browserFixture = (ctx: DrillContext, callers?: SharedChromium): Task<void, SharedChromium> => {
  if (callers) return { name: 'browser', setup: async () => callers };
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
