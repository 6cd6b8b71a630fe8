// `firedrill plan`: what a drill would do, call by call, and the diff between the baseline and
// the failing release, whether the safety guards would let it run, and the baseline's security
// checks. Only reads (DescribeServices, DescribeTaskDefinition, STS GetCallerIdentity, and for the
// checks ListTasks, DescribeTasks and ELBv2's target groups); touches nothing.

import { checkScenarioAgainstEnvironment, loadEnvironment, loadScenario, resolveScenarioFiles } from '../../config/load.ts';
import { Driver } from '../../ecs/driver.ts';
import { isSteady } from '../../ecs/steady.ts';
import { describeServiceState } from '../../ecs/waits.ts';
import { formatDiff, diffTaskDefinitions } from '../../releases/diff.ts';
import { mutateRelease, MutationError } from '../../releases/mutators.ts';
import { selectRollbackPath } from '../../rollback/paths.ts';
import { parse } from '../args.ts';
import { combineCaps } from '../../safety/blast-radius.ts';
import { assess } from '../../safety/preflight.ts';
import { checkServiceRelease } from '../../run/release-checks.ts';
import { formatFinding } from '../../security/findings.ts';
import { timingLines } from './check.ts';
import { ExitCode, UserError } from '../errors.ts';

const PLAN_USAGE = `Usage: firedrill plan SCENARIO [--env NAME|FILE] [--allow-production]

Prints what the drill would do, every API call and command in order, and the diff between the
baseline task definition and the failing release. It only reads from ECS; nothing is touched.

Options:
  --env NAME|FILE   Environment: a name in environments/ or a file (default: sandbox)
  --allow-production
                    As for \`firedrill run\`: plan a drill of a production environment.

It applies the guards \`firedrill run\` applies before touching anything (production, AWS
account, cluster and service, blast radius) and exits 2 when any would refuse the drill.
`;

