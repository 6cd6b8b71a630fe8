// The driver: the one place the harness talks to AWS. Every ECS, STS and ELBv2 call of the drill,
// validate, recover and plan goes through a method here, so the things every call needs are
// written once: the clients' settings (client.ts), the API counter (api-stats.ts), and for the
// calls that must land (every change, and the reads a restore depends on) retries past the SDK's
// own until the caller's deadline (transient.ts).
//
// A call that changes something takes a `Persist` (its deadline is required, so no caller can
// forget it); a read takes one when its caller cannot go on without the answer. New APIs (the
// service-deployments API, CloudWatch) are more methods on this class, built the same way.

import {
  DeregisterTaskDefinitionCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type ServiceDeployment,
  type Tag,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { countApiCalls, type ApiCounter } from './api-stats.ts';
import { ecsClient, elbClient, stsClient, type EcsTarget } from './client.ts';
import { ecsAnswers, readEnvironmentSnapshot, type ClusterSnapshot } from './snapshot.ts';
import { persist } from './transient.ts';

/** Keep trying through throttling, 5xx and dropped connections until `deadline` (epoch ms by the driver's clock). */
export interface Persist {
  deadline: number;
  /** Ends the call (and its retries) early; omit it for a call that must not be cut short. */
  signal?: AbortSignal;
  /** Told about each transient failure past the SDK's retries that is about to be tried again. */
  onRetry?: (operation: string, error: unknown, attempt: number) => void;
}

/** A read: once (with the SDK's retries), or persistently with a deadline. */
export type ReadOptions = Partial<Persist>;

/** The endpoint does not have the operation at all (an emulator's gap), as opposed to refusing this call. */
const lacksOperation = (error: unknown): boolean => {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e) return false;
  if (['UnknownOperationException', 'NotImplementedException', 'NotImplemented', 'InvalidAction'].includes(e.name ?? '')) return true;
  return e.$metadata?.httpStatusCode === 501 || /not (yet )?implemented/i.test(e.message ?? '');
};

export class ServiceNotFoundError extends Error {
  constructor(cluster: string, service: string, reason: string | undefined) {
    super(`service ${service} not found in cluster ${cluster} (${reason ?? 'no reason given'})`);
    this.name = 'ServiceNotFoundError';
  }
}

export interface DriverOptions extends EcsTarget {
  /** The clock deadlines are read against. */
  now?: () => number;
  /** A client made already (tests and the sandbox's set-up share theirs); by default the driver makes its own. */
  client?: ECSClient;
}

/** A target group's settings that decide how long a deployment takes. */
export interface TargetGroupSettings {
  arn: string;
  name: string;
  intervalSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  deregistrationDelaySeconds: number;
}

/** DescribeTasks takes at most 100 tasks a call. */
const DESCRIBE_TASKS_BATCH = 100;

export class Driver {
  /** Every ECS call, attempt and error code this driver has seen (the journal's `api`). */
  readonly api: ApiCounter;
  readonly now: () => number;
  private readonly ecs: ECSClient;
  private sts?: STSClient;
  private elb?: ElasticLoadBalancingV2Client;
  private readonly ownsClient: boolean;

  constructor(readonly target: DriverOptions) {
    this.now = target.now ?? Date.now;
    this.ownsClient = target.client === undefined;
    this.ecs = target.client ?? ecsClient(target);
    this.api = countApiCalls(this.ecs);
  }

  destroy(): void {
    if (this.ownsClient) this.ecs.destroy();
    this.sts?.destroy();
    this.elb?.destroy();
  }

  private call<T>(operation: string, body: (signal: AbortSignal | undefined) => Promise<T>, options: ReadOptions | undefined): Promise<T> {
    if (options?.deadline === undefined) return body(options?.signal);
    return persist(() => body(options.signal), {
      deadline: options.deadline,
      now: this.now,
      signal: options.signal,
      onRetry: options.onRetry && ((error, attempt) => options.onRetry!(operation, error, attempt)),
    });
  }

  // ---- services

