// Contract check of the sandbox's response shapes against moto_server, an independent ECS
// emulator that returns real AWS shapes. The same calls go to both as raw AWS JSON 1.1 requests (no
// SDK filtering); for each read operation, every field path moto returns must be in the sandbox's
// response too. Where moto returns a field ECS itself would not return for this setup, the path is
// allowed explicitly below, with the reason.
//
// Tasks: moto runs no tasks for services, but RunTask works on moto once an EC2 instance is
// registered as a container instance, so the moto side gets its tasks that way. The sandbox has no
// RunTask (its controller starts tasks), so its tasks are created on the state directly, as the
// controller would. One running and one stopped task are described on each side, so fields that
// exist only once a task or container has stopped are compared too.
//
// ELBv2 (awsQuery, XML): the same target group is created on moto (CreateTargetGroup in a VPC)
// and configured on the sandbox, then DescribeTargetGroups and DescribeTargetGroupAttributes go to
// both; every element path of moto's answer must be in the sandbox's (list members as `[]`).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startApiServer } from '../../sandbox/api/server.ts';
import type { ApiServer } from '../../sandbox/api/server.ts';
import { SandboxState } from '../../sandbox/control/state.ts';
import { freePort } from '../../sandbox/data/port-allocator.ts';
import { SequentialIds } from '../support/ids.ts';
import { findAll, parseXml, textOf, type XmlElement } from '../support/xml.ts';
import { waitFor } from '../support/wait.ts';

const TARGET = 'AmazonEC2ContainerServiceV20141113';
const AUTH = (service: string): string =>
  `AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000`;

/** Paths moto returns that ECS would not return for this setup; each needs a reason. */
const ALLOWED_EXTRA_PATHS: { operation: string; path: string; reason: string }[] = [
  {
    operation: 'CreateService',
    path: 'service.taskSets',
    reason: 'moto returns taskSets: [] on every service; ECS returns task sets only for EXTERNAL/CODE_DEPLOY deployment controllers, which the sandbox rejects.',
  },
  {
    operation: 'DescribeServices',
    path: 'services[].taskSets',
    reason: 'moto returns taskSets: [] on every service; ECS returns task sets only for EXTERNAL/CODE_DEPLOY deployment controllers, which the sandbox rejects.',
  },
  {
    operation: 'CreateService',
    path: 'service.networkConfiguration',
    reason: 'moto echoes networkConfiguration: {} for a service created without one; ECS omits it. The sandbox echoes it when given (api.test.ts).',
  },
  {
    operation: 'DescribeServices',
    path: 'services[].networkConfiguration',
    reason: 'moto echoes networkConfiguration: {} for a service created without one; ECS omits it. The sandbox echoes it when given (api.test.ts).',
  },
  {
    operation: 'DescribeTasks',
    path: 'tasks[].containerInstanceArn',
    reason: "moto's tasks run on an EC2 container instance (its RunTask needs one); sandbox tasks have no container instance, like Fargate tasks on ECS.",
  },
];

const findOnPath = (command: string): string | undefined => {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
};

const MOTO = findOnPath('moto_server');
// On a laptop without moto the check is skipped with a reason; in CI a missing reference must fail.
if (!MOTO && process.env['CI']) throw new Error('moto-contract: moto_server is not on PATH, and CI must run the contract check (pip install "moto[server]")');
if (!MOTO) console.warn('moto-contract: skipped because moto_server is not on PATH (pip install "moto[server]").');

interface Moto {
  url: string;
  child: ChildProcess;
  output: () => string;
}

const startMoto = async (): Promise<Moto> => {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(MOTO!, ['-p', String(port), '-H', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        async () => {
          if (exited) throw new Error(`moto_server exited early:\n${output}`);
          try {
            await fetch(`${url}/moto-api/`);
            return true;
          } catch {
            return false;
          }
        },
        60_000,
        `moto_server on ${url}`,
      );
      return { url, child, output: () => output };
    } catch (err) {
      lastError = err;
      await stopMoto({ url, child, output: () => output });
    }
  }
  throw lastError;
};

