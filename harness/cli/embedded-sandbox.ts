// The embedded sandbox of an environment of kind sandbox: the options it starts with (the
// drill fixtures start it, drills/support/embedded-sandbox.ts), and the check `firedrill run`
// and `firedrill demo` make before Playwright starts, so a port something else holds is one
// line from the command, not a failed drill in a worker.

import { join, relative, isAbsolute } from 'node:path';
import type { LoadedEnvironment } from '../config/load.ts';
import type { Environment } from '../config/environment.ts';
import { Driver } from '../ecs/driver.ts';
import { checkSandboxPorts, DEMO_TARGET_GROUP, PortInUseError, type SandboxOptions } from '../../sandbox/index.ts';
import { UserError } from './errors.ts';

/** Whether an ECS API answers at the endpoint (within 2 s). */
export const ecsAnswers = async (endpoint: string, region: string): Promise<boolean> => {
  const driver = new Driver({ endpoint, region, agent: 'firedrill-sandbox-setup' });
  try {
    return await driver.answers(2000);
  } finally {
    driver.destroy();
  }
};

/**
 * How the embedded sandbox starts for this environment: the API on the endpoint's port, the demo
 * target group's listener on the first service's URL port, the data under <report dir>/sandbox.
 * Undefined when the environment never starts one (not a sandbox, or `sandbox.embedded: false`).
 */
export const embeddedSandboxOptions = (env: Environment, reportDir: string): SandboxOptions | undefined => {
  if (env.kind !== 'sandbox' || !env.endpoint || env.sandbox?.embedded === false) return undefined;
  const first = Object.values(env.services)[0];
  return {
    port: Number(new URL(env.endpoint).port),
    configFile: env.sandbox?.config,
    listenerPorts: first ? { [DEMO_TARGET_GROUP]: Number(new URL(first.url).port) } : {},
    overrides: { dataDir: join(reportDir, 'sandbox') },
  };
};

const shown = (file: string): string => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
};

/**
 * Before a run on an environment whose embedded sandbox would start (nothing answers at its
 * endpoint): a UserError naming the port when something else holds one it needs, and the
 * setting that moves it. Nothing is started, nothing is touched.
 */
export const checkEmbeddedSandboxPorts = async (loaded: LoadedEnvironment, reportDir: string): Promise<void> => {
  const env = loaded.environment;
  const options = embeddedSandboxOptions(env, reportDir);
  if (!options) return;
  try {
    await checkSandboxPorts(options);
  } catch (error) {
    if (!(error instanceof PortInUseError)) throw error;
    // A sandbox already running there is what the drills use; it holds its listeners too.
    if (error.purpose.kind === 'api' && (await ecsAnswers(env.endpoint!, env.region))) return;
    const file = shown(loaded.file);
    const [key] = Object.keys(env.services);
    const start = `cannot start the built-in sandbox: 127.0.0.1:${error.port}`;
    if (error.purpose.kind === 'api') {
      throw new UserError(
        `${start}, the port of its ECS API, is in use by something that does not answer as ECS. ` +
          `Stop what listens there, or pass --env with a copy of ${file} whose endpoint uses a free port.`,
      );
    }
    if (error.purpose.targetGroup === DEMO_TARGET_GROUP) {
      throw new UserError(
        `${start}, the port of its load balancer for the ${key} service, is already in use. ` +
          `Stop what listens there, or pass --env with a copy of ${file} whose services.${key}.url uses a free port.`,
      );
    }
    const group = error.purpose.targetGroup;
    throw new UserError(
      `${start}, the port of its load balancer for target group ${group}, is already in use. ` +
        `Stop what listens there, or give ${group} another listenerPort in ${env.sandbox?.config ?? 'the sandbox config'} (sandbox.config in ${file}).`,
    );
  }
};
