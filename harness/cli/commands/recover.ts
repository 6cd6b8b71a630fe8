// `firedrill recover`: finishes the restore of drills that died before finishing it (SIGKILL, an
// OOM kill, a machine that went down), from the restore tickets they left in the report dir.

import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { seconds } from '../../../lib/format.ts';
import { loadEnvironment, type LoadedEnvironment } from '../../config/load.ts';
import { Driver } from '../../ecs/driver.ts';
import { restoreService } from '../../run/restore.ts';
import { needsRecovery, ownerState, ticketsIn, TICKET_FILE, writeTicket, type RestoreTicket } from '../../run/restore-ticket.ts';
import { parse } from '../args.ts';
import { ExitCode, UserError } from '../errors.ts';

export const RECOVER_USAGE = `Usage: firedrill recover [--report-dir DIR] [--env NAME|FILE] [--force]

Restores the services of drills that died before their restore finished: the harness was
killed with SIGKILL, ran out of memory, or the machine went down. (Ctrl-C and SIGTERM are not
such a death: the drill restores the service itself before it exits.)

Every drill leaves a restore ticket, <report dir>/<run id>/${TICKET_FILE}, before it touches
anything, and keeps it current: the service, its baseline task definition, what the drill
registered, whether it holds the drill lock. recover reads every ticket whose restore did not
finish and, for each:
  1. puts the service back on its baseline task definition (UpdateService) and waits until it
     is steady there, up to the environment's timeouts.restoreSeconds;
  2. deregisters every task definition the drill registered, including one whose registration
     was in flight when the drill died (found among the family's newest ACTIVE revisions by its
     firedrill:run tag);
  3. releases the drill lock on the service, if this run still holds it;
  4. marks the ticket restored, so the next recover leaves the run alone.
Each step looks before it acts, so running recover twice, or after a recover that failed
halfway, is harmless.

A run whose drill is still alive on this machine is left alone (its own restore is still to
come). A ticket written on another machine is left alone too, since firedrill cannot tell
whether that drill is still running there: pass --force once you know it is dead.

Options:
  --report-dir DIR  Where the drills wrote their runs (default: reports)
  --env NAME|FILE   Only runs in this environment; its endpoint, region and restore timeout
                    are used instead of those the ticket recorded
  --force           Also recover runs whose drill looks alive, or ran on another machine
  -h, --help        Show this help

Exit codes: 0 every run is restored (or none needed it); 4 a run could not be restored (the
message says the state it was left in, and the ticket keeps it for the next recover); 2 bad
arguments or no such report dir.

Examples:
  firedrill recover
  firedrill recover --report-dir out --env environments/staging.yaml
`;

const shown = (path: string) => relative(process.cwd(), path) || '.';

type Plan =
  | { kind: 'recover'; path: string; ticket: RestoreTicket }
  | { kind: 'blocked'; path: string; ticket?: RestoreTicket; why: string }
  | { kind: 'alive'; path: string; ticket: RestoreTicket; why: string };

const describeTicket = (t: RestoreTicket): string =>
  `run ${t.runId}: service ${t.serviceName} in ${t.environment.cluster} (environment ${t.environment.name}, ${t.environment.kind}), last phase ${t.phase}, ticket updated ${t.updatedAt}`;

