// Section 3: the sandbox's memory with 20 tasks running. The sandbox runs as `firedrill sandbox
// start` in a process of its own; a 20-task service of the demo task definition is created through
// the SDK; once all 20 are RUNNING and the service is steady, VmRSS is read from /proc for the
// sandbox process and for every process descended from it. Then the sandbox gets SIGTERM and
// every task process seen must be gone.

import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { ecsClient } from '../harness/ecs/client.ts';
import { DEMO_CONTAINER, DEMO_CONTAINER_PORT, demoTaskDefinition } from '../harness/ecs/demo-service.ts';
import { Driver } from '../harness/ecs/driver.ts';
import { isSteady } from '../harness/ecs/steady.ts';
import { summarizeService } from '../harness/ecs/waits.ts';
import { ofKind, readEventLog } from '../sandbox/index.ts';
import { DeadlineError, pollUntil, tempDir } from './lifecycle.ts';
import { kibToMib, print, progress, stats, table } from './report.ts';
import { seconds } from '../lib/format.ts';
import { commandLine, descendantsOf, procStat, stillThere, vmRssKib, type ProcInfo } from './procfs.ts';
import { startSandboxProcess } from './sandbox-process.ts';

const CLUSTER = 'bench';
const SERVICE = 'demo-20';
const TASKS = 20;
const SAMPLES = 5;
const SAMPLE_INTERVAL_MS = 200;

interface Sample {
  sandboxKib: number;
  /** Descendants that are task containers (pids from container.started in the event log). */
  tasksKib: number;
  tasks: number;
  /** Any other descendant: a process the sandbox runs besides the tasks' own. */
  othersKib: number;
  others: number;
}

export interface MemorySummary {
  sandboxKib: number;
  tasksKib: number;
  perTaskKib: number;
  survivors: number;
  tracked: number;
}

const runningTasks = async (ecs: ReturnType<typeof ecsClient>): Promise<Task[]> => {
  const arns = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return ((await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).tasks ?? []).filter((t) => t.lastStatus === 'RUNNING');
};

