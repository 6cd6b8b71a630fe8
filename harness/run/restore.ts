// The one restore: a reconciler that takes a restore ticket (the desired state: this service on
// this baseline, nothing this run registered left ACTIVE, this run's lock gone) and puts the
// service back. The drill's restore phase, validate's and `firedrill recover` all run it. Every
// step looks before it acts and every call rides out throttling and 5xx until the deadline, so
// running it again, or after a run that died halfway, is harmless.

import { seconds } from '../../lib/format.ts';
import type { Driver, Persist } from '../ecs/driver.ts';
import { describeServiceState, waitForSteadyState } from '../ecs/waits.ts';
import { drillTags } from '../releases/mutators.ts';
import { releaseLock } from '../safety/lock.ts';
import type { RestoreTicket } from './restore-ticket.ts';

/** The tag RegisterTaskDefinition puts on every revision a run registers (drillTags): the run that registered it. */
export const RUN_TAG = drillTags('')[0]!.key;

/**
 * How many of the family's newest ACTIVE revisions restore looks at for the run's tag. A run
 * registers one or two revisions, the family's newest when it registered them; a bound keeps a
 * family with thousands of revisions from costing thousands of calls.
 */
export const TAG_SCAN_LIMIT = 20;

/** What the restore changed, one step at a time; `stepText` says it in words. */
export type RestoreStep =
  | { kind: 'update-service'; service: string; taskDefinition: string; from?: string }
  | { kind: 'steady'; service: string; taskDefinition: string; waitedMs: number }
  | { kind: 'deregister'; taskDefinitionArn: string; foundByTag: boolean }
  | { kind: 'lock-released'; serviceArn: string };

export const stepText = (step: RestoreStep): string => {
  switch (step.kind) {
    case 'update-service':
      return `UpdateService ${step.service} taskDefinition=${step.taskDefinition} (it was on ${step.from})`;
    case 'steady':
      return `${step.service} is steady on ${step.taskDefinition} (waited ${seconds(step.waitedMs)})`;
    case 'deregister':
      return `DeregisterTaskDefinition ${step.taskDefinitionArn}${step.foundByTag ? ` (found by its ${RUN_TAG} tag)` : ''}`;
    case 'lock-released':
      return `released the drill lock on ${step.serviceArn}`;
  }
};

export interface RestoreOptions {
  driver: Driver;
  /** Epoch ms (the driver's clock) by which the service must be steady on its baseline. */
  deadline: number;
  pollIntervalMs: number;
  /** Each step as it is done, and what is being waited for. */
  log?: (line: string) => void;
  onStep?: (step: RestoreStep) => void;
  /** A call failed past the SDK's retries and is tried again. */
  onRetry?: Persist['onRetry'];
}

export interface RestoreResult {
  ok: boolean;
  /** What was done, in words (stepText); empty when nothing needed doing. */
  actions: string[];
  /** Where things stand now: the service and anything still registered, or why it is unknown. */
  state: string;
  durationMs: number;
}

const familyOf = (arn: string): string | undefined => /:task-definition\/([^:]+):\d+$/.exec(arn)?.[1];
const revisionOf = (arn: string): number => Number(/:(\d+)$/.exec(arn)?.[1] ?? 0);

/**
 * ACTIVE revisions of `family` tagged with this run, newest first, among the newest TAG_SCAN_LIMIT.
 * `skip` are revisions not worth describing (known already), `newerThan` a revision the run's own
 * must be newer than (its baseline): in the common case nothing is left to describe.
 */
export const taggedRevisions = async (driver: Driver, family: string, runId: string, filter: { skip?: string[]; newerThan?: string }, call: Persist): Promise<string[]> => {
  const floor = filter.newerThan ? revisionOf(filter.newerThan) : 0;
  // familyPrefix is a prefix: "web" also lists "web-canary".
  const candidates = (await driver.activeRevisions(family, TAG_SCAN_LIMIT, call)).filter((arn) => familyOf(arn) === family && revisionOf(arn) > floor && !filter.skip?.includes(arn));
  const found: string[] = [];
  for (const arn of candidates) {
    const { tags } = await driver.describeTaskDefinition(arn, { ...call, tags: true });
    if (tags.some((t) => t.key === RUN_TAG && t.value === runId)) found.push(arn);
  }
  return found;
};