/** `out` receives everything recover prints: stdout for the command, a buffer for a test. */
export const recoverCommand = async (args: string[], out: (text: string) => void = (text) => void process.stdout.write(text)): Promise<number> => {
  const { values, positionals } = parse(
    args,
    { 'report-dir': { type: 'string' }, env: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    RECOVER_USAGE,
  );
  if (values.help) {
    out(RECOVER_USAGE);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UserError(`recover takes no arguments (got ${positionals.join(' ')}); name the report dir with --report-dir.\n\n${RECOVER_USAGE}`);
  const reportDir = resolve(values['report-dir'] ?? 'reports');
  if (!existsSync(reportDir) || !statSync(reportDir).isDirectory()) {
    // No reports/ at all: no drill ever ran here, so none can need recovering. A folder the user
    // named that is not there is more likely a typo, and recovering nothing would hide it.
    if (values['report-dir'] === undefined) {
      out(`firedrill recover: nothing to recover: ${reportDir} does not exist (no drill has written a run here; pass --report-dir if they wrote elsewhere)\n`);
      return ExitCode.ok;
    }
    throw new UserError(`no report directory ${reportDir}: pass --report-dir with the folder the drills wrote their runs to`);
  }
  const environment: LoadedEnvironment | undefined = values.env !== undefined ? loadEnvironment(values.env) : undefined;
  const force = values.force ?? false;

  // Newest first: a drill that ran inside a validation restores to the candidate, and the
  // validation's own (older) ticket must come after it to end on the release it started from.
  const createdAt = (t: (typeof tickets)[number]) => (t.read.ok ? Date.parse(t.read.ticket.createdAt) : 0);
  const tickets = ticketsIn(reportDir).sort((a, b) => createdAt(b) - createdAt(a));
  const plans: Plan[] = [];
  let finished = 0;
  let otherEnvironments = 0;
  for (const { path, read } of tickets) {
    if (!read.ok) {
      plans.push({ kind: 'blocked', path, why: `${read.problem}: what that drill touched is unknown; check its service by hand` });
      continue;
    }
    const { ticket } = read;
    if (!needsRecovery(ticket)) {
      finished += 1;
      continue;
    }
    if (environment && ticket.environment.name !== environment.environment.name) {
      otherEnvironments += 1;
      continue;
    }
    const owner = ownerState(ticket.owner);
    if (owner === 'alive' && !force) {
      plans.push({ kind: 'alive', path, ticket, why: `its drill is still running (pid ${ticket.owner.pid}); it restores the service itself. Left alone` });
    } else if (owner === 'unknown' && !force) {
      plans.push({
        kind: 'blocked',
        path,
        ticket,
        why: `it ran on host ${ticket.owner.host}, and firedrill cannot tell from here whether that drill is still running. Not touched: once you know it is dead, run recover again with --force`,
      });
    } else {
      plans.push({ kind: 'recover', path, ticket });
    }
  }

  const scope = `${shown(reportDir)}${environment ? ` (environment ${environment.environment.name})` : ''}`;
  const others = otherEnvironments > 0 ? `; ${otherEnvironments} unfinished in other environments, not selected` : '';
  if (plans.length === 0) {
    const why = tickets.length === 0 ? 'no run there left a restore ticket' : `${finished} run${finished === 1 ? '' : 's'} finished their restore${others}`;
    out(`firedrill recover: nothing to recover in ${scope}: ${why}\n`);
    return ExitCode.ok;
  }
  out(`firedrill recover: ${plans.length} run${plans.length === 1 ? '' : 's'} in ${scope} did not finish their restore (${finished} did${others})\n`);

  let failed = 0;
  for (const plan of plans) {
    out(`\n${plan.ticket ? describeTicket(plan.ticket) : shown(plan.path)}\n`);
    if (plan.kind === 'alive') {
      out(`  skipped: ${plan.why}\n`);
      continue;
    }
    if (plan.kind === 'blocked') {
      failed += 1;
      out(`  NOT RECOVERED: ${plan.why}\n`);
      continue;
    }
    const { ticket, path } = plan;
    const endpoint = environment ? environment.environment.endpoint : ticket.environment.endpoint;
    const region = environment?.environment.region ?? ticket.environment.region;
    const driver = new Driver({ endpoint, region });
    let result;
    try {
      result = await restoreService(ticket, {
        driver,
        deadline: driver.now() + (environment ? environment.environment.timeouts.restoreSeconds * 1000 : ticket.restoreTimeoutMs),
        pollIntervalMs: environment?.environment.poll.intervalMs ?? ticket.pollIntervalMs,
        log: (line) => out(`  ${line}\n`),
        onRetry: (operation, error) => out(`  ${operation} failed after the SDK's retries (${error instanceof Error ? error.name : 'error'}); trying again\n`),
      });
    } finally {
      driver.destroy();
    }
    const at = new Date().toISOString();
    const recovery = { at, ok: result.ok, actions: result.actions, state: result.state, durationMs: result.durationMs };
    const updated: RestoreTicket = result.ok
      ? { ...ticket, updatedAt: at, restored: true, lockHeld: false, restoredAt: ticket.restored ? ticket.restoredAt : at, restoredBy: ticket.restored ? ticket.restoredBy : 'recover', recovery }
      : { ...ticket, updatedAt: at, recovery };
    try {
      writeTicket(path, updated);
    } catch (error) {
      // The service is what matters; a ticket left unfinished only means the next recover looks again.
      out(`  warning: could not update ${shown(path)} (${error instanceof Error ? error.message : String(error)}); the next recover will check this run again\n`);
    }
    if (result.ok) {
      out(`  restored in ${seconds(result.durationMs)}: ${result.actions.length === 0 ? `nothing needed doing; ${result.state}` : result.state}\n`);
    } else {
      failed += 1;
      out(`  RESTORE FAILED after ${seconds(result.durationMs)}: ${result.state}\n`);
    }
  }
  out(
    failed === 0
      ? `\nfiredrill recover: every run is restored\n`
      : `\nfiredrill recover: ${failed} run${failed === 1 ? '' : 's'} NOT restored (see above); their tickets stay for the next recover\n`,
  );
  return failed === 0 ? ExitCode.ok : ExitCode.restoreFailed;
};