export const memoryBench = async (): Promise<MemorySummary> => {
  const workDir = tempDir('firedrill-bench-memory-');
  progress('starting a sandbox process (node bin/firedrill.js sandbox start --port 0 --config <tmp yaml>)');
  const sandbox = await startSandboxProcess(workDir.path).catch((error: unknown) => {
    workDir.remove();
    throw error;
  });
  const ecs = ecsClient({ endpoint: sandbox.endpoint, region: sandbox.region });
  const driver = new Driver({ region: sandbox.region, client: ecs });
  let stopped = false;
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    // The demo task definition without its container health check: with it, each of the 20 tasks
    // would spawn a `healthcheck` node process every 250 ms (5 ECS s at scale 0.05), 80 short-lived
    // processes a second that would load a 2-core machine and show up as descendants at random.
    const def = demoTaskDefinition('v1.0.0');
    const container = def.containerDefinitions?.[0];
    if (container) delete container.healthCheck;
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(def));
    const taskDefinition = registered.taskDefinition?.taskDefinitionArn;
    if (!taskDefinition) throw new Error('RegisterTaskDefinition returned no ARN');
    const createdAt = Date.now();
    await ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: SERVICE,
        taskDefinition,
        desiredCount: TASKS,
        launchType: 'FARGATE',
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } },
        loadBalancers: [{ targetGroupArn: sandbox.targetGroupArn, containerName: DEMO_CONTAINER, containerPort: DEMO_CONTAINER_PORT }],
      }),
    );
    progress(`created ${SERVICE} with ${TASKS} tasks; waiting for ${TASKS} RUNNING and a steady state`);
    let lastSeen = '';
    const tasks = await pollUntil(
      `${TASKS} RUNNING tasks and a steady service`,
      async () => {
        const s = await driver.describeService(CLUSTER, SERVICE);
        lastSeen = summarizeService(s);
        if (!isSteady(s) || s.runningCount !== TASKS) return undefined;
        const running = await runningTasks(ecs);
        return running.length === TASKS ? running : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, describe: () => lastSeen },
    );
    const steadyMs = Date.now() - createdAt;

    // Which descendants are task containers: the pids the sandbox logged when it started them.
    const running = new Set(tasks.map((t) => t.taskArn));
    const taskPids = new Set(
      ofKind(readEventLog(sandbox.eventLogPath), 'container.started')
        .filter((e) => running.has(e.taskArn))
        .flatMap((e) => (e.pid === undefined ? [] : [e.pid])),
    );

    progress(`steady after ${seconds(steadyMs, 2)}; sampling VmRSS ${SAMPLES} times, ${SAMPLE_INTERVAL_MS} ms apart`);
    const samples: Sample[] = [];
    const seen = new Map<number, ProcInfo>();
    const otherCommands = new Set<string>();
    await pollUntil(
      `${SAMPLES} memory samples`,
      () => {
        const sandboxKib = vmRssKib(sandbox.pid);
        if (sandboxKib === undefined) throw new Error(`the sandbox process ${sandbox.pid} is gone`);
        const descendants = descendantsOf(sandbox.pid);
        const sample: Sample = { sandboxKib, tasksKib: 0, tasks: 0, othersKib: 0, others: 0 };
        for (const p of descendants) {
          const kib = vmRssKib(p.pid) ?? 0;
          if (taskPids.has(p.pid)) {
            sample.tasksKib += kib;
            sample.tasks++;
          } else {
            sample.othersKib += kib;
            sample.others++;
            if (!seen.has(p.pid)) otherCommands.add(commandLine(p.pid).replace(/^\S*\//, '').slice(0, 60) || `pid ${p.pid}`);
          }
          if (!seen.has(p.pid)) seen.set(p.pid, p);
        }
        samples.push(sample);
        return samples.length >= SAMPLES ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: SAMPLE_INTERVAL_MS },
    );
    const median = (pick: (s: Sample) => number) => stats(samples.map(pick)) ?? { min: 0, median: 0, max: 0 };
    const own = median((s) => s.sandboxKib);
    const taskMem = median((s) => s.tasksKib);
    const nTasks = median((s) => s.tasks);
    const otherMem = median((s) => s.othersKib);
    const nOthers = median((s) => s.others);
    const total = median((s) => s.sandboxKib + s.tasksKib + s.othersKib);
    const seenTaskPids = [...seen.keys()].filter((pid) => taskPids.has(pid)).length;
    const range = (s: { min: number; max: number }) => `${kibToMib(s.min)} – ${kibToMib(s.max)}`;
    print(
      table(
        `Sandbox memory with ${TASKS} tasks RUNNING (VmRSS, MiB; median of ${SAMPLES} samples ${SAMPLE_INTERVAL_MS} ms apart)`,
        [{ header: 'what' }, { header: 'processes', align: 'right' }, { header: 'RSS MiB', align: 'right' }, { header: 'range', align: 'right' }],
        [
          [`sandbox process itself (pid ${sandbox.pid})`, '1', kibToMib(own.median), range(own)],
          ['descendants: task processes', String(nTasks.median), kibToMib(taskMem.median), range(taskMem)],
          [`  per task (÷ ${TASKS})`, '', kibToMib(taskMem.median / TASKS), ''],
          ['descendants: anything else', String(nOthers.median), kibToMib(otherMem.median), range(otherMem)],
          ['sandbox + all descendants', String(nTasks.median + nOthers.median + 1), kibToMib(total.median), range(total)],
        ],
        [
          `task definition: demo (firedrill/demo-app:v1.0.0, memory 256) WITHOUT its container health check (see bench/memory.ts); behind the demo-web LB.`,
          `${TASKS} RUNNING and steady ${seconds(steadyMs, 2)} after CreateService; ${seenTaskPids} of ${taskPids.size} task pids from the event log were among the descendants (walk of /proc/*/stat ppid).`,
          `other descendants seen while sampling: ${[...otherCommands].join(', ') || 'none'}.`,
        ],
      ),
    );

    // SIGTERM the sandbox; every process it started must go with it.
    const tracked = [...seen.values()];
    for (const pid of taskPids) {
      const p = procStat(pid);
      if (p && !seen.has(pid)) tracked.push(p);
    }
    progress(`sending SIGTERM to the sandbox (pid ${sandbox.pid}); tracking ${tracked.length} descendant pids`);
    const exit = await sandbox.stop();
    stopped = true;
    let survivors: ProcInfo[] = tracked.flatMap((p) => stillThere(p) ?? []);
    if (survivors.length > 0) {
      // A process the sandbox killed may still be on its way out; give it a deadline, not a guess.
      await pollUntil(
        'every task process to be gone',
        () => {
          survivors = tracked.flatMap((p) => stillThere(p) ?? []);
          return survivors.length === 0 ? true : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 50 },
      ).catch((error: unknown) => {
        if (!(error instanceof DeadlineError)) throw error;
      });
    }
    const zombies = survivors.filter((p) => p.state === 'Z').length;
    print(
      table(
        'After SIGTERM to the sandbox process',
        [{ header: 'check' }, { header: 'result' }],
        [
          ['sandbox exit', `${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`} ${exit.ms} ms after SIGTERM${exit.killed ? ' (SIGKILLed after the deadline!)' : ''}`],
          ['processes tracked', `${tracked.length} (every descendant seen while sampling, plus task pids from the event log)`],
          ['still alive', survivors.length === 0 ? '0: no task process survived' : `${survivors.length} (${zombies} zombie): pids ${survivors.map((p) => p.pid).join(' ')}`],
        ],
      ),
    );
    return { sandboxKib: own.median, tasksKib: taskMem.median, perTaskKib: taskMem.median / TASKS, survivors: survivors.length, tracked: tracked.length };
  } finally {
    ecs.destroy();
    if (!stopped) {
      progress('stopping the memory sandbox process');
      await sandbox.stop();
    }
    workDir.remove();
  }
};

export const summarizeMemory = (s: MemorySummary): string =>
  `20 tasks: sandbox ${kibToMib(s.sandboxKib)} MiB + tasks ${kibToMib(s.tasksKib)} MiB (${kibToMib(s.perTaskKib)} MiB/task), ${s.survivors === 0 ? 'no task survived SIGTERM' : `${s.survivors} of ${s.tracked} processes survived SIGTERM`}`;
