// inject: register the failing release (tagged with the run, so recover finds it even when its
// ARN was never learnt) and ship it the way the scenario says: UpdateService, or the team's own
// deploy command. From here on the service is touched, and restore has something to undo.

import { runCommand } from '../../commands/run-command.ts';
import type { DrillContext } from '../drill-context.ts';
import type { Task } from '../task-runner.ts';
import type { Preflighted } from './preflight.ts';

export interface Injected {
  badArn: string;
  injectAt: number;
}

export const injectTask = (ctx: DrillContext): Task<Preflighted, Injected> => ({
  name: 'inject',
  phase: 'inject',
  async setup(preflighted) {
    const { mutated, baseline } = preflighted;
    const { env, journal } = ctx;
    const deadline = ctx.clock.now() + env.timeouts.injectSeconds * 1000;
    // On disk before the first change: a SIGKILL from here on leaves recover what it needs.
    ctx.noteTicket({ touched: true, baselineTaskDefinitionArn: baseline.taskDefinitionArn, family: mutated.taskDefinition.family }, { critical: true });
    // Not abortable: an interrupt landing mid-call could register a revision whose ARN we never learn, and leak it.
    const badArn = await ctx.driver.registerTaskDefinition(mutated.taskDefinition, { deadline });
    await ctx.hold('inject:registered');
    ctx.noteTicket({ registered: [...ctx.ticket.current.registered, badArn] }, { critical: true });
    preflighted.injected.taskDefinitionArn = badArn;
    preflighted.placeholders = { ...preflighted.placeholders, taskDefinition: badArn, badTaskDefinition: badArn };
    ctx.action('register-task-definition', { taskDefinitionArn: badArn, summary: mutated.summary });
    ctx.interruptPoint();

    const rollout = ctx.scenario.rollout;
    const injectAt = ctx.clock.now();
    journal.markers.injectAt = injectAt;
    if (rollout.method === 'update-service') {
      await ctx.driver.updateService({ cluster: env.cluster, service: ctx.serviceName, taskDefinition: badArn }, { deadline, signal: ctx.signal });
      ctx.action('update-service', { taskDefinition: badArn });
    } else {
      const result = await runCommand(rollout.command, preflighted.placeholders, { timeoutMs: rollout.timeoutSeconds * 1000, signal: ctx.signal, env: ctx.commandEnv() });
      ctx.action('deploy-command', { command: result.command, exitCode: result.exitCode, durationMs: result.durationMs, output: result.output });
    }
    return { badArn, injectAt };
  },
});
