// Wire input -> typed input for SandboxState, or an EcsError that names the offending field.
//
// ECS answers bad input with ClientException (task definitions, mostly) or
// InvalidParameterException (everything else); the messages below follow the ones ECS writes
// where we know them, and otherwise say plainly which field is wrong and what it must be.
// Unknown extra fields are accepted and ignored: newer SDKs send fields this sandbox does not know.

import { EcsError } from '../control/errors.ts';
import type { EcsErrorCode } from '../control/errors.ts';
import type {
  ContainerDefinition,
  DeploymentConfiguration,
  LoadBalancerRef,
  Tag,
} from '../control/model.ts';
import type { CreateServiceInput, ListTasksFilter, TaskDefinitionInput, UpdateServiceInput } from '../control/state.ts';
import type { ServiceDeploymentStatus } from '../control/model.ts';

export type Json = Record<string, unknown>;

// Declared as functions returning never, so TypeScript narrows after a call: past
// `if (!list) invalid(...)`, list is defined. (A const arrow typed `: never` does not narrow.)

/** Throws the AWS-shaped error ECS answers bad input with: HTTP 400, `__type` = code. */
function fail(code: EcsErrorCode, message: string): never {
  throw new EcsError(code, message);
}

/** Throws InvalidParameterException, ECS's answer to most bad input. */
function invalid(message: string): never {
  return fail('InvalidParameterException', message);
}

const describeType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' && !Number.isInteger(value) ? 'number' : typeof value;

function wrongType(path: string, expected: string, value: unknown): never {
  return invalid(`Invalid type for parameter ${path}: expected ${expected}, got ${describeType(value)}.`);
}

/** Reads typed fields out of one JSON object, naming each field by its full path in errors. */
export class Fields {
  constructor(
    readonly obj: Json,
    readonly path = '',
  ) {}

  static of(value: unknown, path = ''): Fields {
    if (value === undefined || value === null) return new Fields({}, path);
    if (typeof value !== 'object' || Array.isArray(value)) return wrongType(path || 'input', 'a structure', value);
    return new Fields(value as Json, path);
  }

  name(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  raw(key: string): unknown {
    const v = this.obj[key];
    return v === null ? undefined : v;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return wrongType(this.name(key), 'a string', v);
    return v;
  }

  /** A string that must be present and not blank; `blank` is the message ECS uses. */
  requiredString(key: string, blank: string, code: EcsErrorCode = 'InvalidParameterException'): string {
    const v = this.string(key);
    if (v === undefined || v.trim() === '') return fail(code, blank);
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return wrongType(this.name(key), 'a boolean', v);
    return v;
  }

  requiredBoolean(key: string): boolean {
    const v = this.boolean(key);
    if (v === undefined) return invalid(`${this.name(key)} should not be null or empty.`);
    return v;
  }

  integer(key: string, range?: { min?: number; max?: number; code?: EcsErrorCode; message?: string }): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return wrongType(this.name(key), 'an integer', v);
    const { min, max } = range ?? {};
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      const bounds =
        min !== undefined && max !== undefined
          ? `between ${min} and ${max}`
          : min !== undefined
            ? `greater than or equal to ${min}`
            : `less than or equal to ${max}`;
      return fail(range?.code ?? 'InvalidParameterException', range?.message ?? `${this.name(key)} must be ${bounds}, got ${v}.`);
    }
    return v;
  }

  enumOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      return invalid(`Invalid value for parameter ${this.name(key)}: ${v}. Valid values: ${allowed.join(', ')}.`);
    }
    return v as T;
  }

  array(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) return wrongType(this.name(key), 'a list', v);
    return v;
  }

  stringArray(key: string): string[] | undefined {
    const list = this.array(key);
    if (list === undefined) return undefined;
    return list.map((item, i) => (typeof item === 'string' ? item : wrongType(`${this.name(key)}[${i}]`, 'a string', item)));
  }

  /** Each element of a list of structures, as Fields. */
  objects(key: string): Fields[] | undefined {
    const list = this.array(key);
    if (list === undefined) return undefined;
    return list.map((item, i) => {
      const path = `${this.name(key)}[${i}]`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return wrongType(path, 'a structure', item);
      return new Fields(item as Json, path);
    });
  }

  object(key: string): Fields | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return wrongType(this.name(key), 'a structure', v);
    return new Fields(v as Json, this.name(key));
  }
}

