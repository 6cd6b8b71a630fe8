// `firedrill sandbox start|status`: run the built-in ECS-compatible sandbox, and look into it
// through the ECS API like any other client.

import { startSandbox, DEMO_TARGET_GROUP, PortInUseError } from '../../../sandbox/index.ts';
import { deployDemoService } from '../../ecs/demo-service.ts';
import { ecsClient } from '../../ecs/client.ts';
import { Driver } from '../../ecs/driver.ts';
import { formatSnapshot } from '../../ecs/snapshot.ts';
import { DeploymentFailedError, WaitTimeoutError } from '../../ecs/waits.ts';
import { parse, parsePort } from '../args.ts';
import { ExitCode, UserError, explainConnectionError } from '../errors.ts';

const START_USAGE = `Usage: firedrill sandbox start [--port N] [--config FILE] [--demo]

Runs the sandbox in the foreground on 127.0.0.1 until Ctrl-C (or SIGTERM), then stops every
process it started.

Options:
  --port N        ECS API port (default 4599; 0 picks a free port)
  --config FILE   Sandbox config YAML: images, secrets, target groups, timing profile
  --demo          Also deploy the demo service (cluster firedrill, service demo, 2 tasks of
                  firedrill/demo-app:v1.0.0 behind the load balancer, circuit breaker on)
`;

const STATUS_USAGE = `Usage: firedrill sandbox status [--endpoint URL] [--region R]

Prints the clusters, services, deployments and tasks of a running sandbox.

Options:
  --endpoint URL  ECS endpoint (default http://127.0.0.1:4599)
  --region R      Region (default us-east-1)
`;

const USAGE = `Usage: firedrill sandbox <start|status> [options]

${START_USAGE}
${STATUS_USAGE}`;

export const sandboxCommand = async (args: string[]): Promise<number> => {
  const [sub, ...rest] = args;
  if (sub === 'start') return start(rest);
  if (sub === 'status') return status(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return ExitCode.ok;
  }
  throw new UserError(`unknown sandbox command "${sub}".\n\n${USAGE}`);
};

const start = async (args: string[]): Promise<number> => {
  const { values } = parse(args, { port: { type: 'string' }, config: { type: 'string' }, demo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, START_USAGE);
  if (values.help) {
    process.stdout.write(START_USAGE);
    return ExitCode.ok;
  }
  const sandbox = await startSandbox({ port: parsePort(values.port, '--port'), configFile: values.config }).catch((error: unknown) => {
    if (error instanceof PortInUseError) throw new UserError(portInUseAdvice(error));
    throw error;
  });

  let stopped = false;
  const shutdown = async (signal: string) => {
    if (stopped) return;
    stopped = true;
    process.stdout.write(`\n${signal}: stopping the sandbox and every task it started...\n`);
    await sandbox.stop();
    process.stdout.write('sandbox stopped\n');
    process.exit(ExitCode.ok);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const out = process.stdout;
  out.write(`firedrill sandbox is running\n`);
  out.write(`  ECS endpoint   ${sandbox.endpoint}   (region ${sandbox.region}, account ${sandbox.accountId})\n`);
  for (const lb of sandbox.loadBalancers) out.write(`  load balancer  ${lb.url}   (target group ${lb.name})\n`);
  out.write(`  event log      ${sandbox.eventLogPath}\n`);
  out.write(`  task logs      ${sandbox.taskLogDir}\n\n`);

  if (values.demo) {
    const targetGroup = sandbox.loadBalancers.find((lb) => lb.name === DEMO_TARGET_GROUP);
    out.write('deploying the demo service (cluster firedrill, service demo, firedrill/demo-app:v1.0.0)...\n');
    let lastLine = '';
    const client = ecsClient({ endpoint: sandbox.endpoint, region: sandbox.region, agent: 'firedrill-sandbox-setup' });
    try {
      if (!targetGroup) throw new UserError(`the sandbox config has no target group named ${DEMO_TARGET_GROUP}, which the demo service uses`);
      await deployDemoService(
        client,
        { cluster: 'firedrill', service: 'demo', targetGroupArn: targetGroup.targetGroupArn, tag: 'v1.0.0', desiredCount: 2 },
        {
          timeoutMs: 60_000,
          onProgress: (line) => {
            if (line !== lastLine) out.write(`  ${line}\n`);
            lastLine = line;
          },
        },
      );
    } catch (error) {
      // A signal is already stopping everything (and exits); otherwise nothing may be left running
      // behind a failed start, or the process would stay up with its tasks after printing the error.
      if (stopped) return new Promise<number>(() => undefined);
      stopped = true;
      out.write('the demo service did not reach a steady state: stopping the sandbox and every task it started...\n');
      await sandbox.stop();
      if (error instanceof DeploymentFailedError || error instanceof WaitTimeoutError) {
        throw new UserError(
          `the demo service did not reach a steady state: ${error.message.replace(/\.$/, '')}. The sandbox was stopped; what it did is in ${sandbox.eventLogPath}, task output in ${sandbox.taskLogDir}.`,
          ExitCode.unhealthyBefore,
        );
      }
      throw error;
    } finally {
      client.destroy();
    }
    out.write(`demo service is steady: open ${targetGroup.url}/\n\n`);
  }
  out.write(`Try it with the AWS CLI:\n  aws ecs list-clusters --endpoint-url ${sandbox.endpoint} --region ${sandbox.region}\n`);
  out.write(`  firedrill sandbox status${sandbox.port === 4599 ? '' : ` --endpoint ${sandbox.endpoint}`}\n\nPress Ctrl-C to stop.\n`);
  // Stay in the foreground: the open servers keep the process alive until a signal arrives.
  return new Promise<number>(() => undefined);
};

/** One line: the port, what the sandbox wanted it for, and the flag that moves it. */
const portInUseAdvice = (error: PortInUseError): string =>
  error.purpose.kind === 'api'
    ? `cannot start the sandbox: 127.0.0.1:${error.port}, the port of its ECS API, is already in use. ` +
      'Stop what listens there (another sandbox? `firedrill sandbox status` shows it), or pass --port N for another port (0 picks a free one).'
    : `cannot start the sandbox: 127.0.0.1:${error.port}, the port of the load balancer for target group ${error.purpose.targetGroup}, is already in use. ` +
      `Stop what listens there, or pass --config FILE with another listenerPort for ${error.purpose.targetGroup} (0 picks a free one).`;

const status = async (args: string[]): Promise<number> => {
  const { values } = parse(args, { endpoint: { type: 'string' }, region: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, STATUS_USAGE);
  if (values.help) {
    process.stdout.write(STATUS_USAGE);
    return ExitCode.ok;
  }
  const endpoint = values.endpoint ?? 'http://127.0.0.1:4599';
  const driver = new Driver({ endpoint, region: values.region ?? 'us-east-1', agent: 'firedrill-sandbox-setup' });
  try {
    process.stdout.write(formatSnapshot(await driver.snapshot(), endpoint));
    return ExitCode.ok;
  } catch (error) {
    throw explainConnectionError(error, endpoint);
  } finally {
    driver.destroy();
  }
};
