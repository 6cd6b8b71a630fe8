// The sandbox load balancer against plain node:http servers standing in for tasks.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetGroupConfig } from '../../sandbox/types/config.ts';
import { ofKind, type SandboxEventBody } from '../../sandbox/index.ts';
import { defaultTiming } from '../../sandbox/control/timing.ts';
import { parseMatcher } from '../../sandbox/data/health-check.ts';
import { LoadBalancer } from '../../sandbox/data/load-balancer.ts';
import { freePort } from '../../sandbox/data/port-allocator.ts';
import { waitFor } from '../support/wait.ts';

const timing = { ...defaultTiming, scale: 0.01 };

/** A stand-in task: answers its name, with a settable health status and a held /slow path. */
interface FakeTarget {
  name: string;
  port: number;
  /** Paths of the requests it served, health checks excluded. */
  served: string[];
  healthStatus: number;
  /** Health checks get no answer at all. */
  hangHealth: boolean;
  /** Resolves when a /slow request has arrived; release() answers it. */
  slowArrived: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

let lb: LoadBalancer | undefined;
let events: SandboxEventBody[] = [];
const servers: FakeTarget[] = [];

afterEach(async () => {
  await lb?.shutdown();
  lb = undefined;
  await Promise.all(servers.splice(0).map((t) => t.close()));
  events = [];
});

const startLb = async (overrides: Partial<TargetGroupConfig> = {}): Promise<{ lb: LoadBalancer; arn: string; url: string }> => {
  const config: TargetGroupConfig = {
    name: 'web',
    listenerPort: 0,
    // Health-check timeouts far above the interval: a busy machine must not fail a check.
    healthCheck: {
      path: '/health',
      intervalSeconds: 5,
      timeoutSeconds: 100,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      matcher: '200',
    },
    deregistrationDelaySeconds: 10,
    ...overrides,
  };
  lb = await LoadBalancer.start({
    targetGroups: [config],
    timing,
    clock: { now: () => Date.now() },
    events: { emit: (event) => events.push(event) },
    region: 'us-east-1',
    accountId: '123456789012',
  });
  const listener = lb.listeners()[0];
  if (!listener) throw new Error('no listener');
  return { lb, arn: listener.targetGroupArn, url: listener.url };
};

const startTarget = async (name: string): Promise<FakeTarget> => {
  let release = (): void => undefined;
  let arrived = (): void => undefined;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      if (!target.hangHealth) res.writeHead(target.healthStatus).end();
      return;
    }
    target.served.push(req.url ?? '');
    if (req.url === '/slow') {
      arrived();
      void released.then(() => res.end(name));
      return;
    }
    if (req.url === '/reset') {
      req.socket.destroy();
      return;
    }
    if (req.url?.startsWith('/echo')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      });
      return;
    }
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const target: FakeTarget = {
    name,
    port: (server.address() as AddressInfo).port,
    served: [],
    healthStatus: 200,
    hangHealth: false,
    slowArrived,
    release,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  servers.push(target);
  return target;
};

