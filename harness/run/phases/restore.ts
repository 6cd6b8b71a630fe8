// restore: the teardown of preflight, so it runs whatever happened after preflight started (a
// failed expectation, an error, an interrupt, a deadline). The one restore (../restore.ts), driven
// by this drill's restore ticket: back on the baseline, the bad revisions deregistered, the lock
// released. Never interrupted, with its own deadline: leaving a half-restored service is the one
// thing a drill must not do.

import { restoreService } from '../restore.ts';
import type { DrillContext } from '../drill-context.ts';
import { DrillStop } from '../../journal/outcome.ts';

export const restoreDrill = async (ctx: DrillContext): Promise<void> => {
  const ticket = ctx.ticket.current;
  ctx.progress('restore', ticket.touched ? 'the service to be steady on its baseline' : undefined);
  const result = await restoreService(ticket, {
    driver: ctx.driver,
    deadline: ctx.clock.now() + ctx.env.timeouts.restoreSeconds * 1000,
    pollIntervalMs: ctx.env.poll.intervalMs,
    // Onto the timeline, as the drill's other actions are.
    onStep: (step) => {
      if (step.kind === 'update-service') ctx.action('restore', { call: 'UpdateService', taskDefinition: step.taskDefinition });
      if (step.kind === 'deregister') ctx.action('deregister-task-definition', { taskDefinitionArn: step.taskDefinitionArn, ...(step.foundByTag ? { found: 'by its firedrill:run tag' } : {}) });
      if (step.kind === 'lock-released') {
        ctx.noteTicket({ lockHeld: false });
        ctx.action('lock-released', { serviceArn: step.serviceArn, released: true });
      }
    },
    onRetry: (operation, error) =>
      ctx.problem(`restore: ${operation} failed after the SDK's retries (${error instanceof Error ? error.name : 'error'}: ${error instanceof Error ? error.message : String(error)}); trying again`),
  });
  ctx.journal.restore = { ok: result.ok, state: result.state, actions: result.actions };
  if (!result.ok) throw new DrillStop('restore-failed', `restore failed: ${result.state}`);
  ctx.noteTicket({ restored: true, lockHeld: false, restoredAt: new Date(ctx.clock.now()).toISOString(), restoredBy: 'drill' });
};