export const planCommand = async (args: string[]): Promise<number> => {
  const { values, positionals } = parse(args, { env: { type: 'string' }, 'allow-production': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, PLAN_USAGE);
  if (values.help) {
    process.stdout.write(PLAN_USAGE);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UserError(`plan takes one scenario file.\n\n${PLAN_USAGE}`);
  const environment = loadEnvironment(values.env ?? 'sandbox');
  const [file] = resolveScenarioFiles(positionals, process.cwd());
  const loaded = loadScenario(file!);
  checkScenarioAgainstEnvironment(loaded, environment);
  const { scenario } = loaded;
  const env = environment.environment;
  const target = env.services[scenario.target.service]!;
  const serviceName = target.service ?? scenario.target.service;
  const out: string[] = [];
  const say = (line = '') => out.push(line);

  say(`Drill plan: ${scenario.name} on ${env.name} (${env.kind}). Nothing is touched by this command.`);
  say(`  ${scenario.description.trim()}`);
  say(`  scenario ${loaded.file} (sha256 ${loaded.hash.slice(0, 12)})`);
  say(`  target   cluster ${env.cluster}, service ${serviceName}, ${target.url}, ${env.endpoint ? `endpoint ${env.endpoint}` : `region ${env.region}`}`);

  // The drill's own preflight, read-only: what cannot be read is unknown, not refused (`run`
  // checks again, and may start the embedded sandbox first).
  const driver = new Driver({ endpoint: env.endpoint, region: env.region });
  let assessment;
  let checks;
  try {
    const deadline = driver.now() + env.timeouts.preflightSeconds * 1000;
    assessment = await assess(driver, { env, serviceName, scenario, allowProduction: values['allow-production'] ?? false }, { deadline });
    const { service, baseline } = assessment;
    // The release's security checks, as `firedrill check` runs them; unknown when they cannot be read.
    if (service && baseline) checks = await checkServiceRelease(driver, env, { service, baseline }, { call: { deadline } }).catch(() => undefined);
  } finally {
    driver.destroy();
  }
  const { baseline, service } = assessment;
  const baselineArn = baseline?.taskDefinitionArn ?? '<the service task definition>';
  let badSummary = `a ${scenario.release.kind} release`;
  if (baseline) {
    let mutated;
    try {
      mutated = mutateRelease(baseline.taskDefinition, scenario.release, { runId: 'plan' });
    } catch (error) {
      if (error instanceof MutationError) throw new UserError(`${loaded.file}: release: ${error.message}`);
      throw error;
    }
    badSummary = mutated.summary;
    say(`  baseline ${baselineArn}`);
    say(`  failing  ${mutated.summary}${mutated.ecsVisible ? '' : ' (invisible to ECS: only the gate can see it)'}`);
    say('');
    say('Diff, baseline -> failing release:');
    say(formatDiff(diffTaskDefinitions(baseline.taskDefinition, mutated.taskDefinition)).replace(/^/gm, '  '));
  } else {
    const why = assessment.serviceProblem?.message ?? 'its task definition could not be described';
    say(`  baseline could not be read (${why}); the diff needs a running environment${env.kind === 'sandbox' ? ': start one with `firedrill sandbox start --demo`' : ''}`);
  }

  const { account, accountChecked, accountProblem } = assessment;
  const refused = assessment.refusals;
  say('');
  say('Guards:');
  say(`  account      ${accountChecked ? (account ? `${account} (allowed: ${env.allowedAccountIds.join(', ')})` : `unknown: ${accountProblem ?? 'STS named no account'}; \`run\` checks it before touching anything`) : 'not checked (a sandbox with no allowedAccountIds)'}`);
  const cap = combineCaps(env.blastRadius, scenario.blastRadius);
  const capText = cap.maxTasks === undefined && cap.maxPercent === undefined ? 'no cap' : `cap ${[cap.maxTasks !== undefined ? `${cap.maxTasks} task(s)` : '', cap.maxPercent !== undefined ? `${cap.maxPercent}%` : ''].filter(Boolean).join(', ')}`;
  say(`  blast radius ${assessment.blastRadius ? `${assessment.blastRadius.affectedTasks} of ${assessment.blastRadius.desiredCount} task(s): ${assessment.blastRadius.why}` : 'unknown until the service can be read'}; ${capText}`);
  say(`  lock         taken in preflight as tags firedrill:lock* on the service; refused while another drill holds it`);
  say(`  steady       ${service ? (isSteady(service, baseline?.taskDefinitionArn) ? 'yes, on its baseline' : `not yet: ${describeServiceState(service)}; \`run\` waits up to timeouts.baselineSeconds (${env.timeouts.baselineSeconds} s), then refuses`) : 'unknown until the service can be read'}`);
  for (const reason of refused) say(`  REFUSED      ${reason}`);

  say('');
  say('Security checks (firedrill check) of the baseline:');
  if (checks) {
    for (const line of timingLines(checks.timing)) say(`  ${line}`);
    say(checks.findings.length === 0 ? '  no findings' : checks.findings.map((f) => formatFinding(f).replace(/^/gm, '  ')).join('\n'));
  } else {
    say('  unknown until the service and its target groups can be read');
  }

  const rollback = selectRollbackPath(scenario.rollback);
  const signals = scenario.gate.signals.map((s) => `${s.metric} > ${s.threshold} over ${s.windowSeconds} s (${s.failureLimit} in a row)`);
  const e = scenario.expectations;
  say('');
  say('Steps:');
  say(`  1 preflight  DescribeServices ${env.cluster}/${serviceName}; DescribeTaskDefinition ${baselineArn}`);
  say(`  2 baseline   DescribeServices every ${env.poll.intervalMs} ms until steady on the baseline; GET ${new URL(target.probePath, target.url)} every ${env.probe.intervalMs} ms;`);
  say(`               smoke: ${scenario.smoke.http.length} HTTP, ${scenario.smoke.browser.length} browser, ${scenario.smoke.specs.length} spec checks. Any failure: exit 3, nothing touched.`);
  say(`  3 inject     RegisterTaskDefinition (${badSummary}, tagged firedrill:run);`);
  say(
    scenario.rollout.method === 'update-service'
      ? `               UpdateService cluster=${env.cluster} service=${serviceName} taskDefinition=<the new revision>`
      : `               run the deploy command: ${scenario.rollout.command}`,
  );
  say(`  4 gate       watch ECS (failed tasks, FAILED deployment)${signals.length ? ` and the gate: ${signals.join('; ')}` : ''}`);
  say(`  5 rollback   ${rollback.describe({ cluster: env.cluster, service: serviceName, baselineTaskDefinition: baselineArn, placeholders: {} })}`);
  say(`  6 verify     until steady on ${baselineArn} and every probe good for ${e.stableWindowSeconds} s; then the smoke checks again`);
  say(`  7 restore    always: UpdateService back to the baseline if needed, wait steady, DeregisterTaskDefinition <the new revision>`);
  say(`  8 report     <report dir>/<run id>/journal.json`);
  say('');
  say('Expectations:');
  say(`  recovery within ${e.recoveryWithinSeconds} s${e.detectionWithinSeconds ? `; detection within ${e.detectionWithinSeconds} s` : ''}; bad release never COMPLETED: ${e.badReleaseNeverCompletes}`);
  say(`  bad deployment ends ${e.badDeploymentEnds}; bad release share of probes at most ${e.maxBadTrafficShare * 100}%; ends on the baseline: ${e.endsOnBaseline}`);
  process.stdout.write(out.join('\n') + '\n');
  if (refused.length > 0) {
    process.stderr.write(`firedrill: plan: \`firedrill run\` would refuse this drill: ${refused.join('; ')}\n`);
    return ExitCode.badInput;
  }
  return ExitCode.ok;
};