const info = (t: { name: string; port: number }, revision = 1) => ({
  id: t.name,
  port: t.port,
  taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${revision}`,
});

const get = async (url: string): Promise<{ status: number; body: string }> => {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
};

const healthyOf = (balancer: LoadBalancer, arn: string, id: string) => () =>
  balancer.health(arn, id).state === 'healthy';

const switches = (): string[][] =>
  ofKind(events, 'traffic.switch').map((e) => e.healthyTargets.map((t) => t.target));

describe('target group naming', () => {
  it('builds deterministic ELBv2 ARNs and finds groups by ARN or name', async () => {
    const { lb, arn, url } = await startLb();
    expect(arn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/web\/[0-9a-f]{16}$/);
    expect(lb.targetGroupArn('web')).toBe(arn);
    expect(lb.targetGroupArn('api')).not.toBe(arn.replace('/web/', '/api/'));
    expect(lb.findTargetGroup(arn)?.name).toBe('web');
    expect(lb.findTargetGroup('web')?.name).toBe('web');
    expect(lb.findTargetGroup('api')).toBeUndefined();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(() => lb.health('arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/0', 'x')).toThrow(/Unknown target group/);
  });

  it('parses ELB matchers', () => {
    expect(parseMatcher('200')(200)).toBe(true);
    expect(parseMatcher('200')(204)).toBe(false);
    expect(parseMatcher('200,204')(204)).toBe(true);
    expect(parseMatcher('200-399')(302)).toBe(true);
    expect(parseMatcher('200-399')(404)).toBe(false);
    expect(() => parseMatcher('ok')).toThrow(/Invalid health check matcher/);
  });
});

describe('health checks', () => {
  it('takes a new target from initial to healthy and starts sending it traffic', async () => {
    const { lb, arn, url } = await startLb();
    const a = await startTarget('a');
    lb.register(arn, info(a));
    lb.register(arn, info(a));
    expect(lb.health(arn, 'a')).toMatchObject({ state: 'initial', reason: 'Elb.RegistrationInProgress' });
    await waitFor(healthyOf(lb, arn, 'a'), 15_000, 'a healthy');
    expect(await get(url)).toEqual({ status: 200, body: 'a' });

    expect(ofKind(events, 'target.registered')).toEqual([
      { kind: 'target.registered', targetGroup: 'web', target: 'a', port: a.port, taskDefinitionArn: info(a).taskDefinitionArn },
    ]);
    expect(ofKind(events, 'target.health').map((e) => [e.from, e.to])).toEqual([
      ['unused', 'initial'],
      ['initial', 'healthy'],
    ]);
    expect(switches()).toEqual([['a']]);
    expect(lb.describeTargets(arn)).toMatchObject([{ id: 'a', port: a.port, state: 'healthy' }]);
  });

  it('sends traffic round-robin to healthy targets only', async () => {
    const { lb, arn, url } = await startLb();
    const [a, b, c] = await Promise.all([startTarget('a'), startTarget('b'), startTarget('c')]);
    c.healthStatus = 503;
    for (const t of [a, b, c]) lb.register(arn, info(t));
    await waitFor(() => healthyOf(lb, arn, 'a')() && healthyOf(lb, arn, 'b')(), 15_000, 'a and b healthy');

    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) bodies.push((await get(url)).body);
    expect(bodies.filter((b) => b === 'a')).toHaveLength(5);
    expect(bodies.filter((b) => b === 'b')).toHaveLength(5);
    expect(c.served).toEqual([]);
  });

  it('takes a target failing its health path out of service, and back once it recovers', async () => {
    const { lb, arn, url } = await startLb();
    const [a, b] = await Promise.all([startTarget('a'), startTarget('b')]);
    lb.register(arn, info(a));
    lb.register(arn, info(b));
    await waitFor(() => healthyOf(lb, arn, 'a')() && healthyOf(lb, arn, 'b')(), 15_000, 'a and b healthy');

    b.healthStatus = 503;
    await waitFor(() => lb.health(arn, 'b').state === 'unhealthy', 15_000, 'b unhealthy');
    expect(lb.health(arn, 'b')).toEqual({
      state: 'unhealthy',
      reason: 'Target.ResponseCodeMismatch',
      description: 'Health checks failed with these codes: [503]',
    });
    const servedBefore = b.served.length;
    for (let i = 0; i < 6; i++) expect(await get(url)).toEqual({ status: 200, body: 'a' });
    expect(b.served).toHaveLength(servedBefore);

    b.healthStatus = 200;
    await waitFor(healthyOf(lb, arn, 'b'), 15_000, 'b healthy again');
    const bodies = [(await get(url)).body, (await get(url)).body];
    expect(bodies.sort()).toEqual(['a', 'b']);
    expect(switches()).toEqual([['a'], ['a', 'b'], ['a'], ['a', 'b']]);
  });

  it('reports a refused port as FailedHealthChecks', async () => {
    const { lb, arn } = await startLb();
    lb.register(arn, { ...info({ name: 'gone', port: await freePort() }) });
    await waitFor(() => lb.health(arn, 'gone').state === 'unhealthy', 15_000, 'gone unhealthy');
    expect(lb.health(arn, 'gone')).toMatchObject({ reason: 'Target.FailedHealthChecks' });
  });

  it('reports an unanswered health check as Timeout', async () => {
    const { lb, arn } = await startLb({
      healthCheck: { path: '/health', intervalSeconds: 5, timeoutSeconds: 20, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' },
    });
    const a = await startTarget('a');
    a.hangHealth = true;
    lb.register(arn, info(a));
    await waitFor(() => lb.health(arn, 'a').state === 'unhealthy', 15_000, 'a unhealthy');
    expect(lb.health(arn, 'a')).toMatchObject({ reason: 'Target.Timeout' });
  });
});

describe('forwarding', () => {
  it('answers 503 naming the target group when no target is healthy', async () => {
    const { lb, arn, url } = await startLb();
    expect(await get(url)).toMatchObject({ status: 503, body: expect.stringContaining('target group web') });
    const a = await startTarget('a');
    a.healthStatus = 500;
    lb.register(arn, info(a));
    expect((await get(url)).status).toBe(503);
    expect(a.served).toEqual([]);
  });

  it('forwards method, path, headers and body both ways and adds X-Forwarded headers', async () => {
    const { lb, arn, url } = await startLb();
    const a = await startTarget('a');
    lb.register(arn, info(a));
    await waitFor(healthyOf(lb, arn, 'a'), 15_000, 'a healthy');

    const res = await fetch(`${url}/echo?x=1`, { method: 'POST', body: 'hello', headers: { 'x-custom': 'yes' } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const echoed = (await res.json()) as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(echoed).toMatchObject({ method: 'POST', url: '/echo?x=1', body: 'hello' });
    expect(echoed.headers).toMatchObject({
      'x-custom': 'yes',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': new URL(url).port,
      host: new URL(url).host,
    });

    // A streamed upload without a length arrives whole.
    const streamed = await fetch(`${url}/echo`, {
      method: 'PUT',
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('part1-'));
          controller.enqueue(new TextEncoder().encode('part2'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(((await streamed.json()) as { body: string }).body).toBe('part1-part2');
  });

  it('answers 502 when the target resets the connection, and survives client aborts', async () => {
    const { lb, arn, url } = await startLb();
    const a = await startTarget('a');
    lb.register(arn, info(a));
    await waitFor(healthyOf(lb, arn, 'a'), 15_000, 'a healthy');

    expect((await get(`${url}/reset`)).status).toBe(502);
    expect(ofKind(events, 'proxy.error')).toHaveLength(1);

    const aborter = new AbortController();
    const aborted = fetch(`${url}/slow`, { signal: aborter.signal }).catch((err: Error) => err.name);
    await a.slowArrived;
    aborter.abort();
    expect(await aborted).toBe('AbortError');
    a.release();
    expect(await get(url)).toEqual({ status: 200, body: 'a' });
    expect(ofKind(events, 'proxy.error')).toHaveLength(1);
  });
});

describe('deregistration', () => {
  it('drains: no new requests, in-flight ones complete, unused after the delay', async () => {
    const { lb, arn, url } = await startLb({ deregistrationDelaySeconds: 300 });
    const [a, b] = await Promise.all([startTarget('a'), startTarget('b')]);
    lb.register(arn, info(a));
    await waitFor(healthyOf(lb, arn, 'a'), 15_000, 'a healthy');
    const inFlight = get(`${url}/slow`);
    await a.slowArrived;

    lb.register(arn, info(b, 2));
    await waitFor(healthyOf(lb, arn, 'b'), 15_000, 'b healthy');
    lb.deregister(arn, 'a');
    expect(lb.health(arn, 'a')).toEqual({
      state: 'draining',
      reason: 'Target.DeregistrationInProgress',
      description: 'Target deregistration is in progress',
    });
    for (let i = 0; i < 6; i++) expect(await get(url)).toEqual({ status: 200, body: 'b' });
    expect(a.served).toEqual(['/slow']);

    a.release();
    expect(await inFlight).toEqual({ status: 200, body: 'a' });
    await waitFor(() => lb.health(arn, 'a').state === 'unused', 15_000, 'a unused');
    expect(lb.health(arn, 'a')).toEqual({
      state: 'unused',
      reason: 'Target.NotRegistered',
      description: 'Target is not registered to the target group',
    });
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['target.draining', 'target.deregistered']));
    expect(lb.describeTargets(arn).map((t) => t.id)).toEqual(['b']);
  });

  it('loses no request while a steady stream moves from one target to another', async () => {
    const { lb, arn, url } = await startLb({ deregistrationDelaySeconds: 20 });
    const [a, b] = await Promise.all([startTarget('a'), startTarget('b')]);
    lb.register(arn, info(a));
    await waitFor(healthyOf(lb, arn, 'a'), 15_000, 'a healthy');

    const responses: Array<{ status: number; body: string }> = [];
    let running = true;
    const client = async (): Promise<void> => {
      while (running) responses.push(await get(url).catch((err: Error) => ({ status: 0, body: err.message })));
    };
    // Sequential keep-alive requests from several clients at once.
    const clients = [client(), client(), client(), client()];
    await waitFor(() => responses.length >= 40, 15_000, 'traffic on a');

    lb.register(arn, info(b, 2));
    await waitFor(healthyOf(lb, arn, 'b'), 15_000, 'b healthy');
    lb.deregister(arn, 'a');
    await waitFor(() => lb.health(arn, 'a').state === 'unused', 15_000, 'a unused');
    await a.close();
    const swapped = responses.length;
    await waitFor(() => responses.length >= swapped + 40, 15_000, 'traffic after the swap');
    running = false;
    await Promise.all(clients);

    expect(responses.filter((r) => r.status !== 200)).toEqual([]);
    expect(responses.slice(swapped).every((r) => r.body === 'b')).toBe(true);
    expect(responses.some((r) => r.body === 'a')).toBe(true);
    expect(switches()).toEqual([['a'], ['a', 'b'], ['b']]);
    expect(ofKind(events, 'proxy.error')).toEqual([]);
  });
});
