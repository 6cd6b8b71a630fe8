// baseline: before anything is touched, the service must be healthy: steady on its baseline task
// definition, answering every probe, passing its smoke checks. Otherwise the drill ends
// unhealthy-baseline (exit 3) and proves nothing.

import { isSteady } from '../../ecs/steady.ts';
import type { SharedChromium } from '../../smoke/browser.ts';
import { describeState } from '../service-state.ts';
import type { DrillContext } from '../drill-context.ts';
import { DrillStop } from '../../journal/outcome.ts';
import type { Task } from '../task-runner.ts';
import type { Observers } from './observe.ts';
import type { Preflighted } from './preflight.ts';

const BASELINE_PROBES = 3;

export interface BaselineInput {
  preflighted: Preflighted;
  observers: Observers;
  browser: SharedChromium;
}

export const baselineTask = (ctx: DrillContext): Task<BaselineInput, void> => ({
  name: 'baseline',
  phase: 'baseline',
  async setup({ preflighted, observers, browser }) {
    const { journal, target } = ctx;
    observers.start();
    const baselineArn = preflighted.baseline.taskDefinitionArn;
    const deadline = ctx.clock.now() + ctx.env.timeouts.baselineSeconds * 1000;
    await ctx.waitUntil('the service to be steady on its baseline', deadline, () => isSteady(ctx.lastService(), baselineArn)).catch(() => {
      throw new DrillStop('unhealthy-baseline', `baseline: the service is not steady on its baseline task definition: ${describeState(ctx.lastService())}`);
    });
    const since = ctx.clock.now();
    const probesSince = () => ctx.timeline.of('probe').filter((p) => p.t >= since);
    await ctx.waitUntil(`${BASELINE_PROBES} probes of ${target.url}`, deadline, () => probesSince().length >= BASELINE_PROBES).catch(() => {
      throw new DrillStop('unhealthy-baseline', `baseline: fewer than ${BASELINE_PROBES} probes of ${target.url} completed in time`);
    });
    const recent = probesSince();
    const bad = recent.filter((p) => !p.ok);
    if (bad.length > 0) {
      throw new DrillStop('unhealthy-baseline', `baseline: ${bad.length} of ${recent.length} probes of ${target.url} failed (${bad[0]?.error ?? `HTTP ${bad[0]?.status}`})`);
    }
    const served = recent.at(-1)?.version;
    if (served && journal.baseline) journal.baseline.version = served;
    if (preflighted.injected.version === served) {
      ctx.problem(`the bad release answers with the same version (${served}) as the baseline, so its share of traffic cannot be told apart; give release.tag a new tag`);
      preflighted.injected.version = undefined;
    }
    journal.smoke.baseline = await ctx.smoke('baseline', browser);
    const failed = journal.smoke.baseline.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      throw new DrillStop('unhealthy-baseline', `baseline: smoke checks failed before anything was touched: ${failed.map((f) => `${f.name}: ${f.failures[0] ?? f.summary}`).join('; ')}`);
    }
  },
});
