// `firedrill validate --candidate TAG`: the pre-release validation suite, with a time budget.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seconds, secondsCompact } from '../../../lib/format.ts';
import { writeFileAtomic } from '../../../lib/fs/write-file-atomic.ts';
import { ROLLBACK_BUDGET_SECONDS } from '../../config/environment.ts';
import { loadEnvironment, loadScenario, checkScenarioAgainstEnvironment } from '../../config/load.ts';
import { Driver } from '../../ecs/driver.ts';
import { validateCandidate, ValidationRefused } from '../../run/validate.ts';
import { countBySeverity, formatFinding } from '../../security/findings.ts';
import { parseFailOn } from './check.ts';
import { LockHeldError } from '../../safety/lock.ts';
import { NotSteadyError, PreflightRefused } from '../../safety/preflight.ts';
import { parse, parseCandidateTag, serviceKeyOf } from '../args.ts';
import { historyFileFor, recordValidationHistory } from './metrics.ts';
import { ExitCode, UserError, explainConnectionError } from '../errors.ts';

const VALIDATE_USAGE = `Usage: firedrill validate --candidate TAG [--env NAME|FILE] [--service KEY]
                         [--budget SECONDS] [--rollback-budget SECONDS] [--fail-on high|medium|none]
                         [--scenario FILE] [--report-dir DIR] [--allow-production]

Pre-release validation of a candidate tag, within a time budget (default 300 s) that counts
everything it does to the service, the return to the current release included:
  1. security checks of the candidate (the current task definition with the candidate's image
     tag), as \`firedrill check\` runs them: a finding at or above --fail-on fails the validation
     before anything is deployed;
  2. deploy the candidate, until it is steady;
  3. drill a failing release on top of it (--scenario, or a missing image tag under the circuit
     breaker): the rollback path must bring the candidate back;
  4. roll back to the current release, within the rollback budget (default 600 s). This is also
     the restore: it runs whatever happened before.
Before anything is touched it predicts the run from the service's own settings (task
provisioning, health-check thresholds and intervals, grace period, deregistration delay, the
circuit-breaker threshold) and refuses (exit 2) when that cannot fit the budget, saying which
setting costs how much. It also runs the drill's preflight (the AWS account must be in the
environment's allowedAccountIds; production needs --allow-production; the blast radius of the
drill on the candidate must fit its caps), takes the service's drill lock for the whole run, and
waits (up to timeouts.baselineSeconds) for the service to be steady on its current release.
Exits 0 when every step passed within the budget, 1 otherwise (a security finding, a step that
failed, the budget spent), 2 for bad input, a guard's refusal or a budget the service cannot
meet, 3 when another drill holds the lock or the service is not steady, 4 when the service could
not be put back on the current release.
Writes <report dir>/validation-<time>.json, with the findings, the prediction and each step.

Options:
  --candidate TAG           The image tag to validate (required)
  --env NAME|FILE           Environment (default: sandbox)
  --service KEY             The environment's service (default: its only or first one)
  --budget SECONDS          Time budget of the whole validation (default 300)
  --rollback-budget SECONDS Budget of the rollback to the current release (default 600)
  --fail-on SEVERITY        Security findings that fail it: high (default), medium, or none
  --scenario FILE           The failing release to drill on top of the candidate
  --report-dir DIR          Where the report and the drill's journal go (default: reports)
  --allow-production        Consent to validate in an environment of kind production
`;

const positiveSeconds = (value: string | undefined, flag: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag} must be a positive number of seconds, not "${value}"`);
  return n;
};

export const validateCommand = async (args: string[]): Promise<number> => {
  const { values } = parse(
    args,
    {
      candidate: { type: 'string' },
      env: { type: 'string' },
      service: { type: 'string' },
      budget: { type: 'string' },
      'rollback-budget': { type: 'string' },
      'fail-on': { type: 'string' },
      scenario: { type: 'string' },
      'report-dir': { type: 'string' },
      'allow-production': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    VALIDATE_USAGE,
  );
  if (values.help) {
    process.stdout.write(VALIDATE_USAGE);
    return ExitCode.ok;
  }
  if (!values.candidate) throw new UserError(`--candidate TAG is required.\n\n${VALIDATE_USAGE}`);
  parseCandidateTag(values.candidate);
  const environment = loadEnvironment(values.env ?? 'sandbox');
  const env = environment.environment;
  const service = serviceKeyOf(env, values.service);
  const scenario = values.scenario ? loadScenario(values.scenario) : undefined;
  if (scenario) checkScenarioAgainstEnvironment(scenario, environment);
  const budgetMs = positiveSeconds(values.budget, '--budget', 300) * 1000;
  const rollbackBudgetMs = positiveSeconds(values['rollback-budget'], '--rollback-budget', ROLLBACK_BUDGET_SECONDS) * 1000;
  const failOn = parseFailOn(values['fail-on']);
  const reportDir = resolve(values['report-dir'] ?? 'reports');
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  const interrupt = new AbortController();
  const onSignal = () => {
    process.stderr.write('\nfiredrill: interrupted: restoring the current release first...\n');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const driver = new Driver({ endpoint: env.endpoint, region: env.region });
  const started = Date.now();
  try {
    process.stdout.write(`firedrill validate: candidate ${values.candidate} on ${env.name} (${env.cluster}/${env.services[service]!.service ?? service}), budget ${budgetMs / 1000} s\n`);
    const report = await validateCandidate({
      environment,
      service,
      candidate: values.candidate,
      driver,
      budgetMs,
      rollbackBudgetMs,
      failOn,
      scenario,
      reportDir,
      firedrillVersion: version,
      signal: interrupt.signal,
      allowProduction: values['allow-production'] ?? false,
      progress: (line) => process.stdout.write(`  ${secondsCompact(Date.now() - started).padStart(7)}  ${line}\n`),
    }).catch((error: unknown) => {
      if (error instanceof PreflightRefused) {
        const explained = explainConnectionError(error.cause, env.endpoint);
        throw explained instanceof UserError ? explained : new UserError(error.message);
      }
      if (error instanceof ValidationRefused) throw new UserError(error.message);
      if (error instanceof LockHeldError || error instanceof NotSteadyError) throw new UserError(error.message, ExitCode.unhealthyBefore);
      throw explainConnectionError(error, env.endpoint);
    });
    const file = join(reportDir, `validation-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
    recordValidationHistory(report, { historyFile: historyFileFor({ reportDir }), environment: env.name, at: started });
    if (report.findings.length > 0) process.stdout.write(`\nsecurity findings of ${values.candidate} (${countBySeverity(report.findings)}; fails on ${failOn}):\n${report.findings.map((f) => `  ${formatFinding(f)}`).join('\n')}\n`);
    process.stdout.write(
      `\nvalidation of ${values.candidate}: ${report.passed ? 'PASSED' : 'FAILED'} in ${seconds(report.durationMs)} (predicted ${seconds(report.prediction.ms, 0)})` +
        `${report.withinBudget ? '' : ` (over the ${budgetMs / 1000} s budget)`}\n  report: ${file}\n`,
    );
    if (!report.restored) return ExitCode.restoreFailed;
    return report.passed ? ExitCode.ok : ExitCode.drillFailed;
  } finally {
    driver.destroy();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
};
