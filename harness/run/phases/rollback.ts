// rollback: the scenario's rollback path. ECS's own (the circuit breaker) is watched until ECS
// starts rolling back; firedrill's (redeploy the previous task definition, the team's command) is
// triggered now that a failure signal fired, as the team's pipeline would.

import { selectRollbackPath } from '../../rollback/paths.ts';
import { isSteady } from '../../ecs/steady.ts';
import { describeState, rollingBackTo } from '../service-state.ts';
import type { DrillContext } from '../drill-context.ts';
import { DrillStop } from '../../journal/outcome.ts';
import type { Task } from '../task-runner.ts';
import type { Injected } from './inject.ts';
import type { Preflighted } from './preflight.ts';

export interface RollbackInput {
  preflighted: Preflighted;
  injected: Injected;
}

export const rollbackTask = (ctx: DrillContext): Task<RollbackInput, { rollbackStartedAt: number }> => ({
  name: 'rollback',
  phase: 'rollback',
  async setup({ preflighted, injected }) {
    const path = selectRollbackPath(ctx.scenario.rollback);
    const deadline = ctx.recoveryDeadline(injected.injectAt);
    const baselineArn = preflighted.baseline.taskDefinitionArn;
    const { markers } = ctx.journal;
    if (path.triggeredBy === 'firedrill') {
      const rollbackStartedAt = ctx.clock.now();
      markers.rollbackStartedAt = rollbackStartedAt;
      const detail = await path.trigger({
        driver: ctx.driver,
        deadline,
        cluster: ctx.env.cluster,
        service: ctx.serviceName,
        baselineTaskDefinition: baselineArn,
        placeholders: preflighted.placeholders,
        commandEnv: ctx.commandEnv(),
        signal: ctx.signal,
      });
      ctx.action(path.name === 'command' ? 'rollback-command' : 'rollback-triggered', { path: path.name, ...detail });
      return { rollbackStartedAt };
    }
    const started = await ctx
      .waitUntil('ECS to start rolling back', deadline, () =>
        ctx.timeline.of('service').find((o) => o.t >= injected.injectAt && (rollingBackTo(o, baselineArn, injected.badArn) || isSteady(o, baselineArn))),
      )
      .catch((error: unknown) => {
        if (ctx.signal.aborted) throw error;
        throw new DrillStop('failed', `rollback: ECS did not start a rollback within the budget (${describeState(ctx.lastService())})`);
      });
    markers.rollbackStartedAt = started.t;
    return { rollbackStartedAt: started.t };
  },
});
