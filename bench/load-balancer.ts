// Section 1: what the sandbox's load balancer costs. The demo service (2 tasks of v1.0.0) runs
// in a sandbox process of its own; autocannon, in this process, loads /api/version through the
// listener and then on one task's host port directly, with the same connections and duration.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import autocannon from 'autocannon';
import { ecsClient } from '../harness/ecs/client.ts';
import { deployDemoService } from '../harness/ecs/demo-service.ts';
import { onCleanup, tempDir, throwIfInterrupted } from './lifecycle.ts';
import { count, load1, ms, ms1, print, progress, ratio, table } from './report.ts';
import { startSandboxProcess } from './sandbox-process.ts';

const CLUSTER = 'bench';
const SERVICE = 'demo';
const CONNECTIONS = 10;
const WARMUP_SECONDS = 1;
const MEASURE_SECONDS = 5;

export interface LoadResult {
  target: string;
  url: string;
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  mean: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** The machine's 1-minute load average as the measured run started. */
  load: string;
}

export interface LoadBalancerSummary {
  lb: LoadResult;
  direct: LoadResult;
}

const onPath = (name: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** One autocannon run; Ctrl-C stops it. Only loopback URLs are ever loaded. */
const cannon = (url: string, seconds: number): Promise<autocannon.Result> => {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing to load ${url}: the bench only loads 127.0.0.1`);
  throwIfInterrupted();
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1 }, (error: unknown, result: autocannon.Result) => {
      unregister();
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    });
    const unregister = onCleanup(`autocannon on ${url}`, async () => instance.stop());
  });
};

const measure = async (target: string, url: string): Promise<LoadResult> => {
  progress(`${target}: ${WARMUP_SECONDS} s warm-up, then ${MEASURE_SECONDS} s × ${CONNECTIONS} connections on ${url}`);
  await cannon(url, WARMUP_SECONDS);
  const load = load1();
  const r = await cannon(url, MEASURE_SECONDS);
  throwIfInterrupted();
  return {
    target,
    url,
    requestsPerSecond: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.average,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    load,
  };
};

const versionAt = async (url: string): Promise<string> => {
  const res = await fetch(url);
  const body = (await res.json()) as { version?: string; pid?: number };
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return `${body.version ?? '?'} from pid ${body.pid ?? '?'}`;
};

export const loadBalancerBench = async (): Promise<LoadBalancerSummary> => {
  const workDir = tempDir('firedrill-bench-lb-');
  progress('starting a sandbox process for the load-balancer run');
  const sandbox = await startSandboxProcess(workDir.path).catch((error: unknown) => {
    workDir.remove();
    throw error;
  });
  const ecs = ecsClient({ endpoint: sandbox.endpoint, region: sandbox.region });
  try {
    progress(`deploying the demo service (2 tasks of v1.0.0) on ${sandbox.endpoint}`);
    await deployDemoService(ecs, { cluster: CLUSTER, service: SERVICE, targetGroupArn: sandbox.targetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: 60_000 });
    const arns = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'RUNNING' }))).taskArns ?? [];
    const tasks = arns.length > 0 ? ((await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).tasks ?? []) : [];
    const task = tasks.find((t) => t.lastStatus === 'RUNNING');
    const hostPort = task?.containers?.[0]?.networkBindings?.[0]?.hostPort;
    if (!task || hostPort === undefined) throw new Error('DescribeTasks shows no RUNNING task with a host port');

    const lbUrl = `${sandbox.lbUrl}/api/version`;
    const directUrl = `http://127.0.0.1:${hostPort}/api/version`;
    const lbAnswer = await versionAt(lbUrl);
    const directAnswer = await versionAt(directUrl);

    const lb = await measure('load balancer', lbUrl);
    const direct = await measure('task direct', directUrl);

    const row = (r: LoadResult) => [r.target, count(r.requestsPerSecond), count(r.total), ms1(r.p50), ms1(r.p99), ms1(r.mean), count(r.ok), count(r.non2xx), count(r.errors), count(r.timeouts), r.load];
    print(
      table(
        `Load balancer vs. one task hit directly — GET /api/version, ${CONNECTIONS} connections, ${MEASURE_SECONDS} s after a ${WARMUP_SECONDS} s warm-up (autocannon)`,
        [
          { header: 'target' },
          { header: 'req/s', align: 'right' },
          { header: 'requests', align: 'right' },
          { header: 'p50 ms', align: 'right' },
          { header: 'p99 ms', align: 'right' },
          { header: 'mean ms', align: 'right' },
          { header: '2xx', align: 'right' },
          { header: 'non-2xx', align: 'right' },
          { header: 'errors', align: 'right' },
          { header: 'timeouts', align: 'right' },
          { header: 'load', align: 'right' },
        ],
        [row(lb), row(direct)],
        [
          `load balancer  ${lbUrl}  (${lbAnswer} before the run; round-robin over 2 tasks)`,
          `task direct    ${directUrl}  (${directAnswer}; task ${task.taskArn?.split('/').at(-1) ?? '?'}, host port from DescribeTasks)`,
          'autocannon records latency in whole milliseconds; on loopback p50 is often at that resolution.',
          'load: the 1-minute load average as the measured run started; a proxy hop needs two more wake-ups per request, so it suffers most on a busy machine.',
          `the sandbox (listener + proxy) runs in its own process (pid ${sandbox.pid}); autocannon runs in this one.`,
          onPath('wrk') ? 'wrk is on PATH but not used: autocannon is the load generator here.' : 'wrk is not on PATH (and not needed): autocannon is the load generator here.',
        ],
      ),
    );
    const overhead = [
      ['throughput, LB ÷ direct', ratio(lb.requestsPerSecond / direct.requestsPerSecond)],
      ['p50 latency, LB − direct', `${ms1(lb.p50 - direct.p50)} ms`],
      ['p99 latency, LB − direct', `${ms1(lb.p99 - direct.p99)} ms`],
      ['mean latency, LB ÷ direct', ratio(lb.mean / direct.mean)],
    ];
    print(table('Load-balancer overhead', [{ header: 'figure' }, { header: 'value', align: 'right' }], overhead));
    return { lb, direct };
  } finally {
    ecs.destroy();
    progress('stopping the load-balancer sandbox process');
    await sandbox.stop();
    workDir.remove();
  }
};

export const summarizeLoadBalancer = (s: LoadBalancerSummary): string =>
  `LB ${count(s.lb.requestsPerSecond)} req/s vs direct ${count(s.direct.requestsPerSecond)} req/s (${ratio(s.lb.requestsPerSecond / s.direct.requestsPerSecond)}, p50 ${ms(s.lb.p50)} vs ${ms(s.direct.p50)} ms)`;
