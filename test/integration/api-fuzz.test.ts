// API fuzz: thousands of malformed requests against a running sandbox. Whatever a client sends
// (made-up operation names, wrong types, nulls, huge strings, deep nesting, unknown fields,
// garbage bytes, wrong content types, bad methods and paths, cut-off bodies, broken HTTP) the
// sandbox answers in AWS's shape with a 4xx, never crashes, never logs an api.exception, and
// still serves a normal DescribeClusters afterwards.
//
// Seeded: FIREDRILL_API_FUZZ_SEED=<n> reproduces a run; FIREDRILL_API_FUZZ_CASES=<n> sizes it.

import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsOperations } from '../../sandbox/api/operations.ts';
import { ofKind, readEventLog } from '../../sandbox/index.ts';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.ts';
import { mulberry32 } from '../../lib/prng.ts';

const SEED = Number(process.env.FIREDRILL_API_FUZZ_SEED ?? 20261127);
const CASES = Number(process.env.FIREDRILL_API_FUZZ_CASES ?? 3200);
const CONCURRENCY = 8;
const ECS = 'AmazonEC2ContainerServiceV20141113';
const SCRATCH = 'fuzz-scratch';
/** Never named by any generated input: it must come through the fuzz untouched. */
const KEEP = 'keep-me';

// ---- seeded randomness

const random = mulberry32(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const chance = (p: number): boolean => random() < p;

// ---- generators

const OPERATIONS = [...ecsOperations().keys()];
const FIELDS = [
  'cluster', 'clusters', 'clusterName', 'service', 'services', 'serviceName', 'taskDefinition', 'family', 'familyPrefix',
  'containerDefinitions', 'name', 'image', 'cpu', 'memory', 'memoryReservation', 'essential', 'portMappings', 'containerPort',
  'hostPort', 'protocol', 'environment', 'value', 'secrets', 'valueFrom', 'healthCheck', 'command', 'interval', 'timeout',
  'retries', 'startPeriod', 'entryPoint', 'networkMode', 'requiresCompatibilities', 'executionRoleArn', 'desiredCount',
  'deploymentConfiguration', 'minimumHealthyPercent', 'maximumPercent', 'deploymentCircuitBreaker', 'enable', 'rollback',
  'loadBalancers', 'targetGroupArn', 'containerName', 'healthCheckGracePeriodSeconds', 'launchType', 'forceNewDeployment',
  'tasks', 'task', 'reason', 'desiredStatus', 'maxResults', 'nextToken', 'status', 'sort', 'include', 'resourceArn', 'tags',
  'tagKeys', 'key', 'settings', 'force', 'startedBy', 'schedulingStrategy', 'deploymentController', 'type', 'networkConfiguration',
  'stopTimeout', 'dependsOn', 'condition', 'ulimits', 'logConfiguration', 'options', '__proto__', 'constructor', 'toString',
];
const STRINGS = [
  '', ' ', 'NaN', 'Infinity', '-Infinity', '-1', '0', 'null', 'true', '[]', '{}', 'undefined', '💥🔥', 'ünïcödé', '\u0000', '\ud800',
  '\u202e', '../../etc/passwd', '%00', '${jndi:ldap://x}', '<script>', SCRATCH, `${SCRATCH}/fuzz-svc`, 'fuzz-svc', 'fuzz-td', 'fuzz-td:1',
  'fuzz-td:0', 'fuzz-td:-1', 'fuzz-td:999999999999', 'fuzz/none:v0', `arn:aws:ecs:us-east-1:000000000000:cluster/${SCRATCH}`,
  `arn:aws:ecs:us-east-1:000000000000:service/${SCRATCH}/fuzz-svc`, 'arn:aws:ecs:us-east-1:000000000000:task-definition/fuzz-td:1',
  `arn:aws:ecs:us-east-1:000000000000:task/${SCRATCH}/0123456789abcdef0123456789abcdef`, 'arn:aws:', 'arn:::::', 'ZmlyZWRyaWxsOi0x',
  'ZmlyZWRyaWxsOjk5OTk5OTk5OTk5OTk5OTk5OTk5', 'ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS', 'RUNNING', 'STOPPED', 'FARGATE', 'EC2', 'awsvpc',
  'tcp', 'CMD-SHELL', 'DESC', 'TAGS', '__proto__',
];
const NUMBERS = [0, 1, 2, -1, -0.5, 1.5, 65536, 5001, 10001, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER];

const hugeString = (): string => pick(['a', 'é', '💥', '\\', '"', ' ']).repeat(pick([1024, 65_536, 300_000]));

const value = (depth: number): unknown => {
  const r = int(depth > 6 ? 6 : 10);
  switch (r) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return pick(NUMBERS);
    case 3:
    case 4:
      return pick(STRINGS);
    case 5:
      return chance(0.1) ? hugeString() : Array.from({ length: int(12) }, () => String.fromCharCode(32 + int(95))).join('');
    case 6:
    case 7:
      return Array.from({ length: int(5) }, () => value(depth + 1));
    default:
      return object(depth + 1);
  }
};

