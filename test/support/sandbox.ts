// A sandbox per test file: free ports, a temporary data directory, the default timing profile,
// and an SDK client pointed at it through the same factory the harness uses.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient, type Service, type Task } from '@aws-sdk/client-ecs';
import { ecsClient } from '../../harness/ecs/client.ts';
import { Driver } from '../../harness/ecs/driver.ts';
import { readEventLog, startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.ts';
import { missingFromPolicy, POLICY_FILE } from './iam-policy.ts';
import { waitFor } from './wait.ts';

export interface TestSandbox {
  sandbox: Sandbox;
  /** The test's own client: its calls are not the harness's. */
  ecs: ECSClient;
  /** A driver as the harness makes one, for harness code run in-process: its calls are checked against the IAM policy. */
  driver: Driver;
  demoTargetGroupArn: string;
  demoUrl: string;
  stop(): Promise<void>;
}

export const startTestSandbox = async (options: SandboxOptions = {}): Promise<TestSandbox> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'firedrill-sandbox-'));
  const sandbox = await startSandbox({
    port: 0,
    listenerPorts: 0,
    ...options,
    overrides: { dataDir, ...options.overrides },
  });
  // Named apart from the harness: the policy check below counts only the harness's own calls.
  const ecs = ecsClient({ endpoint: sandbox.endpoint, region: sandbox.region, agent: 'firedrill-test' });
  const driver = new Driver({ endpoint: sandbox.endpoint, region: sandbox.region });
  const demo = sandbox.loadBalancers.find((lb) => lb.name === 'demo-web');
  if (!demo) throw new Error('the default sandbox config should have the demo-web target group');
  return {
    sandbox,
    ecs,
    driver,
    demoTargetGroupArn: demo.targetGroupArn,
    demoUrl: demo.url,
    stop: async () => {
      ecs.destroy();
      driver.destroy();
      await sandbox.stop();
      // Least privilege, checked on every end-to-end run: each call the harness made to this
      // sandbox must be allowed by the documented IAM policy.
      const missing = missingFromPolicy(readEventLog(sandbox.eventLogPath));
      rmSync(dataDir, { recursive: true, force: true });
      if (missing.length > 0) throw new Error(`firedrill called ${missing.join(', ')}, which ${POLICY_FILE} does not allow: add them to the policy (and say why in the README)`);
    },
  };
};

export const service = async (ecs: ECSClient, cluster: string, name: string): Promise<Service> => {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  const found = out.services?.[0];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

export const tasks = async (ecs: ECSClient, cluster: string, name: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<Task[]> => {
  const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: name, desiredStatus }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
};

export const waitForService = (ecs: ECSClient, cluster: string, name: string, description: string, condition: (s: Service) => boolean, timeoutMs = 60_000) =>
  waitFor(async () => {
    const s = await service(ecs, cluster, name);
    return condition(s) ? s : undefined;
  }, timeoutMs, description);
