// gate: from inject, watch for the first failure signal: ECS (failed tasks, a FAILED deployment)
// or one of the scenario's gate signals over the probes. None within the rollback budget, and the
// bad release went undetected: the drill fails.

import { GateAnalyzer, ecsFailureSignal } from '../../analysis/gate.ts';
import type { DrillContext } from '../drill-context.ts';
import { DrillStop } from '../../journal/outcome.ts';
import type { Task } from '../task-runner.ts';
import type { Injected } from './inject.ts';

export interface Detected {
  detectedAt: number;
  detectedBy: string;
}

export const gateTask = (ctx: DrillContext): Task<Injected, Detected> => ({
  name: 'gate',
  phase: 'gate',
  async setup({ injectAt, badArn }) {
    const analyzer = new GateAnalyzer(ctx.scenario.gate.signals);
    const fired: { t: number; by: string }[] = [];
    const unsubscribe = ctx.timeline.subscribe((o) => {
      if (o.source !== 'probe' || o.t < injectAt) return;
      for (const transition of analyzer.observe(o)) {
        ctx.timeline.add(transition);
        if (transition.fired) fired.push({ t: transition.t, by: `gate ${transition.signal}` });
      }
    });
    try {
      const detected = await ctx.waitUntil('a failure signal (ECS or a gate)', ctx.recoveryDeadline(injectAt), () => {
        const ecs = ecsFailureSignal(ctx.timeline.of('service'), injectAt, badArn);
        const candidates = [...fired, ...(ecs ? [{ t: ecs.t, by: `ECS: ${ecs.reason}` }] : [])].sort((a, b) => a.t - b.t);
        return candidates[0];
      }).catch((error: unknown) => {
        if (ctx.signal.aborted) throw error;
        throw new DrillStop('failed', `gate: no failure signal within the ${ctx.scenario.expectations.recoveryWithinSeconds} s budget; the bad release was not detected`);
      });
      ctx.journal.markers.detectedAt = detected.t;
      ctx.journal.markers.detectedBy = detected.by;
      return { detectedAt: detected.t, detectedBy: detected.by };
    } finally {
      unsubscribe();
    }
  },
});
