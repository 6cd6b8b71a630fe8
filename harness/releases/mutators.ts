// Failing releases: the baseline task definition with one deliberate defect, registered as a
// new revision of the same family so the service rolls to it like any release. Each mutation
// is minimal, so the drill tests the rollback path and not a pile of changes.

import type { ContainerDefinition, HealthCheck } from '@aws-sdk/client-ecs';
import type { ReleaseSpec } from '../config/scenario.ts';
import { diffTaskDefinitions, looksSecret, REDACTED } from './diff.ts';
import { effectiveTag, isValidTag, parseImageRef, withTag } from './image-ref.ts';
import type { TaskDefinitionInput } from './task-definition.ts';

/** A scenario asks for a mutation this baseline cannot take; the message says what to change. */
export class MutationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MutationError';
  }
}

export interface MutationContext {
  runId: string;
  /** The container to break; default the first essential one. */
  containerName?: string;
}

export interface MutatedRelease {
  taskDefinition: TaskDefinitionInput;
  /** One line a person reads, e.g. `image firedrill/demo-app:v1.0.0 -> firedrill/demo-app:firedrill-missing-r1`. */
  summary: string;
  /** The bad release's image (the target container's). */
  image: string;
  /** The tag Docker pulls for it; undefined for a digest-only image. */
  tag: string | undefined;
  /** Whether ECS sees the failure itself; when not, only a gate signal on the probes can. */
  ecsVisible: boolean;
}

/** Cleanup finds the task definitions a drill registered by these tags. */
export const drillTags = (runId: string) => [
  { key: 'firedrill:run', value: runId },
  { key: 'firedrill:role', value: 'bad-release' },
];

export const CRASH_ENTRY_POINT = ['sh', '-c', "echo 'firedrill: deliberate crash on start' >&2; exit 1"];

// For a baseline without a container health check. ECS's defaults (30 s, 5 s, 3 retries) take
// about 90 s to mark a task unhealthy; these sit near ECS's minimums (5 s, 2 s, 1 retry) with
// one retry to spare, so the failure shows in about 10 s and the drill times the rollback path
// rather than the health check. A baseline's own check keeps its timing: that is what ships.
export const DRILL_HEALTH_CHECK_TIMING: Readonly<Omit<HealthCheck, 'command'>> = { interval: 5, timeout: 2, retries: 2 };

const ECS_INVISIBLE = new Set<ReleaseSpec['kind']>(['http-errors', 'slow-responses']);

const targetContainer = (td: TaskDefinitionInput, name: string | undefined): ContainerDefinition => {
  const containers = td.containerDefinitions ?? [];
  // `essential` defaults to true in ECS.
  const found = name === undefined ? containers.find((c) => c.essential !== false) : containers.find((c) => c.name === name);
  if (found) return found;
  const names = containers.map((c) => c.name).join(', ') || 'none';
  throw new MutationError(
    name === undefined
      ? `task definition ${td.family} has no essential container to break (containers: ${names})`
      : `task definition ${td.family} has no container named ${name} (containers: ${names}); fix the container name`,
  );
};

const shown = (name: string, value: string | undefined) => (value !== undefined && looksSecret(name) ? REDACTED : value);

/** Sets variables in place, replacing any entries of the same name; describes the change. */
const setEnvironment = (c: ContainerDefinition, vars: Record<string, string>): string => {
  const changes: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    const env = c.environment ?? [];
    const index = env.findIndex((e) => e.name === name);
    const before = env[index]?.value;
    c.environment = index === -1 ? [...env, { name, value }] : env.flatMap((e, i) => (i === index ? [{ name, value }] : e.name === name ? [] : [e]));
    changes.push(index === -1 ? `${name}=${shown(name, value)}` : `${name} ${shown(name, before)} -> ${shown(name, value)}`);
  }
  return `environment ${changes.join(', ')}`;
};

