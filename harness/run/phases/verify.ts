// verify: the service recovered (the same pure measurement decides here and in the report:
// steady on the baseline and every probe good for the stable window), then the smoke checks again.

import type { SharedChromium } from '../../smoke/browser.ts';
import { describeState } from '../service-state.ts';
import type { DrillContext } from '../drill-context.ts';
import { DrillStop } from '../../journal/outcome.ts';
import type { Task } from '../task-runner.ts';
import type { Injected } from './inject.ts';

export const verifyTask = (ctx: DrillContext): Task<{ injected: Injected; browser: SharedChromium }, void> => ({
  name: 'verify',
  phase: 'verify',
  async setup({ injected, browser }) {
    const budget = ctx.scenario.expectations.recoveryWithinSeconds;
    await ctx.waitUntil('the baseline to be steady and serve every probe for the stable window', ctx.recoveryDeadline(injected.injectAt), () => ctx.measureNow()?.timeToRecoverMs !== undefined).catch(
      (error: unknown) => {
        if (ctx.signal.aborted) throw error;
        throw new DrillStop('failed', `verify: the service did not recover within ${budget} s (${describeState(ctx.lastService())})`);
      },
    );
    ctx.journal.smoke.afterRecovery = await ctx.smoke('after-recovery', browser);
  },
});
