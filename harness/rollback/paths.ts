// The rollback paths a drill exercises. The circuit breaker is ECS's own: firedrill only
// watches it work. The others are triggered by firedrill when a failure signal fires, the way a
// team's pipeline would: redeploy the previous task definition, ask ECS to roll back
// (StopServiceDeployment ROLLBACK), or run the team's command.

import type { Driver } from '../ecs/driver.ts';
import type { RollbackSpec } from '../config/scenario.ts';
import { runCommand, type Placeholders } from '../commands/run-command.ts';

export interface RollbackContext {
  driver: Driver;
  /** When the rollback must have been started by (the drill's rollback budget). */
  deadline: number;
  cluster: string;
  service: string;
  baselineTaskDefinition: string;
  placeholders: Placeholders;
  /** Extra environment for the team's command (the sandbox's placeholder credentials). */
  commandEnv?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RollbackPath {
  name: RollbackSpec['path'];
  /** Who starts the rollback: ECS itself, or firedrill when a failure signal fires. */
  triggeredBy: 'ecs' | 'firedrill';
  /** One line for plans and reports. */
  describe(ctx: Pick<RollbackContext, 'cluster' | 'service' | 'baselineTaskDefinition' | 'placeholders'>): string;
  /** Starts the rollback; returns what was done, for the journal. */
  trigger(ctx: RollbackContext): Promise<Record<string, unknown>>;
}

const circuitBreaker: RollbackPath = {
  name: 'circuit-breaker',
  triggeredBy: 'ecs',
  describe: () => 'wait for the ECS deployment circuit breaker to roll back to the last COMPLETED deployment',
  trigger: async () => ({ note: 'ECS rolls back by itself' }),
};

const redeployPrevious: RollbackPath = {
  name: 'redeploy-previous',
  triggeredBy: 'firedrill',
  describe: (ctx) => `UpdateService cluster=${ctx.cluster} service=${ctx.service} taskDefinition=${ctx.baselineTaskDefinition} when a failure signal fires`,
  trigger: async (ctx) => {
    await ctx.driver.updateService({ cluster: ctx.cluster, service: ctx.service, taskDefinition: ctx.baselineTaskDefinition }, { deadline: ctx.deadline, signal: ctx.signal });
    return { call: 'UpdateService', taskDefinition: ctx.baselineTaskDefinition };
  },
};

const stopDeployment: RollbackPath = {
  name: 'stop-deployment',
  triggeredBy: 'firedrill',
  describe: (ctx) => `StopServiceDeployment ROLLBACK on the deployment in progress of cluster=${ctx.cluster} service=${ctx.service} when a failure signal fires: ECS rolls back`,
  trigger: async (ctx) => {
    const arn = await ctx.driver.rollBackServiceDeployment(ctx.cluster, ctx.service, { deadline: ctx.deadline, signal: ctx.signal });
    // No deployment in progress: ECS already ended it (its breaker, an alarm); nothing to stop.
    return arn ? { call: 'StopServiceDeployment', stopType: 'ROLLBACK', serviceDeploymentArn: arn } : { call: 'StopServiceDeployment', note: 'no service deployment in progress to stop' };
  },
};

const command = (spec: Extract<RollbackSpec, { path: 'command' }>): RollbackPath => ({
  name: 'command',
  triggeredBy: 'firedrill',
  describe: () => `run the team's rollback command when a failure signal fires: ${spec.command}`,
  trigger: async (ctx) => {
    const result = await runCommand(spec.command, ctx.placeholders, { timeoutMs: spec.timeoutSeconds * 1000, signal: ctx.signal, env: ctx.commandEnv });
    return { command: result.command, exitCode: result.exitCode, durationMs: result.durationMs, output: result.output };
  },
});

export const selectRollbackPath = (spec: RollbackSpec): RollbackPath => {
  switch (spec.path) {
    case 'circuit-breaker':
      return circuitBreaker;
    case 'redeploy-previous':
      return redeployPrevious;
    case 'stop-deployment':
      return stopDeployment;
    case 'command':
      return command(spec);
  }
};