const missingImageTag = (c: ContainerDefinition, tag: string): string => {
  if (!isValidTag(tag)) {
    throw new MutationError(`"${tag}" is not a valid image tag (letters, digits, _ . - and at most 128 characters), so the pull would fail for the wrong reason; choose another tag`);
  }
  const before = c.image ?? '';
  c.image = withTag(before, tag);
  return `image ${before} -> ${c.image}`;
};

const crashOnStart = (c: ContainerDefinition, environment: Record<string, string> | undefined): string => {
  if (environment) return setEnvironment(c, environment);
  c.entryPoint = [...CRASH_ENTRY_POINT];
  c.command = [];
  return 'entry point replaced by a shell that exits 1';
};

const failingHealthCheck = (c: ContainerDefinition, command: string[]): string => {
  const before = c.healthCheck?.command?.join(' ') ?? 'none';
  const check: HealthCheck = { ...(c.healthCheck ?? DRILL_HEALTH_CHECK_TIMING), command };
  c.healthCheck = check;
  const timing = [
    check.interval !== undefined && `interval ${check.interval} s`,
    check.timeout !== undefined && `timeout ${check.timeout} s`,
    check.retries !== undefined && `retries ${check.retries}`,
    check.startPeriod ? `start period ${check.startPeriod} s` : false,
  ].filter((part) => part !== false);
  return `health check ${before} -> ${command.join(' ')}${timing.length > 0 ? ` (${timing.join(', ')})` : ''}`;
};

const wrongContainerPort = (td: TaskDefinitionInput, c: ContainerDefinition, port: number, variable: string): string => {
  const mapped = (c.portMappings ?? []).map((m) => m.containerPort);
  if (mapped.length === 0) {
    throw new MutationError(`baseline container ${c.name} maps no port, so nothing routes to it; wrong-container-port needs the container behind the load balancer`);
  }
  // In awsvpc mode the containers share one network namespace, so any container's mapping counts.
  const owner = (td.containerDefinitions ?? []).find((d) => d.portMappings?.some((m) => m.containerPort === port));
  if (owner) {
    throw new MutationError(`port ${port} is mapped by container ${owner.name}, so traffic would still reach the app; wrong-container-port needs a port nothing routes to (the default is 9999)`);
  }
  return `${setEnvironment(c, { [variable]: String(port) })} (mapped: ${mapped.join(', ')})`;
};

const memoryTooLow = (c: ContainerDefinition, memory: number): string => {
  if (c.memory !== undefined && c.memory < memory) {
    throw new MutationError(`baseline container ${c.name} already has a hard memory limit of ${c.memory} MiB, below ${memory}; memory-too-low needs a limit lower than that`);
  }
  const changes = [`memory ${c.memory ?? 'unset'} -> ${memory} MiB`];
  c.memory = memory;
  // ECS rejects a soft limit above the hard one.
  if (c.memoryReservation !== undefined && c.memoryReservation > memory) {
    changes.push(`memoryReservation ${c.memoryReservation} -> ${memory} MiB`);
    c.memoryReservation = memory;
  }
  return changes.join(', ');
};

const missingEnv = (c: ContainerDefinition, name: string): string => {
  if (!c.environment?.some((e) => e.name === name)) {
    throw new MutationError(`baseline container ${c.name} has no environment variable ${name}; missing-env needs one the app requires`);
  }
  c.environment = c.environment.filter((e) => e.name !== name);
  return `environment ${name} removed`;
};

// A Secrets Manager ARN may end in `:json-key:version-stage:version-id`; the suffix goes on the
// secret's name so the reference stays well-formed and fails only because nothing is there.
const SECRETS_MANAGER_ARN = /^(arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:[^:]+)(:.*)?$/;