const object = (depth: number): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = int(6); i > 0; i--) Object.defineProperty(out, chance(0.9) ? pick(FIELDS) : `unknown${int(100)}`, { value: value(depth), enumerable: true, configurable: true, writable: true });
  return out;
};

const deeplyNested = (levels: number): string => (chance(0.5) ? '{"a":'.repeat(levels) + '1' + '}'.repeat(levels) : '['.repeat(levels) + ']'.repeat(levels));

const containers = () => [
  {
    name: 'app',
    image: 'fuzz/none:v0',
    memory: 128,
    essential: true,
    portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
    environment: [{ name: 'A', value: 'b' }],
    healthCheck: { command: ['CMD-SHELL', 'true'], interval: 5, timeout: 2, retries: 1 },
  },
];

/** A valid input per operation, all on the scratch cluster, to mutate one spot at a time. */
const baseInput = (op: string): Record<string, unknown> => {
  switch (op) {
    case 'CreateCluster':
    case 'DeleteCluster':
      return { clusterName: SCRATCH, cluster: SCRATCH, tags: [{ key: 'k', value: 'v' }] };
    case 'RegisterTaskDefinition':
      return { family: 'fuzz-td', containerDefinitions: containers(), networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', tags: [{ key: 'k', value: 'v' }] };
    case 'CreateService':
      return {
        cluster: SCRATCH,
        serviceName: 'fuzz-svc',
        taskDefinition: 'fuzz-td',
        desiredCount: 1,
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
        launchType: 'FARGATE',
      };
    case 'UpdateService':
      return { cluster: SCRATCH, service: 'fuzz-svc', taskDefinition: 'fuzz-td', desiredCount: 0, forceNewDeployment: true };
    case 'DeleteService':
      return { cluster: SCRATCH, service: 'fuzz-svc', force: true };
    case 'DeregisterTaskDefinition':
    case 'DescribeTaskDefinition':
      return { taskDefinition: 'fuzz-td:1', include: ['TAGS'] };
    case 'DescribeServices':
      return { cluster: SCRATCH, services: ['fuzz-svc'], include: ['TAGS'] };
    case 'DescribeClusters':
      return { clusters: [SCRATCH], include: ['TAGS'] };
    case 'ListTasks':
      return { cluster: SCRATCH, serviceName: 'fuzz-svc', desiredStatus: 'STOPPED', maxResults: 10 };
    case 'DescribeTasks':
    case 'StopTask':
      return { cluster: SCRATCH, tasks: [`arn:aws:ecs:us-east-1:000000000000:task/${SCRATCH}/0123456789abcdef0123456789abcdef`], task: '0123456789abcdef0123456789abcdef', reason: 'fuzz' };
    case 'TagResource':
    case 'UntagResource':
    case 'ListTagsForResource':
      return { resourceArn: `arn:aws:ecs:us-east-1:000000000000:cluster/${SCRATCH}`, tags: [{ key: 'k', value: 'v' }], tagKeys: ['k'] };
    default:
      return { cluster: SCRATCH, maxResults: 5, familyPrefix: 'fuzz', status: 'ACTIVE' };
  }
};

/** One spot of a valid input changed: deleted, retyped, nulled, wrapped, or an unknown field added. */
const mutate = (input: unknown, depth = 0): unknown => {
  if (input === null || typeof input !== 'object' || depth > 8 || chance(0.25)) {
    return pick<() => unknown>([() => value(depth), () => null, () => [input], () => ({ value: input }), () => hugeString(), () => pick(NUMBERS), () => undefined])();
  }
  if (Array.isArray(input)) {
    if (input.length === 0 || chance(0.2)) return [...input, value(depth)];
    const i = int(input.length);
    const copy = [...input];
    copy[i] = mutate(copy[i], depth + 1);
    return copy;
  }
  const copy = { ...(input as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || chance(0.15)) {
    copy[chance(0.5) ? pick(FIELDS) : `unknownField${int(10)}`] = value(depth);
    return copy;
  }
  const key = pick(keys);
  copy[key] = mutate(copy[key], depth + 1);
  return copy;
};

const flipOperationName = (name: string): string => {
  const i = int(name.length);
  return pick([
    () => name.toLowerCase(),
    () => name.toUpperCase(),
    () => name.slice(0, i) + name.slice(i + 1),
    () => name.slice(0, i) + String.fromCharCode(33 + int(94)) + name.slice(i),
    () => `${name} `,
    () => `${name}\t`,
    () => name + name,
    () => `${name}.${name}`,
  ])();
};

// ---- cases

interface Case {
  category: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** STS's awsQuery protocol answers in XML. */
  expectXml?: boolean;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'null');
const ecsHeaders = (target: string, contentType = 'application/x-amz-json-1.1'): Record<string, string> => ({ 'content-type': contentType, 'x-amz-target': target });

const GARBAGE: Array<() => Buffer> = [
  () => Buffer.from(Array.from({ length: 1 + int(512) }, () => int(256))),
  () => Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]),
  () => Buffer.concat([Buffer.from('{"cluster":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
  () => Buffer.from('\ufeff{}'),
  () => Buffer.from(' '.repeat(int(10_000)) + '{}'),
  () => Buffer.from('{"a":1,}'),
  () => Buffer.from("{'cluster':'x'}"),
  () => Buffer.from('{"cluster": NaN}'),
  () => Buffer.from('{"cluster": Infinity}'),
  () => Buffer.from('{"__proto__": {"polluted": true}, "clusters": ["x"]}'),
  () => Buffer.from(pick(['null', '1', '"x"', '[]', '[{}]', 'true', '-0', '1e999'])),
  () => Buffer.from(deeplyNested(pick([100, 1000, 20_000]))),
];

const nextCase = (): Case => {
  const op = pick(OPERATIONS);
  const r = int(100);
  if (r < 12) {
    const target = pick([
      () => `${ECS}.${flipOperationName(op)}`,
      () => `${ECS}.${Array.from({ length: 1 + int(30) }, () => String.fromCharCode(33 + int(94))).join('')}`,
      () => `${ECS}.`,
      () => ECS,
      () => op,
      () => `DynamoDB_20120810.ListTables`,
      () => `AWSSecurityTokenServiceV20110615.${flipOperationName('GetCallerIdentity')}`,
      () => `${ECS}.${'A'.repeat(10_000)}`,
      () => `${ECS}.${op}.${op}`,
      () => `${ECS}.__proto__`,
      () => `${ECS}.constructor`,
      () => `${ECS}.hasOwnProperty`,
      // Node's client sends header values as latin1: this puts the emoji's UTF-8 bytes on the wire.
      () => Buffer.from(`${ECS}.💥`, 'utf8').toString('latin1'),
    ])();
    return { category: 'operation name', method: 'POST', path: '/', headers: ecsHeaders(target), body: json(baseInput(op)) };
  }
  if (r < 40) return { category: 'generated input', method: 'POST', path: '/', headers: ecsHeaders(`${ECS}.${op}`), body: json(chance(0.85) ? object(0) : value(0)) };
  if (r < 70) return { category: 'mutated input', method: 'POST', path: '/', headers: ecsHeaders(`${ECS}.${op}`), body: json(mutate(baseInput(op)) ?? {}) };
  if (r < 80) return { category: 'garbage body', method: 'POST', path: '/', headers: ecsHeaders(`${ECS}.${op}`), body: pick(GARBAGE)() };
  if (r < 87) {
    const contentType = pick(['text/plain', 'application/json', 'application/x-amz-json-1.0', 'multipart/form-data; boundary=x', 'application/xml', '', '\u00e9']);
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    if (chance(0.6)) headers['x-amz-target'] = `${ECS}.${op}`;
    return { category: 'content type', method: 'POST', path: '/', headers, body: chance(0.5) ? json(baseInput(op)) : pick(GARBAGE)() };
  }
  if (r < 91) {
    // No x-amz-target and a form body: STS's query protocol, which must refuse anything but GetCallerIdentity in its own shape.
    const body = pick([
      () => `Action=${flipOperationName('GetCallerIdentity')}&Version=2011-06-15`,
      () => `Action=${encodeURIComponent(JSON.stringify(value(0)) ?? "")}`,
      () => 'Version=2011-06-15',
      () => '%%%&&&===',
      () => `Action=${'A'.repeat(50_000)}`,
      () => '',
    ])();
    return { category: 'sts query', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(body), expectXml: true };
  }
  const method = pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST', 'TRACE', 'PROPFIND']);
  const path = pick(['/', '/?Action=GetCallerIdentity', '/ecs', '//', '/../../etc/passwd', `/${'x'.repeat(4000)}`, '/%00', '/_firedrill', '/_firedrill/faults/x', '/_firedrill/faultz', '/?x=%ZZ', '*']);
  const m = method === 'POST' && path === '/' ? 'GET' : method;
  return { category: 'method or path', method: m, path, headers: ecsHeaders(`${ECS}.${op}`), body: m === 'GET' || m === 'HEAD' ? Buffer.alloc(0) : json(baseInput(op)) };
};

// ---- the wire

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/**
 * One request. A reset on a reused keep-alive socket is the race Node's docs describe (the server
 * closed it as idle just as it was reused) and is sent again once on a fresh socket; a reset on
 * a fresh socket is an answer that never came.
 */
const send = (port: number, c: Case, retried = false): Promise<Reply> =>
  sendOnce(port, c).catch((error: Error & { reusedSocket?: boolean; code?: string }) => {
    if (!retried && error.reusedSocket && error.code === 'ECONNRESET') return send(port, c, true);
    throw error;
  });

const sendOnce = (port: number, c: Case): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers: { ...c.headers, 'content-length': String(c.body.length) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.end(c.body);
  });

/** Raw bytes on a fresh socket: what an HTTP client library would refuse to send. Resolves with whatever came back. */
const raw = (port: number, bytes: Buffer, halfClose: boolean): Promise<string> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', done);
    socket.on('close', done);
    socket.setTimeout(5_000, () => socket.destroy());
    socket.write(bytes, () => {
      if (halfClose) socket.end();
    });
  });

