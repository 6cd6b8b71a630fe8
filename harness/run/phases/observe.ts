// The observers, a fixture rather than a phase: the service poller and the endpoint prober that
// write the timeline. Queued first so that they are stopped last, after restore: the timeline
// shows the restore too. Started by the baseline phase, once preflight has let the drill run.

import { startProber, type Prober } from '../../observe/prober.ts';
import { startServicePoller, type ServicePoller } from '../../observe/service-poller.ts';
import type { DrillContext } from '../drill-context.ts';
import type { Task } from '../task-runner.ts';

export interface Observers {
  start(): void;
}

export const observeFixture = (ctx: DrillContext): Task<void, Observers> => {
  let running: { poller: ServicePoller; prober: Prober } | undefined;
  return {
    name: 'observers',
    async setup() {
      return {
        start: () => {
          if (running) return;
          const { env, target } = ctx;
          running = {
            poller: startServicePoller({
              driver: ctx.driver,
              cluster: env.cluster,
              service: ctx.serviceName,
              intervalMs: env.poll.intervalMs,
              timeline: ctx.timeline,
              clock: ctx.clock,
              onError: (error: unknown) => ctx.problem(`service poller: ${error instanceof Error ? error.message : String(error)}`),
            }),
            prober: startProber({
              url: new URL(target.probePath, target.url).toString(),
              intervalMs: env.probe.intervalMs,
              timeoutMs: env.probe.timeoutMs,
              versionHeader: target.versionHeader ?? 'x-app-version',
              timeline: ctx.timeline,
              clock: ctx.clock,
            }),
          };
        },
      };
    },
    async teardown() {
      if (!running) return;
      const { poller, prober } = running;
      running = undefined;
      await Promise.allSettled([poller.stop(), prober.stop()]);
    },
  };
};