  async describeService(cluster: string, service: string, options?: ReadOptions): Promise<Service> {
    const out = await this.call('DescribeServices', (abortSignal) => this.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }), { abortSignal }), options);
    const found = out.services?.[0];
    if (!found) throw new ServiceNotFoundError(cluster, service, out.failures?.[0]?.reason);
    return found;
  }

  async updateService(input: { cluster: string; service: string; taskDefinition: string }, options: Persist): Promise<Service | undefined> {
    const out = await this.call('UpdateService', (abortSignal) => this.ecs.send(new UpdateServiceCommand(input), { abortSignal }), options);
    return out.service;
  }

  /**
   * The service's service deployments created since `since`, newest first, described; undefined
   * where the endpoint lacks the service-deployments API (LocalStack does), so callers fall back
   * to DescribeServices' deployments[].
   */
  async serviceDeployments(cluster: string, service: string, since: Date, options?: ReadOptions): Promise<ServiceDeployment[] | undefined> {
    let arns: string[];
    try {
      const out = await this.call(
        'ListServiceDeployments',
        (abortSignal) => this.ecs.send(new ListServiceDeploymentsCommand({ cluster, service, createdAt: { after: since } }), { abortSignal }),
        options,
      );
      arns = (out.serviceDeployments ?? []).map((d) => d.serviceDeploymentArn ?? '').filter((arn) => arn !== '');
    } catch (error) {
      if (lacksOperation(error)) return undefined;
      throw error;
    }
    if (arns.length === 0) return [];
    // DescribeServiceDeployments takes 20 at a time; a drill's window holds a handful.
    const out = await this.call(
      'DescribeServiceDeployments',
      (abortSignal) => this.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns.slice(0, 20) }), { abortSignal }),
      options,
    );
    return out.serviceDeployments ?? [];
  }

  /**
   * ECS's own "roll back now": StopServiceDeployment ROLLBACK on the service's deployment in
   * progress. Returns its ARN, or undefined when no deployment is in progress (nothing to stop).
   */
  async rollBackServiceDeployment(cluster: string, service: string, options: Persist): Promise<string | undefined> {
    const out = await this.call(
      'ListServiceDeployments',
      (abortSignal) => this.ecs.send(new ListServiceDeploymentsCommand({ cluster, service, status: ['PENDING', 'IN_PROGRESS'] }), { abortSignal }),
      options,
    );
    const arn = out.serviceDeployments?.[0]?.serviceDeploymentArn;
    if (!arn) return undefined;
    await this.call('StopServiceDeployment', (abortSignal) => this.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }), { abortSignal }), options);
    return arn;
  }

  /** The service's tasks that ECS lists as STOPPED and that have finished stopping, skipping those in `seen`. */
  async stoppedTasks(cluster: string, service: string, seen: ReadonlySet<string>, options?: ReadOptions): Promise<Task[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListTasks', (abortSignal) => this.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED', nextToken }), { abortSignal }), options);
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const candidates = arns.filter((arn) => !seen.has(arn));
    const found: Task[] = [];
    for (let i = 0; i < candidates.length; i += DESCRIBE_TASKS_BATCH) {
      const batch = candidates.slice(i, i + DESCRIBE_TASKS_BATCH);
      const out = await this.call('DescribeTasks', (abortSignal) => this.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }), { abortSignal }), options);
      // A task still STOPPING is looked at again next time.
      found.push(...(out.tasks ?? []).filter((t) => t.lastStatus === 'STOPPED'));
    }
    return found;
  }

  /** The service's RUNNING tasks, described: their timestamps say how long provisioning takes. */
  async runningTasks(cluster: string, service: string, options?: ReadOptions): Promise<Task[]> {
    const page = await this.call('ListTasks', (abortSignal) => this.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }), { abortSignal }), options);
    const arns = (page.taskArns ?? []).slice(0, DESCRIBE_TASKS_BATCH);
    if (arns.length === 0) return [];
    const out = await this.call('DescribeTasks', (abortSignal) => this.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }), { abortSignal }), options);
    return (out.tasks ?? []).filter((t) => t.lastStatus === 'RUNNING');
  }

  // ---- task definitions

  async describeTaskDefinition(taskDefinition: string, options?: ReadOptions & { tags?: boolean }): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] }> {
    const out = await this.call(
      'DescribeTaskDefinition',
      (abortSignal) => this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: options?.tags ? ['TAGS'] : undefined }), { abortSignal }),
      options,
    );
    if (!out.taskDefinition) throw new Error(`DescribeTaskDefinition ${taskDefinition} returned no task definition`);
    return { taskDefinition: out.taskDefinition, tags: out.tags ?? [] };
  }

  /** The family's ACTIVE revisions, newest first, at most `maxResults`. */
  async activeRevisions(family: string, maxResults: number, options?: ReadOptions): Promise<string[]> {
    const out = await this.call(
      'ListTaskDefinitions',
      (abortSignal) => this.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults }), { abortSignal }),
      options,
    );
    return out.taskDefinitionArns ?? [];
  }

  async registerTaskDefinition(input: RegisterTaskDefinitionCommandInput, options: Persist): Promise<string> {
    const out = await this.call('RegisterTaskDefinition', (abortSignal) => this.ecs.send(new RegisterTaskDefinitionCommand(input), { abortSignal }), options);
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Error('RegisterTaskDefinition returned no task definition ARN');
    return arn;
  }

  async deregisterTaskDefinition(taskDefinition: string, options: Persist): Promise<void> {
    await this.call('DeregisterTaskDefinition', (abortSignal) => this.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition }), { abortSignal }), options);
  }

  // ---- tags (the drill lock)

  async listTags(resourceArn: string, options?: ReadOptions): Promise<Tag[]> {
    const out = await this.call('ListTagsForResource', (abortSignal) => this.ecs.send(new ListTagsForResourceCommand({ resourceArn }), { abortSignal }), options);
    return out.tags ?? [];
  }

  async tagResource(resourceArn: string, tags: Tag[], options: Persist): Promise<void> {
    await this.call('TagResource', (abortSignal) => this.ecs.send(new TagResourceCommand({ resourceArn, tags }), { abortSignal }), options);
  }

  async untagResource(resourceArn: string, tagKeys: string[], options: Persist): Promise<void> {
    await this.call('UntagResource', (abortSignal) => this.ecs.send(new UntagResourceCommand({ resourceArn, tagKeys }), { abortSignal }), options);
  }

  // ---- the environment

  /** Whether an ECS endpoint answers at all, within `timeoutMs`: is a sandbox already running there? */
  answers(timeoutMs: number): Promise<boolean> {
    return ecsAnswers(this.ecs, timeoutMs);
  }

  /** Every cluster with its services and tasks, read-only: what `firedrill sandbox status` shows. */
  snapshot(): Promise<ClusterSnapshot[]> {
    return readEnvironmentSnapshot(this.ecs);
  }

  /** The target groups' health checks and deregistration delays (ELBv2 DescribeTargetGroups and their attributes). */
  async targetGroups(arns: string[], options?: ReadOptions): Promise<TargetGroupSettings[]> {
    if (arns.length === 0) return [];
    this.elb ??= elbClient(this.target);
    const elb = this.elb;
    const out = await this.call('DescribeTargetGroups', (abortSignal) => elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns }), { abortSignal }), options);
    const settings: TargetGroupSettings[] = [];
    for (const tg of out.TargetGroups ?? []) {
      const attributes = await this.call('DescribeTargetGroupAttributes', (abortSignal) => elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }), { abortSignal }), options);
      const delay = attributes.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
      settings.push({
        arn: tg.TargetGroupArn ?? '',
        name: tg.TargetGroupName ?? '',
        // ELB's own defaults where a field is missing.
        intervalSeconds: tg.HealthCheckIntervalSeconds ?? 30,
        healthyThreshold: tg.HealthyThresholdCount ?? 5,
        unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
        deregistrationDelaySeconds: delay === undefined ? 300 : Number(delay),
      });
    }
    return settings;
  }

  /**
   * The sandbox's timing profile (GET /_firedrill/timing), which says how many wall seconds an
   * ECS second takes there; undefined for an endpoint that is not a firedrill sandbox.
   */
  async sandboxTiming(options: { timeoutMs?: number } = {}): Promise<{ scale: number; provisionSeconds: number } | undefined> {
    if (!this.target.endpoint) return undefined;
    try {
      const res = await fetch(new URL('/_firedrill/timing', this.target.endpoint), { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { scale?: unknown; provisionSeconds?: unknown };
      return typeof body.scale === 'number' && typeof body.provisionSeconds === 'number' ? { scale: body.scale, provisionSeconds: body.provisionSeconds } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The AWS account the credentials belong to (STS GetCallerIdentity). STS is asked at the
   * environment's endpoint when there is one: the sandbox and LocalStack answer with their own.
   */
  async callerAccount(options?: ReadOptions): Promise<string | undefined> {
    this.sts ??= stsClient(this.target);
    const sts = this.sts;
    const out = await this.call('GetCallerIdentity', (abortSignal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal }), options);
    return out.Account;
  }
}