// ---- shared pieces

/** Letters, numbers, hyphens and underscores, up to 255: ECS's rule for cluster, service, family and container names. */
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** `cluster` as ECS takes it: a name or an ARN, optional (the default cluster). */
export const clusterRef = (f: Fields): string | undefined => {
  const v = f.string('cluster');
  return v === undefined || v === '' ? undefined : v;
};

export const tags = (f: Fields, key = 'tags'): Tag[] | undefined => {
  const list = f.objects(key);
  if (list === undefined) return undefined;
  if (list.length > 50) invalid(`${f.name(key)} can have at most 50 tags, got ${list.length}.`);
  const seen = new Set<string>();
  return list.map((t) => {
    const k = t.requiredString('key', `${t.name('key')} should not be null or empty.`);
    const value = t.string('value') ?? '';
    if (k.length > 128) invalid(`${t.name('key')} must be at most 128 characters.`);
    if (value.length > 256) invalid(`${t.name('value')} must be at most 256 characters.`);
    if (k.toLowerCase().startsWith('aws:')) invalid(`Tag keys starting with 'aws:' are reserved (${t.name('key')}: ${k}).`);
    if (seen.has(k)) invalid(`Duplicate tag key in ${f.name(key)}: ${k}.`);
    seen.add(k);
    return { key: k, value };
  });
};

const includeList = (f: Fields, allowed: readonly string[]): Set<string> => {
  const list = f.stringArray('include') ?? [];
  for (const [i, v] of list.entries()) {
    if (!allowed.includes(v)) invalid(`Invalid value for parameter include[${i}]: ${v}. Valid values: ${allowed.join(', ')}.`);
  }
  return new Set(list);
};

export interface PageInput {
  maxResults?: number;
  nextToken?: string;
}

export const pageInput = (f: Fields): PageInput => ({
  maxResults: f.integer('maxResults', { min: 1, max: 100 }),
  nextToken: f.string('nextToken') || undefined,
});

// ---- clusters

export const createCluster = (input: Json): { clusterName: string; tags: Tag[] } => {
  const f = Fields.of(input);
  const clusterName = f.string('clusterName') || 'default';
  if (!NAME.test(clusterName)) {
    invalid(`clusterName can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens, got '${clusterName}'.`);
  }
  return { clusterName, tags: tags(f) ?? [] };
};

export const describeClusters = (input: Json): { clusters: string[]; includeTags: boolean } => {
  const f = Fields.of(input);
  const clusters = f.stringArray('clusters') ?? [];
  if (clusters.length > 100) invalid(`clusters can have at most 100 elements, got ${clusters.length}.`);
  const include = includeList(f, ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS']);
  return { clusters: clusters.length === 0 ? ['default'] : clusters, includeTags: include.has('TAGS') };
};

export const deleteCluster = (input: Json): { cluster: string } => {
  const f = Fields.of(input);
  return { cluster: f.requiredString('cluster', 'Cluster can not be blank.') };
};

export const listClusters = (input: Json): PageInput => pageInput(Fields.of(input));

// ---- task definitions

const OUTPUT_ONLY_TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'compatibilities',
  'requiresAttributes',
] as const;

/** Task-level cpu as ECS takes it: CPU units ("256") or vCPUs ("0.25 vCPU"); returned as units. */
const taskCpu = (f: Fields): string | undefined => {
  const v = f.raw('cpu');
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return wrongType('cpu', 'a string', v);
  const s = String(v).trim();
  const vcpu = /^(\d+(?:\.\d+)?)\s*vcpu$/i.exec(s);
  const units = vcpu ? Math.round(Number(vcpu[1]) * 1024) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(units) || units < 128) {
    return fail('ClientException', `Invalid 'cpu' setting for task: '${s}'. Give CPU units (e.g. '256') or vCPUs (e.g. '0.25 vCPU'), at least 128 units.`);
  }
  return String(units);
};

/** Task-level memory as ECS takes it: MiB ("512") or GB ("1 GB"); returned as MiB. */
const taskMemory = (f: Fields): string | undefined => {
  const v = f.raw('memory');
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return wrongType('memory', 'a string', v);
  const s = String(v).trim();
  const gb = /^(\d+(?:\.\d+)?)\s*gb$/i.exec(s);
  const mib = gb ? Math.round(Number(gb[1]) * 1024) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(mib) || mib < 6) {
    return fail('ClientException', `Invalid 'memory' setting for task: '${s}'. Give MiB (e.g. '512') or GB (e.g. '1 GB'), at least 6 MiB.`);
  }
  return String(mib);
};

