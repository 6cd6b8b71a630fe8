// The sandbox's one entry point: an ECS-compatible environment on loopback. Everything else
// (the harness, the CLI, tests) talks to it through the ECS API at `endpoint`.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FaultInjector, type FaultConfig } from './api/faults.ts';
import { FAULTS_PATH, startApiServer } from './api/server.ts';
import { defaultConfig, loadConfigFile, type SandboxConfig } from './config.ts';
import { Controller } from './control/controller.ts';
import type { Clock } from './control/ports.ts';
import { SandboxState } from './control/state.ts';
import type { TimingProfile } from './control/timing.ts';
import { LoadBalancer } from './data/load-balancer.ts';
import { ProcessRuntime } from './data/process-runtime.ts';
import { EventLog } from './event-log.ts';
import { randomIds } from './ids.ts';
import { assertPortFree } from './shared/port-in-use.ts';

export { DEMO_IMAGE, DEMO_SECRET_ARN, DEMO_TAGS, DEMO_TARGET_GROUP, DEFAULT_PORT } from './config.ts';
export type { SandboxConfig } from './config.ts';
export type { FaultConfig, FaultKind, OperationFaults } from './api/faults.ts';
export { FAULTS_PATH } from './api/server.ts';
export { ConfigError } from '../lib/yaml-config.ts';
export { PortInUseError, type PortPurpose } from './shared/port-in-use.ts';
export { readEventLog, type ReadEventLogOptions } from './event-log.ts';
export { ofKind } from './control/events.ts';
export type * from './control/events.ts';

export interface SandboxOptions {
  /** ECS API port; 0 picks a free one. Defaults to the config's port (4599). */
  port?: number;
  /** A sandbox config YAML file, applied on top of the defaults. */
  configFile?: string;
  /** Settings applied last, for tests and embedding. */
  overrides?: Partial<Omit<SandboxConfig, 'timing'>> & { timing?: Partial<TimingProfile> };
  /** Listener ports of the target groups: `0` for all of them picks free ports. */
  listenerPorts?: Record<string, number> | 0;
  clock?: Clock;
}

export interface LoadBalancerInfo {
  name: string;
  targetGroupArn: string;
  url: string;
}

export interface Sandbox {
  endpoint: string;
  port: number;
  region: string;
  accountId: string;
  loadBalancers: LoadBalancerInfo[];
  /** JSONL ground truth of everything the sandbox did: read it with readEventLog. */
  eventLogPath: string;
  /** One log file per task, named after the task id. */
  taskLogDir: string;
  config: SandboxConfig;
  /** `<endpoint>/_firedrill/faults`: GET, PUT (JSON) or DELETE the injected API faults. */
  faultsUrl: string;
  /** The same faults, in process. */
  faults: { get(): FaultConfig; set(config: FaultConfig): void; clear(): void };
  stop(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };

const resolveConfig = (options: SandboxOptions): SandboxConfig => {
  const base = options.configFile ? loadConfigFile(options.configFile) : defaultConfig();
  const { timing, ...rest } = options.overrides ?? {};
  const config: SandboxConfig = { ...base, ...rest, timing: { ...base.timing, ...timing } };
  if (options.port !== undefined) config.port = options.port;
  if (options.listenerPorts !== undefined) {
    const ports = options.listenerPorts;
    config.targetGroups = config.targetGroups.map((tg) => ({ ...tg, listenerPort: ports === 0 ? 0 : ports[tg.name] ?? tg.listenerPort }));
  }
  return config;
};

export const startSandbox = async (options: SandboxOptions = {}): Promise<Sandbox> => {
  const config = resolveConfig(options);
  const clock = options.clock ?? systemClock;
  const runDir = resolve(config.dataDir, `${new Date(clock.now()).toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  const taskLogDir = join(runDir, 'tasks');
  mkdirSync(taskLogDir, { recursive: true });
  const events = new EventLog(join(runDir, 'events.jsonl'), clock);

  const balancer = await LoadBalancer.start({
    targetGroups: config.targetGroups,
    timing: config.timing,
    clock,
    events,
    region: config.region,
    accountId: config.accountId,
  });
  const runtime = new ProcessRuntime({ images: config.images, secrets: config.secrets, timing: config.timing, clock, events, logDir: taskLogDir });
  const state = new SandboxState({ region: config.region, accountId: config.accountId }, clock, randomIds, (arn) => balancer.findTargetGroup(arn) !== undefined);
  const controller = new Controller({ state, runtime, balancer, clock, events, timing: config.timing });

  const tick = () => {
    try {
      controller.tick();
    } catch (error) {
      // One bad tick must not take the environment down; the next tick retries.
      events.emit({ kind: 'controller.error', message: error instanceof Error ? error.message : String(error) });
    }
  };
  let soon: NodeJS.Immediate | undefined;
  const tickSoon = () => {
    soon ??= setImmediate(() => {
      soon = undefined;
      tick();
    });
  };
  const interval = setInterval(tick, config.timing.tickMs);

  const faults = new FaultInjector(config.faults);
  let api: Awaited<ReturnType<typeof startApiServer>>;
  try {
    api = await startApiServer({ port: config.port, state, events, onMutation: tickSoon, faults, accountId: config.accountId, targetGroups: balancer, timing: config.timing });
  } catch (error) {
    clearInterval(interval);
    await Promise.allSettled([runtime.shutdown(), balancer.shutdown()]);
    throw error;
  }
  events.emit({ kind: 'sandbox.started', endpoint: api.url, listeners: balancer.listeners(), ...(config.faults ? { faults: faults.get() } : {}) });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(interval);
      if (soon) clearImmediate(soon);
      await api.close();
      await Promise.allSettled([runtime.shutdown(), balancer.shutdown()]);
      events.emit({ kind: 'sandbox.stopped' });
    })());

  return {
    endpoint: api.url,
    port: api.port,
    region: config.region,
    accountId: config.accountId,
    loadBalancers: balancer.listeners(),
    eventLogPath: events.path,
    taskLogDir,
    config,
    faultsUrl: `${api.url}${FAULTS_PATH}`,
    faults: {
      get: () => faults.get(),
      set: (c) => {
        faults.set(c);
        events.emit({ kind: 'faults.set', faults: faults.get() });
      },
      clear: () => {
        faults.clear();
        events.emit({ kind: 'faults.cleared' });
      },
    },
    stop,
  };
};

/**
 * Throws PortInUseError for the first port these options would listen on that something holds
 * (the ECS API's first, then each listener), and starts nothing: a caller can refuse before it
 * starts a run that would start the sandbox later. A ConfigError for a bad config file.
 */
export const checkSandboxPorts = async (options: SandboxOptions = {}): Promise<void> => {
  const config = resolveConfig(options);
  await assertPortFree(config.port, { kind: 'api' });
  for (const tg of config.targetGroups) await assertPortFree(tg.listenerPort, { kind: 'listener', targetGroup: tg.name });
};