type Desired = Pick<RestoreTicket, 'runId' | 'environment' | 'serviceName' | 'serviceArn' | 'touched' | 'restored' | 'baselineTaskDefinitionArn' | 'family' | 'registered' | 'lockHeld'>;

/** Puts the service where `ticket` says it belongs. Never throws: the result says what was done and what was left. */
export const restoreService = async (ticket: Desired, options: RestoreOptions): Promise<RestoreResult> => {
  const { driver } = options;
  const log = options.log ?? (() => undefined);
  const started = driver.now();
  const actions: string[] = [];
  const done = (step: RestoreStep) => {
    const text = stepText(step);
    if (step.kind !== 'steady') actions.push(text);
    log(text);
    options.onStep?.(step);
  };
  const call: Persist = { deadline: options.deadline, onRetry: options.onRetry };
  const { cluster } = ticket.environment;
  const service = ticket.serviceName;
  const baseline = ticket.baselineTaskDefinitionArn;
  // Revisions to deregister, and those known to be deregistered (by us, or before we looked).
  let candidates: string[] = [...ticket.registered];
  const inactive = new Set<string>();
  try {
    if (ticket.touched && !ticket.restored) {
      if (!baseline) throw new Error('the ticket says the service was touched but names no baseline task definition');
      const current = await driver.describeService(cluster, service, call);
      if (current.taskDefinition !== baseline) {
        await driver.updateService({ cluster, service, taskDefinition: baseline }, call);
        done({ kind: 'update-service', service, taskDefinition: baseline, from: current.taskDefinition });
      }
      const waitStarted = driver.now();
      log(`waiting for ${service} to be steady on ${baseline} (up to ${Math.round(Math.max(0, options.deadline - waitStarted) / 1000)} s)`);
      await waitForSteadyState(driver, cluster, service, { ...call, taskDefinition: baseline, intervalMs: options.pollIntervalMs });
      done({ kind: 'steady', service, taskDefinition: baseline, waitedMs: driver.now() - waitStarted });

      // What the run wrote down, and what carries its tag: the latter covers a registration whose
      // reply was lost (ECS applied it, then answered 500, and the SDK tried again) and a kill
      // while RegisterTaskDefinition was in flight, when the ARN was never learnt.
      const tagged = ticket.family ? await taggedRevisions(driver, ticket.family, ticket.runId, { skip: ticket.registered, newerThan: baseline }, call) : [];
      candidates = [...new Set([...ticket.registered, ...tagged])].filter((arn) => arn !== baseline);
      for (const arn of candidates) {
        const { taskDefinition } = await driver.describeTaskDefinition(arn, call);
        if (taskDefinition.status === 'ACTIVE') {
          await driver.deregisterTaskDefinition(arn, call);
          done({ kind: 'deregister', taskDefinitionArn: arn, foundByTag: !ticket.registered.includes(arn) });
        }
        inactive.add(arn);
      }
    }
    // lockHeld is noted before the lock is taken, so it means "may hold": releaseLock removes
    // only a lock this run holds. Kept when anything above failed: no drill may start on a
    // service left in an unknown state.
    if (ticket.lockHeld) {
      const serviceArn = ticket.serviceArn ?? (await driver.describeService(cluster, service, call)).serviceArn;
      if (!serviceArn) throw new Error(`ECS reported no ARN for service ${service}`);
      if (await releaseLock(driver, serviceArn, ticket.runId, call)) done({ kind: 'lock-released', serviceArn });
    }
    const state = ticket.restored ? 'the drill had restored the service itself' : ticket.touched ? `steady on the baseline ${baseline}` : 'nothing was touched';
    return { ok: true, actions, state, durationMs: driver.now() - started };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const left = await driver.describeService(cluster, service).then(describeServiceState, (e: Error) => `service unknown (DescribeServices failed: ${e.message})`);
    const leftover = candidates.filter((arn) => !inactive.has(arn));
    return {
      ok: false,
      actions,
      state: `${reason}. Left: ${left}${leftover.length ? `; possibly still registered: ${leftover.join(', ')}` : ''}`,
      durationMs: driver.now() - started,
    };
  }
};
