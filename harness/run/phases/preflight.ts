// preflight: the one preflight (harness/safety/preflight.ts) for this drill, the failing release
// made from the baseline (so bad input ends the drill before anything is touched), then the
// drill lock, noted in the restore ticket before it is taken. Its teardown is the restore
// (restore.ts): queued as soon as preflight starts, it runs whatever happens after.

import type { Placeholders } from '../../commands/run-command.ts';
import { diffTaskDefinitions, redactDiff } from '../../releases/diff.ts';
import { mutateRelease, MutationError, type MutatedRelease } from '../../releases/mutators.ts';
import { LockHeldError, describeLock } from '../../safety/lock.ts';
import { checkRelease } from '../../security/check.ts';
import { inspect, lockTtlMs, PreflightRefused, takeLock, type Baseline } from '../../safety/preflight.ts';
import type { DrillContext } from '../drill-context.ts';
import type { Journal } from '../../journal/journal.ts';
import { DrillStop } from '../../journal/outcome.ts';
import type { Task } from '../task-runner.ts';
import { restoreDrill } from './restore.ts';

export interface Preflighted {
  serviceArn: string;
  baseline: Baseline;
  mutated: MutatedRelease;
  /** The journal's record of the bad release; inject fills in its ARN. */
  injected: NonNullable<Journal['injected']>;
  placeholders: Placeholders;
}

export const preflightTask = (ctx: DrillContext): Task<void, Preflighted> => ({
  name: 'preflight',
  phase: 'preflight',
  async setup() {
    const { env, serviceName, journal } = ctx;
    // Its reads ride out throttling until the phase's deadline: a busy ECS is not a refusal.
    const deadline = ctx.clock.now() + env.timeouts.preflightSeconds * 1000;
    const inspected = await inspect(ctx.driver, { env, serviceName, scenario: ctx.scenario, allowProduction: ctx.allowProduction }, { deadline, signal: ctx.signal }).catch((error: unknown) => {
      if (error instanceof PreflightRefused) throw new DrillStop('invalid', error.message);
      throw error;
    });
    const { baseline, serviceArn } = inspected;
    let mutated: MutatedRelease;
    try {
      mutated = mutateRelease(baseline.taskDefinition, ctx.scenario.release, { runId: journal.runId });
    } catch (error) {
      if (error instanceof MutationError) throw new DrillStop('invalid', error.message);
      throw error;
    }
    journal.baseline = { taskDefinitionArn: baseline.taskDefinitionArn, image: baseline.image, tag: baseline.tag, version: baseline.tag };
    // Pure, from what preflight read: the evidence says what the release under drill looked like to a security review.
    journal.security = { findings: checkRelease({ taskDefinition: baseline.taskDefinition, service: inspected.service }) };
    const injected = {
      taskDefinitionArn: '',
      image: mutated.image,
      tag: mutated.tag,
      version: mutated.tag,
      summary: mutated.summary,
      diff: redactDiff(diffTaskDefinitions(baseline.taskDefinition, mutated.taskDefinition)),
    };
    journal.injected = injected;
    if (!ctx.lockHeldByCaller) await lock(ctx, serviceArn, deadline);
    return {
      serviceArn,
      baseline,
      mutated,
      injected,
      placeholders: {
        cluster: env.cluster,
        service: serviceName,
        region: env.region,
        endpoint: env.endpoint ?? '',
        baselineTaskDefinition: baseline.taskDefinitionArn,
        baselineImage: baseline.image,
        baselineTag: baseline.tag ?? '',
        image: mutated.image,
        badTag: mutated.tag ?? '',
      },
    };
  },
  teardown: () => restoreDrill(ctx),
});

const lock = async (ctx: DrillContext, serviceArn: string, deadline: number): Promise<void> => {
  // Noted before the tags are written: a crash between the two must still let `recover` release the lock.
  ctx.noteTicket({ lockHeld: true, serviceArn }, { critical: true });
  const acquired = await takeLock(ctx.driver, { serviceArn, runId: ctx.journal.runId, ttlMs: lockTtlMs(ctx.env) }, { deadline, signal: ctx.signal }).catch((error: unknown) => {
    ctx.noteTicket({ lockHeld: false });
    if (error instanceof LockHeldError) throw new DrillStop('locked', `preflight: ${error.message}`);
    throw error;
  });
  ctx.action('lock-acquired', { serviceArn, holder: acquired.holder, tookOver: acquired.tookOver ? describeLock(acquired.tookOver) : undefined });
  if (acquired.tookOver) ctx.problem(`warning: took over an expired drill lock (${describeLock(acquired.tookOver)})`);
};
