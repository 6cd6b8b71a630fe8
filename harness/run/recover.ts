// Recovery of a drill that died before its restore finished: from its restore ticket, the same
// restore the drill would have run (baseline task definition, steady, registered revisions
// deregistered) and the drill lock released. Every step checks the current state first, so
// running it again, or after a partial run, is harmless.

import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  UpdateServiceCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { describeService, summarizeService, waitForService, DeploymentFailedError, isSteady } from '../ecs/waits.ts';
import { drillTags } from '../releases/mutators.ts';
import { releaseLock } from '../safety/lock.ts';
import type { RestoreTicket } from './restore-ticket.ts';

/** The tag RegisterTaskDefinition puts on every bad release (drillTags): the run that registered it. */
export const RUN_TAG = drillTags('')[0]!.key;

/**
 * How many of the family's newest ACTIVE revisions recover looks at for the run's tag. The drill
 * registers one revision, and it was the family's newest when the drill died; a bound keeps a
 * family with thousands of revisions from costing thousands of calls.
 */
export const TAG_SCAN_LIMIT = 20;

export interface RecoverOptions {
  ecs: ECSClient;
  /** Restore's deadline for the service to be steady on its baseline. */
  timeoutMs: number;
  pollIntervalMs: number;
  /** One line per step, as it happens. */
  log?: (line: string) => void;
  now?: () => number;
}

export interface RecoverResult {
  ok: boolean;
  /** What was done (ECS calls, in words); empty when nothing needed doing. */
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
export const taggedRevisions = async (ecs: ECSClient, family: string, runId: string, filter: { skip?: string[]; newerThan?: string } = {}): Promise<string[]> => {
  const listed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults: TAG_SCAN_LIMIT }));
  const floor = filter.newerThan ? revisionOf(filter.newerThan) : 0;
  // familyPrefix is a prefix: "web" also lists "web-canary".
  const candidates = (listed.taskDefinitionArns ?? []).filter((arn) => familyOf(arn) === family && revisionOf(arn) > floor && !filter.skip?.includes(arn));
  const found: string[] = [];
  for (const arn of candidates) {
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    if (described.tags?.some((t) => t.key === RUN_TAG && t.value === runId)) found.push(arn);
  }
  return found;
};

const secondsSince = (from: number, now: number) => `${((now - from) / 1000).toFixed(1)} s`;

export const recoverRun = async (ticket: RestoreTicket, options: RecoverOptions): Promise<RecoverResult> => {
  const { ecs } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const started = now();
  const actions: string[] = [];
  const done = (action: string) => {
    actions.push(action);
    log(action);
  };
  const { cluster } = ticket.environment;
  const service = ticket.serviceName;
  const baseline = ticket.baselineTaskDefinitionArn;
  // Revisions to deregister, and those known to be deregistered (by us, or before we looked).
  let candidates: string[] = [...ticket.registered];
  const inactive = new Set<string>();
  try {
    if (ticket.touched && !ticket.restored) {
      if (!baseline) throw new Error('the ticket says the service was touched but names no baseline task definition');
      const current = await describeService(ecs, cluster, service);
      if (current.taskDefinition !== baseline) {
        await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: baseline }));
        done(`UpdateService ${service} taskDefinition=${baseline} (it was on ${current.taskDefinition})`);
      }
      const waitStarted = now();
      log(`waiting for ${service} to be steady on ${baseline} (up to ${Math.round(options.timeoutMs / 1000)} s)`);
      // Steady on the baseline itself: a circuit-breaker rollback racing ours must end there too.
      await waitForService(
        ecs,
        cluster,
        service,
        `${service} to be steady on ${baseline}`,
        (s) => {
          const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
          if (primary?.rolloutState === 'FAILED' && primary.taskDefinition === baseline) throw new DeploymentFailedError(s);
          return isSteady(s) && s.taskDefinition === baseline && primary?.taskDefinition === baseline;
        },
        { timeoutMs: options.timeoutMs, intervalMs: options.pollIntervalMs },
      );
      done(`${service} is steady on ${baseline} (waited ${secondsSince(waitStarted, now())})`);

      // What the drill wrote down, and what carries its tag: the latter covers a kill while
      // RegisterTaskDefinition was in flight, when the ARN was never learnt.
      const tagged = ticket.family ? await taggedRevisions(ecs, ticket.family, ticket.runId) : [];
      candidates = [...new Set([...ticket.registered, ...tagged])].filter((arn) => arn !== baseline);
      for (const arn of candidates) {
        const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
        if (described.taskDefinition?.status !== 'ACTIVE') {
          inactive.add(arn);
          continue;
        }
        await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
        inactive.add(arn);
        done(`DeregisterTaskDefinition ${arn}${ticket.registered.includes(arn) ? '' : ` (found by its ${RUN_TAG} tag)`}`);
      }
    }
    // Always, whatever the ticket says about the lock: releaseLock only removes a lock this run
    // holds, and a kill between taking the lock and writing the ticket leaves lockHeld false.
    const serviceArn = ticket.serviceArn ?? (await describeService(ecs, cluster, service)).serviceArn;
    if (!serviceArn) throw new Error(`ECS reported no ARN for service ${service}`);
    if (await releaseLock(ecs, serviceArn, ticket.runId)) done(`released the drill lock on ${serviceArn}`);
    const state = ticket.restored ? 'the drill had restored the service itself' : ticket.touched ? `steady on the baseline ${baseline}` : 'nothing was touched';
    return { ok: true, actions, state, durationMs: now() - started };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const service_ = await describeService(ecs, cluster, service)
      .then((s) => `${summarizeService(s)}, task definition ${s.taskDefinition}, deployments ${(s.deployments ?? []).map((d) => `${d.id} ${d.status} ${d.rolloutState} ${d.taskDefinition}`).join('; ')}`)
      .catch((e: Error) => `service unknown (DescribeServices failed: ${e.message})`);
    const leftover = candidates.filter((arn) => !inactive.has(arn));
    return {
      ok: false,
      actions,
      state: `${reason}. Left: ${service_}${leftover.length ? `; possibly still registered: ${leftover.join(', ')}` : ''}`,
      durationMs: now() - started,
    };
  }
};
