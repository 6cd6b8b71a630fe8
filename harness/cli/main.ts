// The firedrill command: parses the command line, runs one command, and maps failures to the
// documented exit codes. User mistakes print a message, not a stack trace.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../../lib/yaml-config.ts';
import { ExitCode, UserError } from './errors.ts';

// Each command is imported when it runs: the drill machinery (the SDKs, Playwright) takes seconds
// to load, and `recover`, `verify` or `--help` should not wait for it.
const commands: Record<string, () => Promise<(args: string[]) => Promise<number>>> = {
  sandbox: async () => (await import('./commands/sandbox.ts')).sandboxCommand,
  run: async () => (await import('./commands/run.ts')).runCommand,
  plan: async () => (await import('./commands/plan.ts')).planCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  validate: async () => (await import('./commands/validate.ts')).validateCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  metrics: async () => (await import('./commands/metrics.ts')).metricsCommand,
  verify: async () => (await import('./commands/verify.ts')).verifyCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  recover: async () => (await import('./commands/recover.ts')).recoverCommand,
};

const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const HELP = `firedrill: rollback drills for Amazon ECS services that ship by tag

Usage: firedrill <command> [options]

Commands:
  demo              Run every shipped scenario against the built-in sandbox (no AWS needed)
  run [SCENARIO...] Run rollback drills (default: every scenario in scenarios/ on the sandbox)
  plan SCENARIO     Print what a drill would do and the release diff; touches nothing
  validate --candidate TAG  Pre-release validation of a tag (5-minute budget by default)
  check             Security checks of a service's release (Security Hub ECS controls); read-only
  metrics [--window 30d]    Drill metrics over the run history, alert thresholds, Prometheus/EMF export
  report [--open]           Generate the HTML report (Allure Report 3) from the Allure results
  verify BUNDLE             Check a run's evidence bundle against its manifest.json
  recover           Restore the services of drills killed before their restore finished
  sandbox start     Run the built-in ECS-compatible sandbox in the foreground
  sandbox status    Show the sandbox's clusters, services, deployments and tasks

Options:
  -h, --help        Show help (also after a command: firedrill sandbox --help)
  -v, --version     Print the version

Exit codes: 0 ok, 1 a drill failed its expectations, 2 bad input or configuration
(nothing was touched), 3 the environment was unhealthy before the drill (nothing was
touched), 4 restore failed (the message says what state the service was left in).

Point the AWS CLI at a running sandbox:
  aws ecs describe-services --endpoint-url http://127.0.0.1:4599 --region us-east-1 \\
    --cluster firedrill --services demo
`;

const main = async (argv: string[]): Promise<number> => {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return ExitCode.ok;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const load = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!load) throw new UserError(`unknown command "${command}". Run \`firedrill --help\` to see the commands.`);
  return (await load())(rest);
};

const run = async () => {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`firedrill: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else if (error instanceof ConfigError) {
      process.stderr.write(`firedrill: ${error.message}\n`);
      process.exitCode = ExitCode.badInput;
    } else {
      process.stderr.write(`firedrill: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    }
  }
};

await run();