const stopMoto = async (moto: Moto): Promise<void> => {
  const { child } = moto;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals): void => {
    try {
      // Our own child's process group (spawned detached), by its id.
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
};

type Json = Record<string, unknown>;

const ecsCall = async (url: string, operation: string, body: Json): Promise<Json> => {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${TARGET}.${operation}`,
      'x-amz-date': '20240101T000000Z',
      authorization: AUTH('ecs'),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${operation} against ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as Json;
};

/** Every field path in a JSON value; arrays are merged by element (`a[].b`). */
const fieldPaths = (value: unknown, prefix = '', into = new Set<string>()): Set<string> => {
  if (Array.isArray(value)) {
    for (const el of value) fieldPaths(el, `${prefix}[]`, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      into.add(path);
      fieldPaths(v, path, into);
    }
  }
  return into;
};

const missingPaths = (operation: string, reference: Json, candidate: Json): string[] => {
  const have = fieldPaths(candidate);
  return [...fieldPaths(reference)]
    .filter((p) => !have.has(p))
    .filter((p) => !ALLOWED_EXTRA_PATHS.some((a) => a.operation === operation && (p === a.path || p.startsWith(`${a.path}.`) || p.startsWith(`${a.path}[]`))))
    .sort();
};

const WEB = {
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    {
      name: 'app',
      image: 'demo:1',
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
      environment: [{ name: 'GREETING', value: 'hello' }],
      healthCheck: { command: ['CMD-SHELL', 'true'], interval: 10, timeout: 5, retries: 3, startPeriod: 5 },
    },
  ],
  tags: [{ key: 'team', value: 'drills' }],
};

const BRIDGE = {
  family: 'batch',
  containerDefinitions: [{ name: 'job', image: 'batch:1', memory: 128, portMappings: [{ containerPort: 9000 }] }],
};

const CREATE_SERVICE = {
  cluster: 'contract',
  serviceName: 'api',
  taskDefinition: 'web',
  desiredCount: 2,
  launchType: 'FARGATE',
  deploymentConfiguration: {
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    deploymentCircuitBreaker: { enable: true, rollback: true },
  },
  tags: [{ key: 'owner', value: 'sre' }],
};

describe.skipIf(!MOTO)(`ECS response shapes: sandbox ⊇ moto_server${MOTO ? '' : ' (skipped: moto_server is not on PATH)'}`, () => {
  let moto: Moto;
  let sandbox: ApiServer;
  let state: SandboxState;
  /** operation label -> [moto response, sandbox response] */
  const responses = new Map<string, [Json, Json]>();

  const both = async (label: string, operation: string, body: Json, sandboxBody: Json = body): Promise<[Json, Json]> => {
    const pair: [Json, Json] = [await ecsCall(moto.url, operation, body), await ecsCall(sandbox.url, operation, sandboxBody)];
    responses.set(label, pair);
    return pair;
  };

  beforeAll(async () => {
    state = new SandboxState({ region: 'us-east-1', accountId: '000000000000' }, { now: () => Date.now() }, new SequentialIds());
    sandbox = await startApiServer({ port: 0, state, events: { emit: () => {} } });
    moto = await startMoto();

    await both('CreateCluster', 'CreateCluster', { clusterName: 'contract', tags: [{ key: 'env', value: 'contract' }] });
    await both('RegisterTaskDefinition', 'RegisterTaskDefinition', WEB);
    await both('RegisterTaskDefinition (bridge)', 'RegisterTaskDefinition', BRIDGE);
    await both('CreateService', 'CreateService', CREATE_SERVICE);

    // Tasks on moto: an EC2 instance registered as a container instance, then RunTask.
    const ec2 = await fetch(`${moto.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH('ec2'), 'x-amz-date': '20240101T000000Z' },
      body: 'Action=RunInstances&Version=2016-11-15&ImageId=ami-12c6146b&MinCount=1&MaxCount=1',
    });
    const instanceId = /<instanceId>([^<]+)<\/instanceId>/.exec(await ec2.text())?.[1];
    if (!instanceId) throw new Error('moto RunInstances returned no instance id');
    await ecsCall(moto.url, 'RegisterContainerInstance', {
      cluster: 'contract',
      instanceIdentityDocument: JSON.stringify({ instanceId }),
    });
    const run = await ecsCall(moto.url, 'RunTask', {
      cluster: 'contract',
      taskDefinition: 'batch',
      count: 2,
      startedBy: 'contract',
      launchType: 'EC2',
      tags: [{ key: 'k', value: 'v' }],
    });
    const motoTasks = (run['tasks'] as Json[]).map((t) => String(t['taskArn']));
    if (motoTasks.length !== 2) throw new Error(`moto RunTask started ${motoTasks.length} tasks, expected 2`);
    await ecsCall(moto.url, 'StopTask', { cluster: 'contract', task: motoTasks[1], reason: 'contract' });

    // Tasks on the sandbox, made the way the controller makes them: one running, one stopped.
    const cluster = state.cluster('contract');
    const definition = state.taskDefinition('batch');
    const sandboxTasks = [0, 1].map(() => state.createTask(cluster, definition, { launchType: 'EC2' }));
    const now = Date.now();
    for (const t of sandboxTasks) {
      t.startedBy = 'contract';
      t.tags = [{ key: 'k', value: 'v' }];
      t.lastStatus = 'RUNNING';
      t.pullStartedAt = now;
      t.pullStoppedAt = now;
      t.startedAt = now;
      for (const c of t.containers) {
        c.lastStatus = 'RUNNING';
        c.networkBindings = [{ bindIP: '127.0.0.1', containerPort: 9000, hostPort: 40000, protocol: 'tcp' }];
      }
    }
    const stopped = sandboxTasks[1]!;
    state.requestStop(stopped, 'UserInitiated', 'contract');
    stopped.lastStatus = 'STOPPED';
    stopped.executionStoppedAt = now;
    stopped.stoppedAt = now;
    for (const c of stopped.containers) {
      c.lastStatus = 'STOPPED';
      c.exitCode = 0;
      c.networkBindings = [];
    }

    await both('DescribeClusters', 'DescribeClusters', { clusters: ['contract', 'missing'], include: ['TAGS', 'SETTINGS'] });
    await both('ListClusters', 'ListClusters', {});
    await both('DescribeTaskDefinition', 'DescribeTaskDefinition', { taskDefinition: 'web', include: ['TAGS'] });
    await both('DescribeTaskDefinition (bridge)', 'DescribeTaskDefinition', { taskDefinition: 'batch:1', include: ['TAGS'] });
    await both('ListTaskDefinitions', 'ListTaskDefinitions', {});
    await both('ListTaskDefinitionFamilies', 'ListTaskDefinitionFamilies', {});
    await both('DescribeServices', 'DescribeServices', { cluster: 'contract', services: ['api', 'missing'], include: ['TAGS'] });
    await both('ListServices', 'ListServices', { cluster: 'contract' });
    await both('ListTasks', 'ListTasks', { cluster: 'contract' });
    await both('ListTasks (STOPPED)', 'ListTasks', { cluster: 'contract', desiredStatus: 'STOPPED' });
    await both(
      'DescribeTasks',
      'DescribeTasks',
      { cluster: 'contract', tasks: [...motoTasks, 'missing'], include: ['TAGS'] },
      { cluster: 'contract', tasks: [...sandboxTasks.map((t) => t.taskArn), 'missing'], include: ['TAGS'] },
    );
    const clusterArn = (c: Json): string => String((c['cluster'] as Json)['clusterArn']);
    const [motoCluster, sandboxCluster] = responses.get('CreateCluster')!;
    await both('ListTagsForResource', 'ListTagsForResource', { resourceArn: clusterArn(motoCluster) }, { resourceArn: clusterArn(sandboxCluster) });
  }, 120_000);

  afterAll(async () => {
    await sandbox?.close();
    if (moto) await stopMoto(moto);
  });

  const operations = [
    'CreateCluster',
    'RegisterTaskDefinition',
    'RegisterTaskDefinition (bridge)',
    'CreateService',
    'DescribeClusters',
    'ListClusters',
    'DescribeTaskDefinition',
    'DescribeTaskDefinition (bridge)',
    'ListTaskDefinitions',
    'ListTaskDefinitionFamilies',
    'DescribeServices',
    'ListServices',
    'ListTasks',
    'ListTasks (STOPPED)',
    'DescribeTasks',
    'ListTagsForResource',
  ];

  it.each(operations)('%s: every field moto returns is in the sandbox response', (label) => {
    const pair = responses.get(label);
    expect(pair, `${label} was not called`).toBeDefined();
    const [motoBody, sandboxBody] = pair!;
    const operation = label.replace(/ \(.*\)$/, '');
    const missing = missingPaths(operation, motoBody, sandboxBody);
    expect(missing, `${label}: the sandbox lacks these field paths that moto returns:\n  ${missing.join('\n  ')}`).toEqual([]);
  });

  it('compares real content, not empty responses', () => {
    const [motoTasks, sandboxTasks] = responses.get('DescribeTasks')!;
    expect((motoTasks['tasks'] as unknown[]).length).toBe(2);
    expect((sandboxTasks['tasks'] as unknown[]).length).toBe(2);
    const [motoServices, sandboxServices] = responses.get('DescribeServices')!;
    expect((motoServices['services'] as unknown[]).length).toBe(1);
    expect((sandboxServices['services'] as unknown[]).length).toBe(1);
    expect(fieldPaths(motoServices).has('services[].deployments[].rolloutState')).toBe(true);
    expect(fieldPaths(motoTasks).has('tasks[].containers[].exitCode')).toBe(true);
    const [motoWeb] = responses.get('DescribeTaskDefinition')!;
    expect(fieldPaths(motoWeb).has('taskDefinition.requiresCompatibilities')).toBe(true);
  });

  it('every allow-list entry is still needed (moto returns it and the sandbox does not)', () => {
    for (const entry of ALLOWED_EXTRA_PATHS) {
      const [motoBody, sandboxBody] = responses.get(entry.operation)!;
      expect(fieldPaths(motoBody).has(entry.path), `${entry.operation} ${entry.path}: moto no longer returns it`).toBe(true);
      expect(fieldPaths(sandboxBody).has(entry.path), `${entry.operation} ${entry.path}: the sandbox returns it now`).toBe(false);
    }
  });
});