const healthCheck = (c: Fields, containerName: string): void => {
  const hc = c.object('healthCheck');
  if (!hc) return;
  const command = hc.stringArray('command');
  if (!command || command.length === 0) {
    fail('ClientException', `Invalid 'healthCheck' setting for container '${containerName}'. ${hc.name('command')} should not be null or empty.`);
  }
  const range = (key: string, min: number, max: number, unit = ' seconds'): void => {
    hc.integer(key, {
      min,
      max,
      code: 'ClientException',
      message: `Invalid 'healthCheck' setting for container '${containerName}'. ${hc.name(key)} must be between ${min} and ${max}${unit}, got ${String(hc.raw(key))}.`,
    });
  };
  range('interval', 5, 300);
  range('timeout', 2, 60);
  range('retries', 1, 10, '');
  range('startPeriod', 0, 300);
};

const containerDefinition = (c: Fields, taskHasMemory: boolean): void => {
  const name = c.requiredString('name', 'Container.name should not be null or empty.', 'ClientException');
  if (!NAME.test(name)) {
    fail('ClientException', `Container.name contains invalid characters: '${name}'. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.`);
  }
  c.requiredString('image', 'Container.image should not be null or empty.', 'ClientException');
  c.boolean('essential');
  c.integer('cpu', { min: 0, code: 'ClientException' });
  const memory = c.integer('memory');
  const reservation = c.integer('memoryReservation');
  if (memory !== undefined && memory < 6) {
    fail('ClientException', `Invalid 'memory' setting for container '${name}'. The minimum is 6 MiB, got ${memory}.`);
  }
  if (reservation !== undefined && reservation < 6) {
    fail('ClientException', `Invalid 'memoryReservation' setting for container '${name}'. The minimum is 6 MiB, got ${reservation}.`);
  }
  if (memory !== undefined && reservation !== undefined && reservation > memory) {
    fail('ClientException', `Invalid setting for container '${name}'. 'memoryReservation' must be less than or equal to 'memory'.`);
  }
  if (!taskHasMemory && memory === undefined && reservation === undefined) {
    fail('ClientException', `Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
  }
  c.stringArray('command');
  c.stringArray('entryPoint');
  for (const e of c.objects('environment') ?? []) {
    e.requiredString('name', `${e.name('name')} should not be null or empty.`, 'ClientException');
    e.string('value');
  }
  for (const s of c.objects('secrets') ?? []) {
    s.requiredString('name', `${s.name('name')} should not be null or empty.`, 'ClientException');
    s.requiredString('valueFrom', `${s.name('valueFrom')} should not be null or empty.`, 'ClientException');
  }
  for (const p of c.objects('portMappings') ?? []) {
    const port = p.integer('containerPort', { min: 1, max: 65535, code: 'ClientException' });
    if (port === undefined && !p.has('containerPortRange')) {
      fail('ClientException', `${p.name('containerPort')} should not be null or empty.`);
    }
    p.integer('hostPort', { min: 0, max: 65535, code: 'ClientException' });
    p.enumOf('protocol', ['tcp', 'udp']);
    p.string('name');
  }
  healthCheck(c, name);
  c.integer('stopTimeout', { min: 0, max: 120, code: 'ClientException' });
};

export const registerTaskDefinition = (input: Json): TaskDefinitionInput => {
  const f = Fields.of(input);
  const family = f.requiredString('family', 'Family should not be null or empty.', 'ClientException');
  if (!NAME.test(family)) {
    fail('ClientException', `Family contains invalid characters: '${family}'. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.`);
  }
  const containers = f.objects('containerDefinitions');
  if (!containers || containers.length === 0) fail('ClientException', 'Container list cannot be empty.');
  const cpu = taskCpu(f);
  const memory = taskMemory(f);
  const networkMode = f.enumOf('networkMode', ['bridge', 'host', 'awsvpc', 'none']);
  const requires = f.stringArray('requiresCompatibilities') ?? [];
  for (const [i, r] of requires.entries()) {
    if (!['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'].includes(r)) {
      invalid(`Invalid value for parameter requiresCompatibilities[${i}]: ${r}. Valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.`);
    }
  }
  if (requires.includes('FARGATE')) {
    if (networkMode !== 'awsvpc') fail('ClientException', "Fargate only supports network mode 'awsvpc'.");
    if (cpu === undefined) fail('ClientException', "Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined) fail('ClientException', "Fargate requires that 'memory' be defined at the task level.");
  }
  f.string('executionRoleArn');
  f.string('taskRoleArn');
  const names = new Set<string>();
  for (const c of containers) {
    containerDefinition(c, memory !== undefined);
    const name = c.obj['name'] as string;
    if (names.has(name)) fail('ClientException', `Container names must be unique within a task definition: '${name}' is used twice.`);
    names.add(name);
  }
  if (!containers.some((c) => c.obj['essential'] !== false)) {
    fail('ClientException', 'Task definition must have at least one essential container.');
  }
  const tagList = tags(f);

  const rest: Json = { ...input };
  for (const key of OUTPUT_ONLY_TASK_DEFINITION_FIELDS) delete rest[key];
  for (const key of Object.keys(rest)) if (rest[key] === null) delete rest[key];
  delete rest['cpu'];
  delete rest['memory'];
  return {
    ...rest,
    family,
    containerDefinitions: containers.map((c) => ({ ...c.obj }) as ContainerDefinition),
    ...(cpu !== undefined ? { cpu } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...(tagList ? { tags: tagList } : {}),
  };
};

export const describeTaskDefinition = (input: Json): { taskDefinition: string; includeTags: boolean } => {
  const f = Fields.of(input);
  const taskDefinition = f.requiredString('taskDefinition', 'Task Definition can not be blank.', 'ClientException');
  return { taskDefinition, includeTags: includeList(f, ['TAGS']).has('TAGS') };
};

export const deregisterTaskDefinition = (input: Json): { taskDefinition: string } => {
  const f = Fields.of(input);
  return { taskDefinition: f.requiredString('taskDefinition', 'Task Definition can not be blank.', 'ClientException') };
};

export const listTaskDefinitions = (
  input: Json,
): PageInput & { familyPrefix?: string; status: 'ACTIVE' | 'INACTIVE'; sort: 'ASC' | 'DESC' } => {
  const f = Fields.of(input);
  return {
    ...pageInput(f),
    familyPrefix: f.string('familyPrefix') || undefined,
    status: f.enumOf('status', ['ACTIVE', 'INACTIVE'] as const) ?? 'ACTIVE',
    sort: f.enumOf('sort', ['ASC', 'DESC'] as const) ?? 'ASC',
  };
};

export const listTaskDefinitionFamilies = (
  input: Json,
): PageInput & { familyPrefix?: string; status: 'ACTIVE' | 'INACTIVE' | 'ALL' } => {
  const f = Fields.of(input);
  return {
    ...pageInput(f),
    familyPrefix: f.string('familyPrefix') || undefined,
    // ECS lists both ACTIVE and INACTIVE families when no status is given.
    status: f.enumOf('status', ['ACTIVE', 'INACTIVE', 'ALL'] as const) ?? 'ALL',
  };
};

// ---- services

type DeploymentConfigurationInput = NonNullable<CreateServiceInput['deploymentConfiguration']>;

const deploymentConfiguration = (f: Fields): DeploymentConfigurationInput | undefined => {
  const dc = f.object('deploymentConfiguration');
  if (!dc) return undefined;
  const out: DeploymentConfigurationInput = {};
  const strategy = dc.enumOf('strategy', ['ROLLING', 'BLUE_GREEN', 'CANARY', 'LINEAR']);
  if (strategy && strategy !== 'ROLLING') {
    invalid(`The firedrill sandbox supports only the ROLLING deployment strategy (${dc.name('strategy')}: ${strategy}).`);
  }
  const max = dc.integer('maximumPercent');
  const min = dc.integer('minimumHealthyPercent', { min: 0, max: 100 });
  // ECS documents no upper bound for maximumPercent; below 100 a REPLICA service could never
  // run its desired count, so the sandbox rejects that (ECS-like choice).
  if (max !== undefined && max < 100) {
    invalid(`${dc.name('maximumPercent')} must be greater than or equal to 100, got ${max}.`);
  }
  if (max !== undefined) out.maximumPercent = max;
  if (min !== undefined) out.minimumHealthyPercent = min;
  const cb = dc.object('deploymentCircuitBreaker');
  if (cb) {
    const breaker: DeploymentConfiguration['deploymentCircuitBreaker'] = {
      enable: cb.requiredBoolean('enable'),
      rollback: cb.requiredBoolean('rollback'),
    };
    const reset = cb.boolean('resetOnHealthyTask');
    if (reset !== undefined) breaker.resetOnHealthyTask = reset;
    const th = cb.object('thresholdConfiguration');
    if (th) {
      const type = th.enumOf('type', ['BOUNDED_PERCENT', 'UNBOUNDED_PERCENT', 'COUNT'] as const) ?? 'BOUNDED_PERCENT';
      const value = th.integer('value', { min: 0 }) ?? 50;
      if (type !== 'COUNT' && value > 100) invalid(`${th.name('value')} must be between 0 and 100 for ${type}, got ${value}.`);
      breaker.thresholdConfiguration = { type, value };
    }
    out.deploymentCircuitBreaker = breaker;
  }
  const alarms = dc.object('alarms');
  if (alarms) {
    out.alarms = {
      alarmNames: alarms.stringArray('alarmNames') ?? invalid(`${alarms.name('alarmNames')} should not be null or empty.`),
      enable: alarms.requiredBoolean('enable'),
      rollback: alarms.requiredBoolean('rollback'),
    };
  }
  return out;
};

const loadBalancers = (f: Fields): LoadBalancerRef[] | undefined =>
  f.objects('loadBalancers')?.map((lb) => {
    const ref: LoadBalancerRef = {
      targetGroupArn: lb.requiredString('targetGroupArn', `${lb.name('targetGroupArn')} should not be null or empty.`),
      containerName: lb.requiredString('containerName', `${lb.name('containerName')} should not be null or empty.`),
      containerPort:
        lb.integer('containerPort', { min: 1, max: 65535 }) ?? invalid(`${lb.name('containerPort')} should not be null or empty.`),
    };
    const name = lb.string('loadBalancerName');
    if (name) ref.loadBalancerName = name;
    return ref;
  });

/** Service fields the state's input types don't carry; the API sets them on the record. */
export interface ServiceExtras {
  propagateTags?: string;
  enableECSManagedTags?: boolean;
  enableExecuteCommand?: boolean;
  roleArn?: string;
}

const serviceExtras = (f: Fields): ServiceExtras => {
  const extras: ServiceExtras = {};
  const propagateTags = f.enumOf('propagateTags', ['TASK_DEFINITION', 'SERVICE', 'NONE']);
  if (propagateTags) extras.propagateTags = propagateTags;
  const managed = f.boolean('enableECSManagedTags');
  if (managed !== undefined) extras.enableECSManagedTags = managed;
  const exec = f.boolean('enableExecuteCommand');
  if (exec !== undefined) extras.enableExecuteCommand = exec;
  const role = f.string('role');
  if (role) extras.roleArn = role;
  return extras;
};

const LAUNCH_TYPES = ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'] as const;

/**
 * ECS's default quota of tasks per service. Without a ceiling one call could ask the controller
 * to start a billion tasks in a single tick.
 */
const DESIRED_COUNT_RANGE = { min: 0, max: 5000 };

export const createService = (input: Json): { cluster?: string; service: CreateServiceInput; extras: ServiceExtras } => {
  const f = Fields.of(input);
  const serviceName = f.requiredString('serviceName', 'Service name can not be blank.');
  if (!NAME.test(serviceName)) {
    invalid(`serviceName can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens, got '${serviceName}'.`);
  }
  const strategy = f.enumOf('schedulingStrategy', ['REPLICA', 'DAEMON']);
  if (strategy === 'DAEMON') invalid('The firedrill sandbox supports only the REPLICA scheduling strategy (schedulingStrategy).');
  const controller = f.object('deploymentController')?.enumOf('type', ['ECS', 'CODE_DEPLOY', 'EXTERNAL']);
  if (controller && controller !== 'ECS') {
    invalid(`The firedrill sandbox supports only the ECS deployment controller (deploymentController.type: ${controller}).`);
  }
  const taskDefinition = f.requiredString('taskDefinition', 'Task Definition can not be blank.');
  const desiredCount = f.integer('desiredCount', DESIRED_COUNT_RANGE);
  if (desiredCount === undefined) invalid('desiredCount should not be null or empty for a REPLICA service.');
  const service: CreateServiceInput = { serviceName, taskDefinition, desiredCount };
  const launchType = f.enumOf('launchType', LAUNCH_TYPES);
  if (launchType) service.launchType = launchType;
  const dc = deploymentConfiguration(f);
  if (dc) service.deploymentConfiguration = dc;
  const lbs = loadBalancers(f);
  if (lbs) service.loadBalancers = lbs;
  const grace = f.integer('healthCheckGracePeriodSeconds', { min: 0, max: 2147483647 });
  if (grace !== undefined) service.healthCheckGracePeriodSeconds = grace;
  const network = f.object('networkConfiguration');
  if (network) service.networkConfiguration = network.obj;
  const tagList = tags(f);
  if (tagList) service.tags = tagList;
  return { cluster: clusterRef(f), service, extras: serviceExtras(f) };
};

export const updateService = (input: Json): { cluster?: string; service: string; update: UpdateServiceInput; extras: ServiceExtras } => {
  const f = Fields.of(input);
  const service = f.requiredString('service', 'Service can not be blank.');
  const update: UpdateServiceInput = {};
  const taskDefinition = f.string('taskDefinition');
  if (taskDefinition !== undefined) {
    if (taskDefinition.trim() === '') invalid('Task Definition can not be blank.');
    update.taskDefinition = taskDefinition;
  }
  const desiredCount = f.integer('desiredCount', DESIRED_COUNT_RANGE);
  if (desiredCount !== undefined) update.desiredCount = desiredCount;
  const dc = deploymentConfiguration(f);
  if (dc) update.deploymentConfiguration = dc;
  const force = f.boolean('forceNewDeployment');
  if (force !== undefined) update.forceNewDeployment = force;
  const grace = f.integer('healthCheckGracePeriodSeconds', { min: 0, max: 2147483647 });
  if (grace !== undefined) update.healthCheckGracePeriodSeconds = grace;
  const lbs = loadBalancers(f);
  if (lbs) update.loadBalancers = lbs;
  return { cluster: clusterRef(f), service, update, extras: serviceExtras(f) };
};

export const describeServices = (input: Json): { cluster?: string; services: string[]; includeTags: boolean } => {
  const f = Fields.of(input);
  const services = f.stringArray('services');
  if (!services || services.length === 0) invalid('Services cannot be empty.');
  if (services.length > 10) invalid(`services can have at most 10 elements, got ${services.length}.`);
  for (const [i, s] of services.entries()) if (s.trim() === '') invalid(`services[${i}] should not be null or empty.`);
  return { cluster: clusterRef(f), services, includeTags: includeList(f, ['TAGS']).has('TAGS') };
};

export const listServices = (input: Json): PageInput & { cluster?: string; launchType?: string } => {
  const f = Fields.of(input);
  f.enumOf('schedulingStrategy', ['REPLICA', 'DAEMON']);
  return { ...pageInput(f), cluster: clusterRef(f), launchType: f.enumOf('launchType', LAUNCH_TYPES) };
};

export const deleteService = (input: Json): { cluster?: string; service: string; force: boolean } => {
  const f = Fields.of(input);
  return {
    cluster: clusterRef(f),
    service: f.requiredString('service', 'Service can not be blank.'),
    force: f.boolean('force') ?? false,
  };
};

// ---- tasks

export const listTasks = (input: Json): PageInput & { cluster?: string; filter: ListTasksFilter; launchType?: string } => {
  const f = Fields.of(input);
  const filter: ListTasksFilter = {};
  const serviceName = f.string('serviceName');
  if (serviceName) filter.serviceName = serviceName;
  const family = f.string('family');
  if (family) filter.family = family;
  const desiredStatus = f.enumOf('desiredStatus', ['RUNNING', 'PENDING', 'STOPPED'] as const);
  if (desiredStatus) filter.desiredStatus = desiredStatus;
  const startedBy = f.string('startedBy');
  if (startedBy) filter.startedBy = startedBy;
  f.string('containerInstance');
  return { ...pageInput(f), cluster: clusterRef(f), filter, launchType: f.enumOf('launchType', LAUNCH_TYPES) };
};

export const describeTasks = (input: Json): { cluster?: string; tasks: string[]; includeTags: boolean } => {
  const f = Fields.of(input);
  const tasks = f.stringArray('tasks');
  if (!tasks || tasks.length === 0) invalid('Tasks cannot be empty.');
  if (tasks.length > 100) invalid(`tasks can have at most 100 elements, got ${tasks.length}.`);
  for (const [i, t] of tasks.entries()) if (t.trim() === '') invalid(`tasks[${i}] should not be null or empty.`);
  return { cluster: clusterRef(f), tasks, includeTags: includeList(f, ['TAGS']).has('TAGS') };
};

export const stopTask = (input: Json): { cluster?: string; task: string; reason: string } => {
  const f = Fields.of(input);
  const task = f.requiredString('task', 'Task can not be blank.');
  const reason = f.string('reason');
  if (reason !== undefined && reason.length > 255) invalid(`reason must be at most 255 characters, got ${reason.length}.`);
  return { cluster: clusterRef(f), task, reason: reason || 'Task stopped by user' };
};

// ---- tags

export const tagResource = (input: Json): { resourceArn: string; tags: Tag[] } => {
  const f = Fields.of(input);
  const resourceArn = f.requiredString('resourceArn', 'resourceArn should not be null or empty.');
  const list = tags(f);
  if (!list) invalid('tags should not be null or empty.');
  return { resourceArn, tags: list };
};

export const untagResource = (input: Json): { resourceArn: string; tagKeys: string[] } => {
  const f = Fields.of(input);
  const resourceArn = f.requiredString('resourceArn', 'resourceArn should not be null or empty.');
  const tagKeys = f.stringArray('tagKeys');
  if (!tagKeys) invalid('tagKeys should not be null or empty.');
  return { resourceArn, tagKeys };
};

export const listTagsForResource = (input: Json): { resourceArn: string } => {
  const f = Fields.of(input);
  return { resourceArn: f.requiredString('resourceArn', 'resourceArn should not be null or empty.') };
};

// ---- service deployments

const SERVICE_DEPLOYMENT_STATUSES: readonly ServiceDeploymentStatus[] = [
  'PENDING',
  'SUCCESSFUL',
  'STOPPED',
  'STOP_REQUESTED',
  'IN_PROGRESS',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
];

/** A timestamp as the SDK sends it in AWS JSON 1.1: epoch seconds, possibly fractional. */
const epochMillis = (f: Fields, key: string): number | undefined => {
  const v = f.raw(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) return wrongType(f.name(key), 'a timestamp (epoch seconds)', v);
  return v * 1000;
};

export const listServiceDeployments = (
  input: Json,
): PageInput & { cluster?: string; service: string; status?: ServiceDeploymentStatus[]; createdAfter?: number; createdBefore?: number } => {
  const f = Fields.of(input);
  const service = f.requiredString('service', 'service should not be null or empty.');
  const statuses = f.stringArray('status');
  for (const [i, v] of (statuses ?? []).entries()) {
    if (!(SERVICE_DEPLOYMENT_STATUSES as readonly string[]).includes(v)) {
      invalid(`Invalid value for parameter status[${i}]: ${v}. Valid values: ${SERVICE_DEPLOYMENT_STATUSES.join(', ')}.`);
    }
  }
  const createdAt = f.object('createdAt');
  return {
    ...pageInput(f),
    cluster: clusterRef(f),
    service,
    status: statuses && statuses.length > 0 ? (statuses as ServiceDeploymentStatus[]) : undefined,
    createdAfter: createdAt ? epochMillis(createdAt, 'after') : undefined,
    createdBefore: createdAt ? epochMillis(createdAt, 'before') : undefined,
  };
};

/** DescribeServiceDeployments and DescribeServiceRevisions: a list of ARNs, 1 to `max`. */
export const arnList = (input: Json, key: string, max: number): string[] => {
  const f = Fields.of(input);
  const arns = f.stringArray(key);
  if (!arns || arns.length === 0) invalid(`${key} should not be null or empty.`);
  if (arns.length > max) invalid(`${key} can have at most ${max} elements, got ${arns.length}.`);
  return arns;
};

export const stopServiceDeployment = (input: Json): { serviceDeploymentArn: string; stopType: 'ROLLBACK' | 'ABORT' } => {
  const f = Fields.of(input);
  return {
    serviceDeploymentArn: f.requiredString('serviceDeploymentArn', 'serviceDeploymentArn should not be null or empty.'),
    stopType: f.enumOf('stopType', ['ROLLBACK', 'ABORT'] as const) ?? 'ROLLBACK',
  };
};