const missingSecret = (c: ContainerDefinition, name: string, runId: string): string => {
  const secret = c.secrets?.find((s) => s.name === name);
  if (!secret) {
    const names = (c.secrets ?? []).map((s) => s.name).join(', ') || 'none';
    throw new MutationError(`baseline container ${c.name} has no secret ${name} (secrets: ${names}); missing-secret needs one the container gets from valueFrom`);
  }
  const suffix = `-firedrill-missing-${runId}`;
  const match = SECRETS_MANAGER_ARN.exec(secret.valueFrom ?? '');
  secret.valueFrom = match ? `${match[1]}${suffix}${match[2] ?? ''}` : `${secret.valueFrom}${suffix}`;
  return `secret ${name} -> ${secret.valueFrom} (does not exist)`;
};

const httpErrors = (c: ContainerDefinition, rate: number, environment: Record<string, string> | undefined): string =>
  setEnvironment(c, environment ?? (rate === 1 ? { FAIL_HTTP_5XX: '1' } : { FAIL_HTTP_5XX_RATE: String(rate) }));

const mutateContainer = (td: TaskDefinitionInput, c: ContainerDefinition, spec: ReleaseSpec, runId: string): string => {
  switch (spec.kind) {
    case 'missing-image-tag':
      return missingImageTag(c, spec.tag ?? `firedrill-missing-${runId}`);
    case 'crash-on-start':
      return crashOnStart(c, spec.environment);
    case 'crash-after':
      return setEnvironment(c, { [spec.variable]: String(spec.seconds) });
    case 'failing-health-check':
      return failingHealthCheck(c, spec.command ?? ['CMD-SHELL', 'exit 1']);
    case 'wrong-container-port':
      return wrongContainerPort(td, c, spec.port, spec.variable);
    case 'memory-too-low':
      return memoryTooLow(c, spec.memory);
    case 'missing-env':
      return missingEnv(c, spec.name);
    case 'missing-secret':
      return missingSecret(c, spec.name, runId);
    case 'http-errors':
      return httpErrors(c, spec.rate, spec.environment);
    case 'slow-responses':
      return setEnvironment(c, { [spec.variable]: String(spec.latencyMs) });
  }
};

const shipUnderTag = (container: ContainerDefinition, tag: string): string => {
  if (!isValidTag(tag)) throw new MutationError(`release.tag "${tag}" is not a valid image tag`);
  const before = container.image!;
  container.image = withTag(before, tag);
  return `image ${before} -> ${container.image}`;
};

/** The baseline with the defect `spec` describes, tagged for cleanup. The baseline is not modified. */
export const mutateRelease = (baseline: TaskDefinitionInput, spec: ReleaseSpec, ctx: MutationContext): MutatedRelease => {
  const taskDefinition = structuredClone(baseline);
  const container = targetContainer(taskDefinition, ctx.containerName);
  if (!container.image) throw new MutationError(`baseline container ${container.name} has no image; read the baseline back from ECS`);
  const defect = mutateContainer(taskDefinition, container, spec, ctx.runId);
  // The defect ships under its own tag when the scenario gives one, as a real bad release would.
  const retag = spec.kind !== 'missing-image-tag' && spec.tag !== undefined ? shipUnderTag(container, spec.tag) : undefined;
  const summary = `container ${container.name}: ${[retag, defect].filter(Boolean).join('; ')}`;

  // A setting the baseline already has would make the drill deploy a good release and then
  // report that the rollback path did nothing.
  if (diffTaskDefinitions({ ...baseline, tags: undefined }, { ...taskDefinition, tags: undefined }).length === 0) {
    throw new MutationError(`the ${spec.kind} release would equal the baseline (${summary}): the baseline already has that setting; choose a different value`);
  }

  const ours = new Set(drillTags(ctx.runId).map((t) => t.key));
  taskDefinition.tags = [...(baseline.tags ?? []).filter((t) => !ours.has(t.key ?? '')), ...drillTags(ctx.runId)];
  const image = container.image;
  return { taskDefinition, summary, image, tag: effectiveTag(parseImageRef(image)), ecsVisible: !ECS_INVISIBLE.has(spec.kind) };
};