const RAW_CASES: Array<{ name: string; bytes: () => Buffer; halfClose: boolean }> = [
  { name: 'truncated body', bytes: () => Buffer.from(`POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: ${ECS}.ListClusters\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 100\r\n\r\n{"maxRes`), halfClose: true },
  { name: 'truncated headers', bytes: () => Buffer.from(`POST / HTTP/1.1\r\nhost: x\r\nx-amz-tar`), halfClose: true },
  { name: 'garbage request line', bytes: () => Buffer.from(Array.from({ length: 200 }, () => int(256))), halfClose: false },
  { name: 'bad header name', bytes: () => Buffer.from(`POST / HTTP/1.1\r\nho st: x\r\ncontent-length: 2\r\n\r\n{}`), halfClose: false },
  { name: 'bad content-length', bytes: () => Buffer.from(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: -5\r\n\r\n{}`), halfClose: false },
  { name: 'two content-lengths', bytes: () => Buffer.from(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}`), halfClose: false },
  { name: 'bad chunked body', bytes: () => Buffer.from(`POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: ${ECS}.ListClusters\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`), halfClose: false },
  { name: 'huge header', bytes: () => Buffer.from(`POST / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 2\r\n\r\n{}`), halfClose: false },
  { name: 'HTTP/0.9', bytes: () => Buffer.from('GET /\r\n'), halfClose: false },
];

