// `firedrill demo`: the whole product on a laptop. Starts the built-in sandbox with the demo
// service (unless one already answers on the sandbox environment's endpoint), runs every
// shipped scenario against it, and says where the evidence is.

import { parse } from '../args.ts';
import { checkEmbeddedSandboxPorts } from '../embedded-sandbox.ts';
import { ExitCode, UserError } from '../errors.ts';
import { executeRun, prepareRun } from './run.ts';

const DEMO_USAGE = `Usage: firedrill demo [--report-dir DIR] [--env NAME|FILE]

Runs every shipped scenario (scenarios/*.yaml) against the built-in sandbox
(environments/sandbox.yaml): a sandbox is started on 127.0.0.1:4599 with the demo service behind
a load balancer on 127.0.0.1:4600 unless one is already running there. Needs no AWS account.

Options:
  --report-dir DIR  Where journals and evidence go (default: reports)
  --env NAME|FILE   Another environment of kind sandbox, e.g. a copy of environments/sandbox.yaml
                    with other ports in endpoint and services.demo.url (default: sandbox)
`;

export const demoCommand = async (args: string[]): Promise<number> => {
  const { values } = parse(args, { 'report-dir': { type: 'string' }, env: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, DEMO_USAGE);
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return ExitCode.ok;
  }
  const plan = prepareRun([], values.env ?? 'sandbox', values['report-dir']);
  const { kind } = plan.environment.environment;
  if (kind !== 'sandbox') {
    throw new UserError(`firedrill demo runs against a sandbox, and ${plan.environment.file} is an environment of kind ${kind}: use \`firedrill run --env ${values.env}\` for it.`);
  }
  await checkEmbeddedSandboxPorts(plan.environment, plan.reportDir);
  process.stdout.write(`firedrill demo: ${plan.scenarioFiles.length} scenarios against the sandbox; evidence goes to ${plan.reportDir}\n`);
  const code = await executeRun(plan);
  process.stdout.write(`firedrill demo: done (exit ${code}). Journals are in ${plan.reportDir}/<run id>/journal.json; the sandbox's own event log is in ${plan.reportDir}/sandbox/.\n`);
  return code;
};
