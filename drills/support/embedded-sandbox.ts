// For an environment of kind sandbox: when nothing answers at its endpoint, start the built-in
// sandbox there and deploy the demo service, so `npx playwright test` and `firedrill run` work
// on a fresh clone with nothing else running.

import type { Environment } from '../../harness/config/environment.ts';
import { ecsAnswers, embeddedSandboxOptions } from '../../harness/cli/embedded-sandbox.ts';
import { ecsClient } from '../../harness/ecs/client.ts';
import { deployDemoService } from '../../harness/ecs/demo-service.ts';
import { DEMO_TARGET_GROUP, startSandbox, type Sandbox } from '../../sandbox/index.ts';

export const ensureSandbox = async (env: Environment, reportDir: string, log: (line: string) => void): Promise<Sandbox | undefined> => {
  const options = embeddedSandboxOptions(env, reportDir);
  if (!options || (await ecsAnswers(env.endpoint!, env.region))) return undefined;
  const services = Object.entries(env.services);
  log(`starting the built-in sandbox at ${env.endpoint} (nothing answered there)`);
  const sandbox = await startSandbox(options);
  const targetGroup = sandbox.loadBalancers.find((lb) => lb.name === DEMO_TARGET_GROUP);
  if (!targetGroup) {
    await sandbox.stop();
    throw new Error(`the sandbox config has no target group ${DEMO_TARGET_GROUP} for the demo service`);
  }
  const client = ecsClient({ endpoint: sandbox.endpoint, region: env.region, agent: 'firedrill-sandbox-setup' });
  try {
    for (const [key, svc] of services) {
      log(`deploying the demo service ${svc.service ?? key} (2 tasks of firedrill/demo-app:v1.0.0)`);
      await deployDemoService(client, { cluster: env.cluster, service: svc.service ?? key, targetGroupArn: targetGroup.targetGroupArn, tag: 'v1.0.0', desiredCount: 2 }, { timeoutMs: 120_000 });
    }
  } catch (error) {
    await sandbox.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return sandbox;
};
