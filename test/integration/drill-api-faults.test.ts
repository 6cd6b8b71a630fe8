// A drill against an ECS API having a bad day: a real bad-image-tag drill (runDrill, in this
// process, with firedrill's own SDK client) while the sandbox throttles and fails a seeded share
// of DescribeServices, UpdateService and RegisterTaskDefinition calls, and fails every
// DeregisterTaskDefinition until the SDK has given up on one: restore must push through. The
// journal's API figures must match, call for call, what the sandbox's event log says happened.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironment, loadScenario } from '../../harness/config/load.ts';
import type { ApiOperationStats } from '../../harness/ecs/api-stats.ts';
import { ECS_MAX_ATTEMPTS } from '../../harness/ecs/client.ts';
import { Driver } from '../../harness/ecs/driver.ts';
import { renderMarkdownSummary } from '../../harness/report/markdown.ts';
import { runDrill } from '../../harness/run/drill.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { FaultInjector } from '../../sandbox/api/faults.ts';
import { ofKind, readEventLog, type EventOf, type FaultConfig, type SandboxEvent } from '../../sandbox/index.ts';
import { SCENARIOS_DIR, writeEnvironment } from '../support/firedrill-cli.ts';
import { service, type TestSandbox } from '../support/sandbox.ts';
import { stage } from '../support/drill-stage.ts';
import { waitFor } from '../support/wait.ts';

const SEED = 5;
const FLAKY = { throttle: 0.2, error: 0.1 };
const DURING_DRILL: FaultConfig = {
  seed: SEED,
  operations: { DescribeServices: FLAKY, UpdateService: FLAKY, RegisterTaskDefinition: FLAKY, DeregisterTaskDefinition: { error: 1 } },
};
const AFTER_FIRST_DEREGISTER: FaultConfig = { seed: SEED, operations: { DescribeServices: FLAKY, UpdateService: FLAKY, RegisterTaskDefinition: FLAKY } };

let t: TestSandbox;
let dir: string;
let baselineArn: string;
let journal: Journal;
let events: SandboxEvent[];
let drillMs = 0;

beforeAll(async () => {
  // Tasks take 5 s to provision and fail their pull, not the default 0.2 s. On ECS the bad
  // deployment lives for minutes, far longer than the SDK's throttling backoff (up to 1 s, 2 s,
  // 4 s ...); at the default scale the circuit breaker rolls back in about a second, and a poller
  // in backoff can miss the bad deployment altogether. This keeps the two in ECS's proportion.
  const s = await stage({ sandbox: { overrides: { timing: { provisionSeconds: 100 } } } });
  ({ t, dir, baselineArn } = s);

  const put = await fetch(t.sandbox.faultsUrl, { method: 'PUT', body: JSON.stringify(DURING_DRILL) });
  expect(put.status).toBe(200);
  const driver = new Driver({ endpoint: t.sandbox.endpoint, region: t.sandbox.region });
  try {
    // Once the SDK has given up on a DeregisterTaskDefinition (every attempt a 500), ECS "recovers":
    // only restore calls it, so this is exactly restore meeting an outage longer than the SDK's retries.
    const recovery = waitFor(() => (driver.api.snapshot().byOperation.DeregisterTaskDefinition?.failed ?? 0) >= 1, 240_000, 'a DeregisterTaskDefinition to fail after every SDK attempt').then(() =>
      fetch(t.sandbox.faultsUrl, { method: 'PUT', body: JSON.stringify(AFTER_FIRST_DEREGISTER) }),
    );
    const started = Date.now();
    journal = await runDrill({
      scenario: loadScenario(join(SCENARIOS_DIR, 'bad-image-tag.yaml')),
      environment: loadEnvironment(writeEnvironment(dir, t, 'faulty-api')),
      driver,
      reportDir: join(dir, 'reports'),
      firedrillVersion: 'test',
    });
    drillMs = Date.now() - started;
    await recovery.catch(() => undefined);
  } finally {
    driver.destroy();
    await fetch(t.sandbox.faultsUrl, { method: 'DELETE' });
  }
  events = readEventLog(t.sandbox.eventLogPath);
}, 360_000);

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The drill's own: an ECS call (or fault) with firedrill's user agent, between the drill's start and end. */
const byDrill = (e: EventOf<'api.call' | 'api.fault'>): boolean =>
  e.service === 'ecs' && e.firedrill === true && e.epochMs >= journal.startedAt && e.epochMs <= journal.endedAt!;
const drillCalls = () => ofKind(events, 'api.call').filter(byDrill);
const drillFaults = () => ofKind(events, 'api.fault').filter(byDrill);

