// The one preflight: what must hold before a drill or a validation touches a service, in the
// order it is checked. `plan` reads the same assessment and prints it; the drill and validate act
// on it.
//   1. assess: the service (ECS must answer for the cluster and service the environment names),
//      the account (STS), the pure refusals (production, account, target, recovery budget, blast
//      radius), the service ACTIVE, and its baseline task definition. Only reads.
//   2. takeLock: the service's drill lock (lock.ts). The caller notes it in its restore ticket first.
//   3. awaitSteady: the service steady on its baseline; not steady in time, and nothing is touched.

import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, Service } from '@aws-sdk/client-ecs';
import { hostname, userInfo } from 'node:os';
import type { Environment } from '../config/environment.ts';
import type { Scenario } from '../config/scenario.ts';
import type { Driver, Persist } from '../ecs/driver.ts';
import { describeServiceState, waitForSteadyState, WaitTimeoutError } from '../ecs/waits.ts';
import { effectiveTag, parseImageRef } from '../releases/image-ref.ts';
import { essentialContainer, toRegisterInput } from '../releases/task-definition.ts';
import type { BlastEstimate } from './blast-radius.ts';
import { acquireLock, lockHolder, type Acquired } from './lock.ts';
import { needsAccountCheck, refusals } from './refusals.ts';

export interface PreflightTarget {
  env: Environment;
  /** The ECS service name the environment maps the scenario's target to. */
  serviceName: string;
  /** The scenario that will be drilled: its tags, recovery budget and release kind are judged. */
  scenario: Scenario;
  allowProduction: boolean;
}

export interface Baseline {
  taskDefinitionArn: string;
  /** The baseline as RegisterTaskDefinition takes it: what a failing release or a candidate is made from. */
  taskDefinition: RegisterTaskDefinitionCommandInput;
  /** The essential container (or the first). */
  container?: ContainerDefinition;
  image: string;
  tag?: string;
}

export interface Assessment {
  service?: Service;
  /** Why the service could not be read, with the error itself. */
  serviceProblem?: { message: string; error: unknown };
  accountChecked: boolean;
  account?: string;
  /** Why the account could not be read: unknown, which plan reports and a drill refuses. */
  accountProblem?: string;
  refusals: string[];
  blastRadius?: BlastEstimate;
  baseline?: Baseline;
}

/** A guard refused, or the service could not be read: nothing was touched (exit 2). */
export class PreflightRefused extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PreflightRefused';
  }
}

/** The service was not steady on its baseline in time: nothing was touched (exit 3). */
export class NotSteadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotSteadyError';
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/** Everything preflight reads and judges; touches nothing and throws nothing for what it finds. */
export const assess = async (driver: Driver, target: PreflightTarget, call: Partial<Persist> = {}): Promise<Assessment> => {
  const { env, serviceName, scenario } = target;
  const accountChecked = needsAccountCheck(env);
  let account: string | undefined;
  let accountProblem: string | undefined;
  if (accountChecked) {
    account = await driver.callerAccount(call).catch((error: unknown) => {
      accountProblem = `cannot tell which AWS account this is (STS GetCallerIdentity: ${messageOf(error)})`;
      return undefined;
    });
  }
  let service: Service | undefined;
  let serviceProblem: Assessment['serviceProblem'];
  try {
    service = await driver.describeService(env.cluster, serviceName, call);
  } catch (error) {
    serviceProblem = { message: messageOf(error), error };
  }
  const judged = refusals({ env, scenario, serviceName, allowProduction: target.allowProduction, account, accountChecked: accountChecked && !accountProblem, service });
  const found: string[] = [...judged.refusals];
  if (service && service.status !== 'ACTIVE') found.push(`service ${serviceName} is ${service.status}, not ACTIVE`);
  if (service && !service.serviceArn) found.push(`ECS reported no ARN for service ${serviceName}`);
  let baseline: Baseline | undefined;
  if (service?.taskDefinition) {
    const described = await driver.describeTaskDefinition(service.taskDefinition, call).catch((error: unknown) => {
      found.push(`cannot describe the baseline task definition ${service.taskDefinition} (${messageOf(error)})`);
      return undefined;
    });
    if (described) {
      const container = essentialContainer(described.taskDefinition);
      const image = container?.image ?? '';
      baseline = { taskDefinitionArn: service.taskDefinition, taskDefinition: toRegisterInput(described.taskDefinition), container, image, tag: image ? effectiveTag(parseImageRef(image)) : undefined };
    }
  } else if (service) {
    found.push(`service ${serviceName} reports no task definition`);
  }
  return { service, serviceProblem, accountChecked, account, accountProblem, refusals: found, blastRadius: judged.blastRadius, baseline };
};

export interface Inspected {
  service: Service;
  serviceArn: string;
  account?: string;
  baseline: Baseline;
  blastRadius?: BlastEstimate;
}

/** The assessment, as a drill or a validation needs it: anything unknown or refused ends it here. */
export const inspect = async (driver: Driver, target: PreflightTarget, call: Partial<Persist> = {}): Promise<Inspected> => {
  const a = await assess(driver, target, call);
  if (a.serviceProblem) throw new PreflightRefused(`preflight: ${a.serviceProblem.message}`, { cause: a.serviceProblem.error });
  const reasons = [...(a.accountProblem ? [a.accountProblem] : []), ...a.refusals];
  const { service, baseline } = a;
  const serviceArn = service?.serviceArn;
  // assess refuses a service it found without an ARN or a baseline; the check narrows the types.
  if (reasons.length > 0 || !service || !serviceArn || !baseline) throw new PreflightRefused(`preflight refused, nothing was touched: ${reasons.join('; ')}`);
  return { service, serviceArn, account: a.account, baseline, blastRadius: a.blastRadius };
};

/** Takes the service's drill lock for `runId`; LockHeldError when another run holds it. */
export const takeLock = async (driver: Driver, lock: { serviceArn: string; runId: string; ttlMs: number }, call: Persist): Promise<Acquired & { holder: string }> => {
  const holder = lockHolder(userInfo().username, hostname());
  return { ...(await acquireLock(driver, { ...lock, holder }, call)), holder };
};

/** How long a lock holds without its drill: past the drill's deadlines and its restore's, a lock whose drill died is fair game. */
export const lockTtlMs = (env: Environment, extraMs = 0): number => (env.timeouts.drillSeconds + env.timeouts.restoreSeconds) * 1000 + extraMs;

/** Waits until the service is steady on its baseline, up to `call.deadline`; NotSteadyError if it is not by then. */
export const awaitSteady = async (driver: Driver, env: Environment, serviceName: string, baselineArn: string, call: Persist): Promise<Service> => {
  try {
    return await waitForSteadyState(driver, env.cluster, serviceName, { ...call, taskDefinition: baselineArn, intervalMs: env.poll.intervalMs });
  } catch (error) {
    if (call.signal?.aborted) throw error;
    const now = await driver.describeService(env.cluster, serviceName).then(describeServiceState, () => (error instanceof WaitTimeoutError ? error.lastSeen : messageOf(error)));
    throw new NotSteadyError(`the service is not steady on its baseline task definition ${baselineArn}, nothing was touched: ${now}`);
  }
};