// ---- judging

const awsShapedJson = (reply: Reply): string | undefined => {
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    return `body is not JSON: ${reply.body.slice(0, 200)}`;
  }
  const b = body as { __type?: unknown; message?: unknown };
  if (typeof b !== 'object' || b === null) return 'body is not an object';
  if (typeof b.__type !== 'string' || b.__type === '') return 'no __type';
  if (typeof b.message !== 'string' || b.message === '') return 'no message';
  if (reply.headers['x-amzn-errortype'] !== b.__type) return `x-amzn-errortype ${String(reply.headers['x-amzn-errortype'])} differs from __type ${b.__type}`;
  return undefined;
};

const awsShapedXml = (reply: Reply): string | undefined => {
  const code = /<Code>([^<]+)<\/Code>/.exec(reply.body)?.[1];
  if (!/^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/.test(reply.body)) return `not an STS ErrorResponse: ${reply.body.slice(0, 200)}`;
  if (!code || !/<Message>[^<]+<\/Message>/.test(reply.body)) return 'no Code or Message';
  if (reply.headers['x-amzn-errortype'] !== code) return 'x-amzn-errortype differs from Code';
  return undefined;
};

/** Why a reply is wrong, or undefined when it is a proper answer. */
const judge = (c: Case, reply: Reply): string | undefined => {
  if (reply.status === 200) {
    if (c.expectXml) return 'STS query fuzz must not succeed';
    try {
      const parsed: unknown = JSON.parse(reply.body);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? undefined : 'a 200 with a body that is not a JSON object';
    } catch {
      return 'a 200 with a body that is not JSON';
    }
  }
  if (reply.status < 400 || reply.status > 499) return `HTTP ${reply.status}`;
  if (c.method === 'HEAD') return typeof reply.headers['x-amzn-errortype'] === 'string' ? undefined : 'HEAD answer without x-amzn-errortype';
  return c.expectXml ? awsShapedXml(reply) : awsShapedJson(reply);
};

