// `firedrill check`: the security checks of a service's release, read-only. validate runs the
// same checks on its candidate, and plan shows them.

import { seconds } from '../../../lib/format.ts';
import { rollingUpdate, worstCaseRollback, type ServiceTiming } from '../../analysis/deployment-time.ts';
import { loadEnvironment } from '../../config/load.ts';
import { Driver } from '../../ecs/driver.ts';
import { checkServiceRelease } from '../../run/release-checks.ts';
import { builtInCatchScenario } from '../../run/validate.ts';
import { assess } from '../../safety/preflight.ts';
import { ROLLBACK_BUDGET_MS } from '../../security/rollback.ts';
import { countBySeverity, FAIL_ON, failing, formatFinding, type FailOn } from '../../security/findings.ts';
import { parse, parseCandidateTag, serviceKeyOf } from '../args.ts';
import { ExitCode, UserError, explainConnectionError } from '../errors.ts';

const CHECK_USAGE = `Usage: firedrill check [--env NAME|FILE] [--service KEY] [--candidate TAG] [--fail-on high|medium|none] [--json]

Security checks of the service's release: its current task definition, or with --candidate the
one validate would deploy (the same with the candidate's image tag). Read-only: DescribeServices,
DescribeTaskDefinition, ListTasks/DescribeTasks and ELBv2 DescribeTargetGroups; nothing is touched.

Each finding has an id, a severity, the AWS Security Hub control it follows where one exists,
where it is (container and field) and what to change:
  plaintext-secret          a credential in a plain environment value (ECS.8), by name and value
  image-not-pinned          an image tagged latest or not at all
  candidate-tag-unchanged   a candidate tag that is the current release's
  image-pinned-by-digest    (info) releases by tag replace the digest
  privileged-container      privileged mode (ECS.4)
  root-user                 no user, or root (ECS.20; ECS.1 with host networking)
  writable-root-filesystem  readonlyRootFilesystem not set (ECS.5)
  host-network-mode         networkMode host (ECS.17)
  host-pid-mode             pidMode host (ECS.3)
  added-capabilities        linuxParameters.capabilities.add
  no-log-configuration      no logConfiguration (ECS.9)
  no-health-check           no health check on the essential container
  no-rollback-path          neither the circuit breaker nor deployment alarms roll back
  rollback-over-budget      the worst-case rollback the settings allow exceeds 10 minutes
A finding never shows a secret's value: it names the variable and what the value looks like.

Exits 1 when a finding at or above --fail-on (default high) is found, 0 otherwise, 2 for bad input.

Options:
  --env NAME|FILE   Environment (default: sandbox)
  --service KEY     The environment's service (default: its only or first one)
  --candidate TAG   Check the candidate validate would deploy, not the current release
  --fail-on S       high (default), medium, or none (report only)
  --json            Print the findings as JSON
`;

export const parseFailOn = (value: string | undefined): FailOn => {
  if (value === undefined) return 'high';
  if (!(FAIL_ON as readonly string[]).includes(value)) throw new UserError(`--fail-on must be high, medium or none, not "${value}"`);
  return value as FailOn;
};

/** The two figures the deployment math gives for a service, in one line each. */
export const timingLines = (timing: ServiceTiming): string[] => {
  const deploy = rollingUpdate(timing);
  const worst = worstCaseRollback(timing);
  return [
    `a rolling update takes about ${seconds(deploy.ms, 0)} (${timing.provisioningSource.replace(/^[\d.]+ s, /, 'provisioning ')})`,
    worst
      ? `the worst-case rollback by ECS takes about ${seconds(worst.ms, 0)} against the ${seconds(ROLLBACK_BUDGET_MS, 0)} budget`
      : 'ECS does not roll this service back by itself: no circuit breaker with rollback',
  ];
};

export const checkCommand = async (args: string[]): Promise<number> => {
  const { values } = parse(
    args,
    { env: { type: 'string' }, service: { type: 'string' }, candidate: { type: 'string' }, 'fail-on': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    CHECK_USAGE,
  );
  if (values.help) {
    process.stdout.write(CHECK_USAGE);
    return ExitCode.ok;
  }
  const failOn = parseFailOn(values['fail-on']);
  if (values.candidate !== undefined) parseCandidateTag(values.candidate);
  const environment = loadEnvironment(values.env ?? 'sandbox');
  const env = environment.environment;
  const service = serviceKeyOf(env, values.service);
  const serviceName = env.services[service]!.service ?? service;
  const driver = new Driver({ endpoint: env.endpoint, region: env.region });
  try {
    const deadline = driver.now() + env.timeouts.preflightSeconds * 1000;
    const assessment = await assess(driver, { env, serviceName, scenario: builtInCatchScenario(service).scenario, allowProduction: true }, { deadline });
    if (!assessment.service || !assessment.baseline) {
      const explained = explainConnectionError(assessment.serviceProblem?.error, env.endpoint);
      if (explained instanceof UserError) throw explained;
      const why = assessment.serviceProblem?.message ?? 'its task definition could not be described';
      throw new UserError(`cannot read service ${serviceName} in cluster ${env.cluster} (${why})${env.kind === 'sandbox' ? '; start the sandbox with `firedrill sandbox start --demo`' : ''}`);
    }
    const checks = await checkServiceRelease(driver, env, { service: assessment.service, baseline: assessment.baseline }, { candidateTag: values.candidate, call: { deadline } });
    const blocking = failing(checks.findings, failOn);
    if (values.json) {
      process.stdout.write(JSON.stringify({ service: serviceName, taskDefinition: assessment.baseline.taskDefinitionArn, candidate: values.candidate, failOn, findings: checks.findings, failed: blocking.length > 0 }, null, 2) + '\n');
    } else {
      const what = values.candidate === undefined ? `${assessment.baseline.taskDefinitionArn} (${assessment.baseline.image})` : `candidate ${values.candidate} of ${assessment.baseline.taskDefinitionArn}`;
      const out = [`firedrill check: ${env.name} ${env.cluster}/${serviceName}, ${what}`, ...timingLines(checks.timing).map((l) => `  ${l}`), ''];
      out.push(...checks.findings.map((f) => formatFinding(f)));
      out.push(`${checks.findings.length > 0 ? '\n' : ''}${countBySeverity(checks.findings)}; ${blocking.length > 0 ? `FAILED: ${blocking.length} at or above ${failOn}` : `passed (fails on ${failOn})`}`);
      process.stdout.write(out.join('\n') + '\n');
    }
    return blocking.length > 0 ? ExitCode.drillFailed : ExitCode.ok;
  } catch (error) {
    throw explainConnectionError(error, env.endpoint);
  } finally {
    driver.destroy();
  }
};
