// Section 2: time from UpdateService to COMPLETED, for a healthy rolling update (v1.0.0 ->
// v1.1.0) and for a circuit-breaker rollback (v1.0.0 -> v9.9.9, a tag that does not exist, until
// the baseline deployment is COMPLETED again). Each run gets a fresh in-process sandbox and a
// fresh service. The figure is read from the sandbox's event log (ground truth); beside it, what a
// client polling DescribeServices every 100 ms saw. A run that ends another way (the breaker
// failing the healthy release on an overloaded machine, a deadline) is reported, not timed.

import { statSync } from 'node:fs';
import { RegisterTaskDefinitionCommand, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { ecsClient } from '../harness/ecs/client.ts';
import { demoTaskDefinition, deployDemoService } from '../harness/ecs/demo-service.ts';
import { Driver } from '../harness/ecs/driver.ts';
import { WaitTimeoutError, summarizeService } from '../harness/ecs/waits.ts';
import { DEMO_TARGET_GROUP, ofKind, readEventLog, startSandbox, type SandboxEvent } from '../sandbox/index.ts';
import { DeadlineError, onCleanup, pollUntil, tempDir } from './lifecycle.ts';
import { commandLine, descendantsOf, environValue } from './procfs.ts';
import { load1, ms, print, progress, stats, table } from './report.ts';
import { seconds } from '../lib/format.ts';

const CLUSTER = 'bench';
const POLL_MS = 100;
/** Per run, for the baseline and again for the update; a normal run needs a few seconds. */
const RUN_DEADLINE_MS = 30_000;

export type Scenario = 'update' | 'rollback';

interface Timed {
  ok: true;
  /** api.call UpdateService -> deployment.state COMPLETED of the deployment the run ends on, from the event log. */
  logMs: number;
  /** Rollback only: api.call UpdateService -> deployment.state FAILED of the bad deployment (the breaker tripping). */
  tripMs?: number;
  /** Just before UpdateService was sent -> the DescribeServices answer that first showed it COMPLETED. */
  clientMs: number;
  polls: number;
  /** Tasks the run's new deployment launched (for the rollback: tasks that failed to start). */
  launched: number;
}

interface Untimed {
  ok: false;
  why: string;
}

/** Task processes of the run's sandbox still alive after sandbox.stop() returned (then killed by the bench). */
type RunResult = (Timed | Untimed) & { leaked: string[]; keptLog?: string };

type Truth = Omit<Timed, 'clientMs' | 'polls'> | Untimed;
type Outcome = Timed | Untimed;

/** Why the sandbox stopped a deployment's tasks, from the event log, most frequent first. */
const stopReasons = (events: SandboxEvent[], deploymentId: string): string => {
  const counts = new Map<string, number>();
  for (const e of ofKind(events, 'task.stopping')) {
    if (e.deploymentId !== deploymentId) continue;
    counts.set(e.stoppedReason, (counts.get(e.stoppedReason) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n}× ${reason}`).join('; ') || 'no task stopped';
};

/** The ground truth of one run, once the sandbox has logged the end of it. */
const groundTruth = (events: SandboxEvent[], scenario: Scenario, newId: string, baselineId: string): Truth | undefined => {
  const update = ofKind(events, 'api.call').find((e) => e.operation === 'UpdateService' && e.status === 200);
  if (!update) return undefined;
  const after = events.filter((e) => e.epochMs >= update.epochMs);
  const launched = ofKind(after, 'task.launched').filter((e) => e.deploymentId === newId).length;
  const states = ofKind(after, 'deployment.state');
  const trip = states.find((e) => e.deploymentId === newId && e.rolloutState === 'FAILED');
  if (scenario === 'update') {
    if (trip) return { ok: false, why: `the circuit breaker failed the v1.1.0 deployment ${seconds(trip.epochMs - update.epochMs, 2)} in (${stopReasons(after, newId)})` };
    const done = states.find((e) => e.deploymentId === newId && e.rolloutState === 'COMPLETED');
    return done && { ok: true, logMs: done.epochMs - update.epochMs, launched };
  }
  const rollback = ofKind(after, 'deployment.rollback').find((e) => e.from === newId && e.to === baselineId);
  if (!trip || !rollback) return undefined;
  const done = states.find((e) => e.deploymentId === baselineId && e.rolloutState === 'COMPLETED' && e.epochMs >= rollback.epochMs);
  return done && { ok: true, logMs: done.epochMs - update.epochMs, tripMs: trip.epochMs - update.epochMs, launched };
};

const completedAs = (s: Service, deploymentId: string): boolean => {
  const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
  return primary?.id === deploymentId && primary.rolloutState === 'COMPLETED';
};

const oneRun = async (scenario: Scenario, index: number): Promise<RunResult> => {
  let outcome: Outcome;
  let leaked: string[] = [];
  let keptLog: string | undefined;
  const dataDir = tempDir('firedrill-bench-deploy-');
  const sandbox = await startSandbox({ port: 0, listenerPorts: 0, overrides: { dataDir: dataDir.path } }).catch((error: unknown) => {
    dataDir.remove();
    throw error;
  });
  const unregister = onCleanup('an in-process sandbox', () => sandbox.stop());
  const ecs = ecsClient({ endpoint: sandbox.endpoint, region: sandbox.region });
  const driver = new Driver({ region: sandbox.region, client: ecs });
  const serviceName = `demo-${scenario}-${index}`;
  try {
    const tg = sandbox.loadBalancers.find((lb) => lb.name === DEMO_TARGET_GROUP);
    if (!tg) throw new Error(`the default sandbox config has no ${DEMO_TARGET_GROUP} target group`);
    const { service } = await deployDemoService(ecs, { cluster: CLUSTER, service: serviceName, targetGroupArn: tg.targetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: RUN_DEADLINE_MS });
    const baselineId = service.deployments?.[0]?.id;
    if (!baselineId) throw new Error('the baseline service has no deployment');

    const tag = scenario === 'update' ? 'v1.1.0' : 'v9.9.9';
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(demoTaskDefinition(tag)));
    const taskDefinition = registered.taskDefinition?.taskDefinitionArn;
    if (!taskDefinition) throw new Error('RegisterTaskDefinition returned no ARN');

    // Only what the sandbox logs from here on: the events of the baseline's deployment are behind this offset.
    const offset = statSync(sandbox.eventLogPath).size;
    const sentAt = Date.now();
    const updated = await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: serviceName, taskDefinition }));
    const newId = updated.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
    if (!newId || newId === baselineId) throw new Error('UpdateService did not start a new PRIMARY deployment');
    const endId = scenario === 'update' ? newId : baselineId;

    let clientMs: number | undefined;
    let polls = 0;
    let truth: Truth | undefined;
    let lastSeen = '';
    await pollUntil(
      scenario === 'update' ? `deployment ${newId} to complete` : `the rollback to ${baselineId} to complete`,
      async () => {
        if (clientMs === undefined) {
          const s = await driver.describeService(CLUSTER, serviceName);
          polls++;
          lastSeen = summarizeService(s);
          if (completedAs(s, endId)) clientMs = Date.now() - sentAt;
        }
        truth ??= groundTruth(readEventLog(sandbox.eventLogPath, { fromByte: offset }), scenario, newId, baselineId);
        return truth?.ok === false || (clientMs !== undefined && truth) ? true : undefined;
      },
      { timeoutMs: RUN_DEADLINE_MS, intervalMs: POLL_MS, describe: () => `${lastSeen}; event log ${truth ? 'done' : 'not done'}` },
    );
    if (!truth || truth.ok === false) outcome = truth ?? { ok: false, why: 'no ground truth' };
    else if (clientMs === undefined) outcome = { ok: false, why: 'the client never saw COMPLETED' };
    else outcome = { ...truth, clientMs, polls };
  } catch (error) {
    if (error instanceof DeadlineError) outcome = { ok: false, why: error.message };
    else if (error instanceof WaitTimeoutError) outcome = { ok: false, why: `the v1.0.0 baseline: ${error.message}` };
    else throw error;
  } finally {
    ecs.destroy();
    await sandbox.stop();
    unregister();
    leaked = killLeftovers(sandbox.eventLogPath);
    // Processes left behind are a sandbox bug: keep its event log and task logs to look into.
    if (leaked.length > 0) {
      dataDir.keep();
      keptLog = sandbox.eventLogPath;
    } else {
      dataDir.remove();
    }
  }
  return { ...outcome, leaked, ...(keptLog !== undefined && { keptLog }) };
};

/**
 * After sandbox.stop() every task process must be gone. The in-process sandbox's tasks are
 * children of this process, logged with their pids (container.started): any of them still
 * alive now, or anything it started, was left behind. Note it and kill it.
 */
const killLeftovers = (eventLog: string): string[] => {
  let events: SandboxEvent[];
  try {
    events = readEventLog(eventLog);
  } catch {
    return []; // Removed already by a Ctrl-C cleanup.
  }
  const logged = new Set(ofKind(events, 'container.started').flatMap((e) => (e.pid === undefined ? [] : [e.pid])));
  const mine = descendantsOf(process.pid).filter((p) => p.state !== 'Z');
  const tasks = mine.filter((p) => logged.has(p.pid) && p.ppid === process.pid);
  const left = [...tasks, ...tasks.flatMap((t) => descendantsOf(t.pid))];
  return left.map((p) => {
    const what = `pid ${p.pid} ${commandLine(p.pid).replace(/^\S*\//, '')} (APP_VERSION=${environValue(p.pid, 'APP_VERSION') ?? '-'})`;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone in the meantime.
    }
    return what;
  });
};

export interface DeploymentSummary {
  update: RunResult[];
  rollback: RunResult[];
}

const timed = (results: RunResult[]) => results.filter((r): r is Extract<RunResult, { ok: true }> => r.ok);

export const deploymentBench = async (runs: number): Promise<DeploymentSummary> => {
  const results: DeploymentSummary = { update: [], rollback: [] };
  const loads: string[] = [];
  for (const scenario of ['update', 'rollback'] as const) {
    for (let i = 1; i <= runs; i++) {
      progress(`${scenario === 'update' ? 'rolling update v1.0.0 -> v1.1.0' : 'circuit-breaker rollback v1.0.0 -> v9.9.9'}: run ${i}/${runs} (fresh sandbox and service)`);
      loads.push(load1());
      const r = await oneRun(scenario, i);
      progress(r.ok ? `  ground truth ${ms(r.logMs)} ms, client saw it at ${ms(r.clientMs)} ms (${r.polls} polls)` : `  not timed: ${r.why}`);
      if (r.leaked.length > 0) progress(`  left running after sandbox.stop() (killed now): ${r.leaked.join('; ')}`);
      results[scenario].push(r);
    }
  }

  const row = (label: string, all: RunResult[], pick: (t: Timed) => number | undefined) => {
    const values = timed(all)
      .map(pick)
      .filter((v): v is number => v !== undefined);
    const s = stats(values);
    return [label, `${values.length}/${all.length}`, s ? ms(s.min) : '-', s ? ms(s.median) : '-', s ? ms(s.max) : '-', values.map(ms).join(' ')];
  };
  const u = results.update;
  const r = results.rollback;
  const failed = [...u.map((x, i) => ['update', i + 1, x] as const), ...r.map((x, i) => ['rollback', i + 1, x] as const)].flatMap(([kind, n, x]) =>
    x.ok ? [] : [`${kind} run ${n} not timed: ${x.why}`],
  );
  const leaks = [...u.map((x, i) => ['update', i + 1, x] as const), ...r.map((x, i) => ['rollback', i + 1, x] as const)].flatMap(([kind, n, x]) =>
    x.leaked.length === 0 ? [] : [`${kind} run ${n} left running after sandbox.stop(): ${x.leaked.join('; ')}; event log kept: ${x.keptLog ?? '-'}`],
  );
  print(
    table(
      `Time from UpdateService to COMPLETED (ms), ${runs} run(s) each, a fresh sandbox and service per run`,
      [
        { header: 'figure' },
        { header: 'timed', align: 'right' },
        { header: 'min', align: 'right' },
        { header: 'median', align: 'right' },
        { header: 'max', align: 'right' },
        { header: 'each timed run' },
      ],
      [
        row('rolling update v1.0.0 -> v1.1.0   event log', u, (x) => x.logMs),
        row('                                  client poll', u, (x) => x.clientMs),
        row('rollback (v9.9.9): breaker trip   event log', r, (x) => x.tripMs),
        row('rollback to baseline COMPLETED    event log', r, (x) => x.logMs),
        row('                                  client poll', r, (x) => x.clientMs),
      ],
      [
        'event log:   api.call UpdateService -> deployment.state COMPLETED of the new deployment (update) or of the baseline',
        '             deployment after the deployment.rollback event (rollback); breaker trip: -> deployment.state FAILED.',
        `client poll: sent UpdateService -> the first DescribeServices answer (every ${POLL_MS} ms) with that deployment PRIMARY and COMPLETED.`,
        'service: 2 tasks of the demo task definition (with its container health check), minimumHealthyPercent 100, maximumPercent 200,',
        `circuit breaker with rollback; sandbox timing profile: defaults (scale 0.05). Bad tasks launched before the trip: ${timed(r).map((x) => x.launched).join(' ') || '-'}.`,
        `1-minute load average as each run started: ${loads.join(' ')}.`,
        `task processes left running after sandbox.stop(), per run: ${[...u, ...r].map((x) => x.leaked.length).join(' ')}${leaks.length > 0 ? ' (the bench killed them)' : ''}.`,
        ...failed,
        ...leaks,
      ],
    ),
  );
  return results;
};

export const summarizeDeployments = (s: DeploymentSummary): string => {
  const u = stats(timed(s.update).map((x) => x.logMs));
  const r = stats(timed(s.rollback).map((x) => x.logMs));
  const untimed = [...s.update, ...s.rollback].filter((x) => !x.ok).length;
  const leaked = [...s.update, ...s.rollback].reduce((n, x) => n + x.leaked.length, 0);
  return `rolling update ${u ? seconds(u.median, 2) : '-'}, rollback ${r ? seconds(r.median, 2) : '-'} (medians, event log${untimed > 0 ? `; ${untimed} run(s) not timed` : ''}${leaked > 0 ? `; ${leaked} task process(es) outlived sandbox.stop()` : ''})`;
};