describe('a drill while the ECS API throttles and fails', () => {
  it('the seed gives inject no fault streak longer than the SDK rides out', () => {
    // Inject's calls run one at a time, so their faults come straight off each operation's stream.
    const streams = new FaultInjector(DURING_DRILL);
    for (const op of ['RegisterTaskDefinition', 'UpdateService']) {
      let run = 0;
      let longest = 0;
      for (let i = 0; i < 50; i++) {
        run = streams.decide(op).kind ? run + 1 : 0;
        longest = Math.max(longest, run);
      }
      expect(longest, op).toBeLessThan(ECS_MAX_ATTEMPTS);
    }
  });

  it('passes, restores the baseline and deregisters the bad revision despite an outage longer than the SDK retries', async () => {
    console.log(`drill under API faults: ${journal.outcome} in ${(drillMs / 1000).toFixed(1)} s; api ${JSON.stringify({ calls: journal.api?.calls, retries: journal.api?.retries, failed: journal.api?.failed, errors: journal.api?.errors })}`);
    expect(journal.outcome, JSON.stringify({ problems: journal.problems, verdicts: journal.verdicts, restore: journal.restore })).toBe('passed');
    expect(journal.restore.ok).toBe(true);
    expect(journal.restore.actions).toContain(`DeregisterTaskDefinition ${journal.injected!.taskDefinitionArn}`);
    expect(journal.problems.some((p) => /^restore: DeregisterTaskDefinition failed after the SDK's retries \(ServerException/.test(p)), JSON.stringify(journal.problems)).toBe(true);
    const after = await service(t.ecs, 'firedrill', 'demo');
    expect(after.taskDefinition).toBe(baselineArn);
    const bad = await t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: journal.injected!.taskDefinitionArn }));
    expect(bad.taskDefinition?.status).toBe('INACTIVE');
  });

  it('reports the retries and errors it survived', () => {
    const api = journal.api!;
    expect(api).toBeDefined();
    expect(api.retries).toBeGreaterThan(0);
    expect(api.errors.ThrottlingException).toBeGreaterThan(0);
    expect(api.errors.ServerException).toBeGreaterThan(ECS_MAX_ATTEMPTS - 1);
    // One call failed after every attempt; restore's next one succeeded (once the test saw the failure and lifted the fault).
    const deregister = api.byOperation.DeregisterTaskDefinition!;
    expect(deregister).toMatchObject({ calls: 2, failed: 1 });
    expect(deregister.errors.ServerException).toBeGreaterThanOrEqual(ECS_MAX_ATTEMPTS);
    expect(renderMarkdownSummary([journal])).toMatch(new RegExp(`\\*\\*ECS API:\\*\\* ${api.calls} calls, ${api.retries} retries, errors seen: .*ThrottlingException ×${api.errors.ThrottlingException}`));
  });

  it("matches the sandbox's event log call for call: calls, attempts, retries, failures and error codes per operation", () => {
    const calls = drillCalls();
    const byOperation: Record<string, ApiOperationStats> = {};
    const lastAttempt = new Map<string, { attempt: number; status: number }>();
    for (const e of calls) {
      const op = e.operation;
      const { attempt } = e;
      if (attempt === undefined) throw new Error(`a call of firedrill's SDK client without an attempt number: ${JSON.stringify(e)}`);
      const s = (byOperation[op] ??= { calls: 0, attempts: 0, retries: 0, failed: 0, errors: {} });
      s.attempts++;
      if (attempt === 1) s.calls++;
      else s.retries++;
      if (e.errorCode) s.errors[e.errorCode] = (s.errors[e.errorCode] ?? 0) + 1;
      const key = `${op} ${e.invocationId}`;
      const previous = lastAttempt.get(key);
      if (!previous || attempt > previous.attempt) lastAttempt.set(key, { attempt, status: e.status });
    }
    for (const [key, last] of lastAttempt) if (last.status !== 200) byOperation[key.split(' ')[0]!]!.failed++;
    expect(journal.api!.byOperation).toEqual(byOperation);

    // Every throttle and 500 the drill saw is a fault the sandbox injected, and the other way round.
    const faults = drillFaults().filter((e) => e.fault !== 'latency');
    const injected: Record<string, number> = {};
    for (const f of faults) injected[f.errorCode] = (injected[f.errorCode] ?? 0) + 1;
    const seen = Object.fromEntries(Object.entries(journal.api!.errors).filter(([code]) => code === 'ThrottlingException' || code === 'ServerException'));
    expect(seen).toEqual(injected);
    expect(ofKind(events, 'api.exception')).toEqual([]);
  });
});