// ---- the run

let t: TestSandbox;

beforeAll(async () => {
  t = await startTestSandbox();
  const setup = async (op: string, input: unknown) => {
    const reply = await send(t.sandbox.port, { category: 'setup', method: 'POST', path: '/', headers: ecsHeaders(`${ECS}.${op}`), body: json(input) });
    if (reply.status !== 200) throw new Error(`setup ${op}: ${reply.status} ${reply.body}`);
  };
  await setup('CreateCluster', { clusterName: KEEP });
  await setup('CreateCluster', { clusterName: SCRATCH });
  await setup('RegisterTaskDefinition', baseInput('RegisterTaskDefinition'));
});

afterAll(async () => {
  agent.destroy();
  await t?.stop();
});

describe('API fuzz', () => {
  it(`answers ${CASES} malformed requests in AWS's shape, never crashes, and keeps working (seed ${SEED})`, async () => {
    console.log(`api fuzz: seed ${SEED} (FIREDRILL_API_FUZZ_SEED=${SEED} reproduces), ${CASES} HTTP cases + ${RAW_CASES.length * 3} raw-socket cases`);
    const started = Date.now();
    const cases = Array.from({ length: CASES }, nextCase);
    const problems: string[] = [];
    const byCategory: Record<string, number> = {};
    const statuses: Record<number, number> = {};
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!;
        byCategory[c.category] = (byCategory[c.category] ?? 0) + 1;
        let reply: Reply;
        try {
          reply = await send(t.sandbox.port, c);
        } catch (error) {
          problems.push(`case ${i} (${c.category}, ${c.method} ${c.path.slice(0, 60)}, ${JSON.stringify(c.headers).slice(0, 200)}): no answer: ${(error as Error).message}`);
          continue;
        }
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        const wrong = judge(c, reply);
        if (wrong) problems.push(`case ${i} (${c.category}, ${c.method} ${c.path.slice(0, 60)}, ${JSON.stringify(c.headers).slice(0, 200)}, body ${c.body.toString('utf8').slice(0, 200)}): ${wrong}; got ${reply.status} ${reply.body.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    let rawAnswers = 0;
    for (let round = 0; round < 3; round++) {
      for (const rc of RAW_CASES) {
        const answer = await raw(t.sandbox.port, rc.bytes(), rc.halfClose);
        if (answer === '') continue;
        rawAnswers++;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
        if (!(status >= 400 && status <= 499)) problems.push(`raw ${rc.name}: status line ${answer.split('\r\n')[0]}`);
        else if (!/\r\nx-amzn-errortype: \w+/i.test(answer) || !/"__type":"\w+","message":"[^"]+"/.test(answer)) problems.push(`raw ${rc.name}: not AWS-shaped: ${answer.slice(0, 300)}`);
      }
    }
    const ms = Date.now() - started;
    console.log(`api fuzz: ${CASES + RAW_CASES.length * 3} cases in ${(ms / 1000).toFixed(1)} s (${JSON.stringify(byCategory)}; statuses ${JSON.stringify(statuses)}; ${rawAnswers} raw-socket answers); ${problems.length} problems`);

    const distinct = [...new Set(problems.map((p) => p.replace(/^case \d+ /, 'case ')))];
    expect(distinct.slice(0, 20), `${problems.length} problems (seed ${SEED})`).toEqual([]);

    // Never an unexpected exception: a 500 ServerException from the sandbox's own code is a bug.
    const exceptions = ofKind(readEventLog(t.sandbox.eventLogPath), 'api.exception', 'controller.error');
    expect(exceptions.slice(0, 5), `seed ${SEED}`).toEqual([]);

    // Still serving, and what the fuzz was never pointed at is untouched.
    const after = await send(t.sandbox.port, { category: 'after', method: 'POST', path: '/', headers: ecsHeaders(`${ECS}.DescribeClusters`), body: json({ clusters: [KEEP] }) });
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body).clusters).toEqual([expect.objectContaining({ clusterName: KEEP, status: 'ACTIVE' })]);
    // desiredCount had no ceiling: one call could have had the controller start two billion tasks in a tick.
    const huge = await send(t.sandbox.port, { category: 'after', method: 'POST', path: '/', headers: ecsHeaders(`${ECS}.CreateService`), body: json({ ...baseInput('CreateService'), serviceName: 'huge', desiredCount: 2 ** 31 - 1 }) });
    expect([huge.status, huge.headers['x-amzn-errortype']]).toEqual([400, 'InvalidParameterException']);
    const faults = await fetch(t.sandbox.faultsUrl);
    expect(await faults.json()).toEqual({ seed: 1, operations: {} });
  });
});
