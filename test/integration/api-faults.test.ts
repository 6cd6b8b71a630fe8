// API fault injection in the sandbox: throttling, 500s, 503s and latency, from the config file
// and from the admin endpoint, as raw HTTP, the AWS CLI and firedrill's own SDK client meet them.
// The sandbox's event log is the ground truth every count is checked against.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiCounterOf } from '../../harness/ecs/api-stats.ts';
import { ECS_MAX_ATTEMPTS, ecsClient } from '../../harness/ecs/client.ts';
import { FaultInjector } from '../../sandbox/api/faults.ts';
import { ofKind, readEventLog, type FaultConfig } from '../../sandbox/index.ts';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.ts';
import { isolatedAwsEnv } from '../support/aws-cli.ts';
import { waitFor } from '../support/wait.ts';

const execFileAsync = promisify(execFile);
const TARGET = 'AmazonEC2ContainerServiceV20141113';
/** Enough calls to meet both fault kinds; each throttle costs the SDK up to a second of backoff. */
const CALLS = 16;

let dir: string;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'firedrill-api-faults-'));
  cliEnv = isolatedAwsEnv(dir);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  errorType: string | null;
  body: Record<string, unknown>;
  ms: number;
}

/** One ECS call as raw HTTP, with no retries: exactly what the sandbox answered. */
const call = async (t: TestSandbox, operation: string, input: unknown = {}, userAgent = 'firedrill-test/1'): Promise<Answer> => {
  const started = performance.now();
  const res = await fetch(t.sandbox.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET}.${operation}`, 'user-agent': userAgent },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body, ms: performance.now() - started };
};

const admin = async (t: TestSandbox, method: 'GET' | 'PUT' | 'DELETE', body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(t.sandbox.faultsUrl, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const faultEvents = (t: TestSandbox, since = 0) => ofKind(readEventLog(t.sandbox.eventLogPath), 'api.fault').filter((e) => e.epochMs >= since);

/** Made by the AWS SDK: the sandbox logs the user-agent's leading token. */
const bySdk = (e: { client?: string }): boolean => e.client?.startsWith('aws-sdk-js/') === true;

describe('faults from the sandbox config file', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    const config = join(dir, 'sandbox-faults.yaml');
    writeFileSync(config, ['faults:', '  seed: 7', '  operations:', '    ListClusters: { throttle: 1 }', "    '*': { latencyMs: 5 }", ''].join('\n'));
    t = await startTestSandbox({ configFile: config });
  });
  afterAll(async () => t?.stop());

  it('throttles the configured operation from the first call, ECS-shaped, and leaves the others alone', async () => {
    const throttled = await call(t, 'ListClusters');
    expect(throttled.status).toBe(400);
    expect(throttled.errorType).toBe('ThrottlingException');
    expect(throttled.body).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });

    const fine = await call(t, 'DescribeClusters', { clusters: ['nope'] });
    expect(fine.status).toBe(200);

    const faults = faultEvents(t);
    expect(faults.filter((e) => e.operation === 'ListClusters')).toEqual([
      expect.objectContaining({ service: 'ecs', operation: 'ListClusters', fault: 'throttle', status: 400, errorCode: 'ThrottlingException', latencyMs: 5, client: 'firedrill-test/1', firedrill: false }),
    ]);
    // `*` applies to every operation: DescribeClusters was slowed, not failed.
    expect(faults.filter((e) => e.operation === 'DescribeClusters')).toEqual([expect.objectContaining({ fault: 'latency', latencyMs: 5 })]);
    expect(ofKind(readEventLog(t.sandbox.eventLogPath), 'sandbox.started')[0]?.faults).toEqual({ seed: 7, operations: { ListClusters: { throttle: 1 }, '*': { latencyMs: 5 } } });
  });

  it('the admin endpoint reports the faults the config file set, and DELETE turns them off', async () => {
    expect(await admin(t, 'GET')).toEqual({ status: 200, body: { seed: 7, operations: { ListClusters: { throttle: 1 }, '*': { latencyMs: 5 } } } });
    expect(await admin(t, 'DELETE')).toEqual({ status: 200, body: { seed: 1, operations: {} } });
    expect((await call(t, 'ListClusters')).status).toBe(200);
  });
});

describe('faults through the admin endpoint', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => t?.stop());
  afterEach(async () => {
    await admin(t, 'DELETE');
  });

  it('starts with no faults and refuses a bad configuration with an AWS-shaped 400, changing nothing', async () => {
    expect(await admin(t, 'GET')).toEqual({ status: 200, body: { seed: 1, operations: {} } });
    for (const bad of [
      '{not json',
      { operations: { ListClusters: { throttle: 1.5 } } },
      { operations: { ListClusters: { throttle: 0.6, error: 0.6 } } },
      { operations: { '*': { error: 0.7 }, ListClusters: { throttle: 0.5 } } },
      { operations: { 'List Clusters': { error: 0.1 } } },
      { seed: -1 },
      { operations: { ListClusters: { latencyMs: -5 } } },
      { operations: { ListClusters: { retry: true } } },
      [],
    ]) {
      const res = await fetch(t.sandbox.faultsUrl, { method: 'PUT', body: typeof bad === 'string' ? bad : JSON.stringify(bad) });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.headers.get('x-amzn-errortype'), JSON.stringify(bad)).toMatch(/^(SerializationException|InvalidParameterException)$/);
      const body = (await res.json()) as { __type: string; message: string };
      expect(body.__type).toBe(res.headers.get('x-amzn-errortype'));
      expect(body.message).toBeTruthy();
    }
    const post = await fetch(t.sandbox.faultsUrl, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    expect(await admin(t, 'GET')).toEqual({ status: 200, body: { seed: 1, operations: {} } });
  });

  it('renders each fault kind as ECS does and records it in the event log', async () => {
    expect((await admin(t, 'PUT', { operations: { ListClusters: { error: 1 }, DescribeClusters: { unavailable: 1 }, ListServices: { throttle: 1 } } })).status).toBe(200);
    const since = Date.now();
    const error = await call(t, 'ListClusters');
    expect([error.status, error.errorType, error.body.__type]).toEqual([500, 'ServerException', 'ServerException']);
    const unavailable = await call(t, 'DescribeClusters');
    expect([unavailable.status, unavailable.errorType, unavailable.body.__type]).toEqual([503, 'ServiceUnavailableException', 'ServiceUnavailableException']);
    const throttle = await call(t, 'ListServices');
    expect([throttle.status, throttle.errorType, throttle.body]).toEqual([400, 'ThrottlingException', { __type: 'ThrottlingException', message: 'Rate exceeded' }]);
    // Unknown operations are refused as before: there is nothing to fault.
    expect((await call(t, 'NoSuchOperation')).errorType).toBe('UnknownOperationException');

    expect(faultEvents(t, since).map((e) => [e.operation, e.fault, e.status, e.errorCode])).toEqual([
      ['ListClusters', 'error', 500, 'ServerException'],
      ['DescribeClusters', 'unavailable', 503, 'ServiceUnavailableException'],
      ['ListServices', 'throttle', 400, 'ThrottlingException'],
    ]);
    const calls = ofKind(readEventLog(t.sandbox.eventLogPath), 'api.call').filter((e) => e.epochMs >= since);
    expect(calls.map((e) => [e.operation, e.status, e.errorCode, e.fault])).toEqual([
      ['ListClusters', 500, 'ServerException', 'error'],
      ['DescribeClusters', 503, 'ServiceUnavailableException', 'unavailable'],
      ['ListServices', 400, 'ThrottlingException', 'throttle'],
      ['NoSuchOperation', 400, 'UnknownOperationException', undefined],
    ]);
    expect(ofKind(readEventLog(t.sandbox.eventLogPath), 'api.exception')).toEqual([]);
  });

  it('a faulted call never reaches the operation: a failed CreateCluster creates nothing', async () => {
    await admin(t, 'PUT', { operations: { CreateCluster: { error: 1 } } });
    expect((await call(t, 'CreateCluster', { clusterName: 'never-created' })).status).toBe(500);
    await admin(t, 'DELETE');
    const described = await call(t, 'DescribeClusters', { clusters: ['never-created'] });
    expect(described.body.clusters).toEqual([]);
  });

  it('the same seed gives the same faults, call for call, and the share follows the rate', async () => {
    const sequence = async (seed: number): Promise<string> => {
      await admin(t, 'PUT', { seed, operations: { ListClusters: { throttle: 0.3, error: 0.2 } } });
      let out = '';
      for (let i = 0; i < 60; i++) {
        const a = await call(t, 'ListClusters');
        out += a.status === 200 ? '.' : a.errorType === 'ThrottlingException' ? 'T' : a.errorType === 'ServerException' ? 'E' : '?';
        // Calls of another operation in between must not shift ListClusters' stream.
        if (i % 3 === 0) await call(t, 'DescribeClusters');
      }
      return out;
    };
    const first = await sequence(42);
    const again = await sequence(42);
    const other = await sequence(43);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    // The sandbox's streams are the FaultInjector's: the test can predict them exactly.
    const predicted = new FaultInjector({ seed: 42, operations: { ListClusters: { throttle: 0.3, error: 0.2 } } });
    const symbol = { throttle: 'T', error: 'E', unavailable: 'U', applied: 'A' } as const;
    const expected = Array.from({ length: 60 }, () => {
      const kind = predicted.decide('ListClusters').kind;
      return kind ? symbol[kind] : '.';
    }).join('');
    expect(first).toBe(expected);
    const throttled = [...first].filter((c) => c === 'T').length;
    const errors = [...first].filter((c) => c === 'E').length;
    expect(throttled).toBeGreaterThan(60 * 0.3 * 0.4);
    expect(throttled).toBeLessThan(60 * 0.3 * 1.8);
    expect(errors).toBeGreaterThan(60 * 0.2 * 0.4);
    expect(errors).toBeLessThan(60 * 0.2 * 1.8);
  });

  it('adds the configured latency to every matching call', async () => {
    await admin(t, 'PUT', { operations: { DescribeClusters: { latencyMs: 400 } } });
    const since = Date.now();
    const slow = await call(t, 'DescribeClusters');
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(400);
    const events = readEventLog(t.sandbox.eventLogPath).filter((e) => e.epochMs >= since);
    expect(ofKind(events, 'api.fault')).toEqual([expect.objectContaining({ operation: 'DescribeClusters', fault: 'latency', latencyMs: 400 })]);
    // The answer came after the delay: the call is logged no earlier than 400 ms after the test sent it.
    const logged = ofKind(events, 'api.call').find((e) => e.operation === 'DescribeClusters');
    expect(logged!.epochMs - since).toBeGreaterThanOrEqual(400);
  });

  // firedrill's client calls operations the harness really makes: every sandbox a test starts
  // checks the harness's calls against docs/iam-policy.json when it stops.
  it("firedrill's SDK client rides out throttling and 500s with backoff and counts what it survived", async () => {
    const faults: FaultConfig = { seed: 2024, operations: { ListTaskDefinitions: { throttle: 0.25, error: 0.15 } } };
    // Sequential calls draw the stream in order, so no call can meet more faults in a row than the stream has.
    const predicted = new FaultInjector(faults);
    let longest = 0;
    let run = 0;
    for (let i = 0; i < 200; i++) {
      run = predicted.decide('ListTaskDefinitions').kind ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest, 'seed 2024 must not fault more calls in a row than the client has attempts').toBeLessThan(ECS_MAX_ATTEMPTS);

    expect((await admin(t, 'PUT', faults)).status).toBe(200);
    const ecs = ecsClient({ endpoint: t.sandbox.endpoint, region: t.sandbox.region, agent: 'firedrill-test' });
    try {
      const since = Date.now();
      for (let i = 0; i < CALLS; i++) {
        const out = await ecs.send(new ListTaskDefinitionsCommand({}));
        expect(out.taskDefinitionArns).toBeDefined();
      }
      const stats = apiCounterOf(ecs)!.snapshot();
      // The client under test is the only SDK caller from here on; it names itself firedrill-test, so the policy check leaves it alone.
      const events = readEventLog(t.sandbox.eventLogPath).filter((e) => e.epochMs >= since);
      const faultsSeen = ofKind(events, 'api.fault').filter(bySdk);
      const attempts = ofKind(events, 'api.call').filter(bySdk);

      expect(stats.calls).toBe(CALLS);
      expect(stats.failed).toBe(0);
      expect(stats.retries).toBeGreaterThan(0);
      expect(stats.attempts).toBe(CALLS + stats.retries);
      // Every attempt the client counted is one the sandbox answered, and every error it saw is a fault the sandbox injected.
      expect(attempts).toHaveLength(stats.attempts);
      expect(stats.retries).toBe(faultsSeen.length);
      expect(stats.errors).toEqual({
        ...(faultsSeen.some((e) => e.fault === 'throttle') ? { ThrottlingException: faultsSeen.filter((e) => e.fault === 'throttle').length } : {}),
        ...(faultsSeen.some((e) => e.fault === 'error') ? { ServerException: faultsSeen.filter((e) => e.fault === 'error').length } : {}),
      });
      expect(stats.errors.ThrottlingException).toBeGreaterThan(0);
      expect(stats.errors.ServerException).toBeGreaterThan(0);
      expect(stats.byOperation.ListTaskDefinitions).toEqual({ calls: stats.calls, attempts: stats.attempts, retries: stats.retries, failed: 0, errors: stats.errors });
      // The event log tells calls and their retries apart, and the harness's own calls from a test's.
      expect(attempts.every((e) => e.firedrill === false)).toBe(true);
      expect(new Set(attempts.map((e) => e.invocationId)).size).toBe(CALLS);
      expect(attempts.filter((e) => e.attempt !== 1)).toHaveLength(stats.retries);
    } finally {
      ecs.destroy();
    }
  });

  it('a fault that outlasts the retries fails the call after every attempt, and the count says so', async () => {
    await admin(t, 'PUT', { operations: { DescribeTaskDefinition: { error: 1 } } });
    const ecs = ecsClient({ endpoint: t.sandbox.endpoint, region: t.sandbox.region, agent: 'firedrill-test' });
    try {
      const since = Date.now();
      await expect(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'firedrill-demo' }))).rejects.toMatchObject({ name: 'ServerException', $metadata: { httpStatusCode: 500, attempts: ECS_MAX_ATTEMPTS } });
      expect(apiCounterOf(ecs)!.snapshot()).toMatchObject({ calls: 1, attempts: ECS_MAX_ATTEMPTS, retries: ECS_MAX_ATTEMPTS - 1, failed: 1, errors: { ServerException: ECS_MAX_ATTEMPTS } });
      expect(faultEvents(t, since).filter(bySdk)).toHaveLength(ECS_MAX_ATTEMPTS);
    } finally {
      ecs.destroy();
    }
  });

  it('a call that hangs past the request timeout is abandoned and retried, so no wait outlives its deadline', async () => {
    // Every answer comes 5 s late; the client gives each attempt 300 ms.
    await admin(t, 'PUT', { operations: { ListTaskDefinitions: { latencyMs: 5_000 } } });
    const ecs = ecsClient({ endpoint: t.sandbox.endpoint, region: t.sandbox.region, agent: 'firedrill-test', requestTimeoutMs: 300 });
    try {
      const since = Date.now();
      await expect(ecs.send(new ListTaskDefinitionsCommand({}))).rejects.toMatchObject({ name: 'TimeoutError', $metadata: { attempts: ECS_MAX_ATTEMPTS } });
      expect(apiCounterOf(ecs)!.snapshot()).toMatchObject({ calls: 1, attempts: ECS_MAX_ATTEMPTS, failed: 1 });
      const gaveUpAt = Date.now();
      // Each attempt reached the sandbox and was given up on before its answer: the sandbox logs each one when it answers, 5 s late.
      const answered = await waitFor(() => {
        const late = faultEvents(t, since).filter((e) => e.operation === 'ListTaskDefinitions');
        return late.length >= ECS_MAX_ATTEMPTS ? late : undefined;
      }, 30_000, 'the sandbox to answer every abandoned attempt');
      expect(answered).toHaveLength(ECS_MAX_ATTEMPTS);
      expect(answered.at(-1)!.epochMs).toBeGreaterThan(gaveUpAt);
    } finally {
      ecs.destroy();
      await admin(t, 'DELETE');
    }
  });

  it('an applied fault lets the call take effect and loses the reply, so each retry of a registration registers again', async () => {
    await admin(t, 'PUT', { operations: { RegisterTaskDefinition: { applied: 1 } } });
    const ecs = ecsClient({ endpoint: t.sandbox.endpoint, region: t.sandbox.region, agent: 'firedrill-test' });
    try {
      const family = `lost-replies-${Date.now()}`;
      await expect(ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'web', image: 'firedrill/demo-app:v1.0.0', memory: 128 }] }))).rejects.toMatchObject({
        name: 'ServerException',
        $metadata: { attempts: ECS_MAX_ATTEMPTS },
      });
      await admin(t, 'DELETE');
      const listed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family }));
      expect(listed.taskDefinitionArns, 'every attempt took effect').toHaveLength(ECS_MAX_ATTEMPTS);
    } finally {
      ecs.destroy();
      await admin(t, 'DELETE');
    }
  });

  it('the AWS CLI sees ThrottlingException and Rate exceeded, and the event log names it as the client', async () => {
    await admin(t, 'PUT', { operations: { ListClusters: { throttle: 1 } } });
    const since = Date.now();
    let code = 0;
    let stderr = '';
    try {
      await execFileAsync('aws', ['ecs', 'list-clusters', '--endpoint-url', t.sandbox.endpoint, '--output', 'json'], { env: { ...cliEnv, AWS_MAX_ATTEMPTS: '1' }, timeout: 60_000 });
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      code = e.code ?? -1;
      stderr = e.stderr ?? '';
    }
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/ThrottlingException/);
    expect(stderr).toMatch(/Rate exceeded/);
    const fault = faultEvents(t, since)[0];
    expect(fault).toMatchObject({ operation: 'ListClusters', fault: 'throttle', firedrill: false });
    expect(fault?.client).toMatch(/^aws-cli\//);
  });
});