const queryCall = async (url: string, service: string, params: Record<string, string>): Promise<string> => {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH(service), 'x-amz-date': '20240101T000000Z' },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${params['Action']} against ${url} answered ${res.status}: ${text}`);
  return text;
};

/** Every element path of an XML answer below its root, list members as `[]`: `DescribeTargetGroupsResult.TargetGroups[].Port`. */
const xmlPaths = (element: XmlElement, prefix = '', into = new Set<string>()): Set<string> => {
  for (const child of element.children) {
    if (typeof child === 'string') continue;
    const path = child.name === 'member' ? `${prefix}[]` : prefix ? `${prefix}.${child.name}` : child.name;
    if (child.name !== 'member') into.add(path);
    xmlPaths(child, path, into);
  }
  return into;
};

const ELBV2 = { Version: '2015-12-01' };
const TARGET_GROUP = { name: 'demo-web', healthCheck: { path: '/health', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' }, deregistrationDelaySeconds: 20 };

describe.skipIf(!MOTO)(`ELBv2 target-group shapes: sandbox ⊇ moto_server${MOTO ? '' : ' (skipped: moto_server is not on PATH)'}`, () => {
  let moto: Moto;
  let sandbox: ApiServer;
  const answers = new Map<string, [Set<string>, Set<string>]>();
  /** The attribute keys each answered: [moto, sandbox]. */
  let attributeKeys: [string[], string[]] = [[], []];

  beforeAll(async () => {
    moto = await startMoto();
    const sandboxArn = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/demo-web/0123456789abcdef';
    sandbox = await startApiServer({
      port: 0,
      state: new SandboxState({ region: 'us-east-1', accountId: '000000000000' }, { now: () => Date.now() }, new SequentialIds()),
      events: { emit: () => {} },
      targetGroups: { targetGroups: () => [{ arn: sandboxArn, config: TARGET_GROUP }] },
    });
    const vpc = /<vpcId>([^<]+)<\/vpcId>/.exec(await queryCall(moto.url, 'ec2', { Action: 'CreateVpc', Version: '2016-11-15', CidrBlock: '10.0.0.0/16' }))?.[1];
    if (!vpc) throw new Error('moto CreateVpc returned no VPC id');
    const created = await queryCall(moto.url, 'elasticloadbalancing', {
      ...ELBV2,
      Action: 'CreateTargetGroup',
      Name: 'demo-web',
      Protocol: 'HTTP',
      Port: '80',
      VpcId: vpc,
      TargetType: 'ip',
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: '10',
      HealthCheckTimeoutSeconds: '5',
      HealthyThresholdCount: '2',
      UnhealthyThresholdCount: '2',
      'Matcher.HttpCode': '200',
    });
    const motoArn = /<TargetGroupArn>([^<]+)<\/TargetGroupArn>/.exec(created)?.[1];
    if (!motoArn) throw new Error(`moto CreateTargetGroup returned no ARN: ${created}`);
    const both = async (operation: string, motoParams: Record<string, string>, sandboxParams: Record<string, string>) => {
      const [m, x] = [await queryCall(moto.url, 'elasticloadbalancing', { ...ELBV2, Action: operation, ...motoParams }), await queryCall(sandbox.url, 'elasticloadbalancing', { ...ELBV2, Action: operation, ...sandboxParams })];
      answers.set(operation, [xmlPaths(parseXml(m)), xmlPaths(parseXml(x))]);
      if (operation === 'DescribeTargetGroupAttributes') attributeKeys = [findAll(parseXml(m), 'Key').map(textOf), findAll(parseXml(x), 'Key').map(textOf)];
    };
    await both('DescribeTargetGroups', { 'Names.member.1': 'demo-web' }, { 'Names.member.1': 'demo-web' });
    await both('DescribeTargetGroupAttributes', { TargetGroupArn: motoArn }, { TargetGroupArn: sandboxArn });
  }, 90_000);

  afterAll(async () => {
    await sandbox?.close();
    if (moto) await stopMoto(moto);
  });

  it.each(['DescribeTargetGroups', 'DescribeTargetGroupAttributes'])('%s: every element moto returns is in the sandbox answer', (operation) => {
    const [motoPaths, sandboxPaths] = answers.get(operation)!;
    expect(motoPaths.size, `moto's ${operation} answer has content`).toBeGreaterThan(3);
    const missing = [...motoPaths].filter((p) => !sandboxPaths.has(p)).sort();
    expect(missing, `${operation}: the sandbox lacks these elements that moto returns:\n  ${missing.join('\n  ')}`).toEqual([]);
  });

  it('DescribeTargetGroupAttributes: every attribute key moto returns, the sandbox returns too', () => {
    const [motoKeys, sandboxKeys] = attributeKeys;
    expect(motoKeys).toContain('deregistration_delay.timeout_seconds');
    expect(motoKeys.filter((k) => !sandboxKeys.includes(k))).toEqual([]);
  });
});

describe('the field-path differ itself', () => {
  it('reports nested paths missing from the candidate, merging array elements', () => {
    const reference = { a: { b: [{ c: 1 }, { d: [] }] }, e: null };
    const candidate = { a: { b: [{ c: 2 }] } };
    expect([...fieldPaths(reference)].sort()).toEqual(['a', 'a.b', 'a.b[].c', 'a.b[].d', 'e']);
    expect(missingPaths('Nothing', reference, candidate)).toEqual(['a.b[].d', 'e']);
    expect(missingPaths('Nothing', candidate, reference)).toEqual([]);
  });
});
