// `firedrill run`: run scenarios against an environment, with live progress, and exit with the
// code of the worst outcome. Bad input is found before anything is touched.

import { resolve } from 'node:path';
import { checkScenarioAgainstEnvironment, loadEnvironment, loadScenario, resolveScenarioFiles } from '../../config/load.ts';
import { worstOutcome, exitCodeOf } from '../../journal/outcome.ts';
import { summarizeJournal } from '../../journal/summary.ts';
import { parse } from '../args.ts';
import { ExitCode, UserError } from '../errors.ts';
import { runDrillsInPlaywright } from '../drill-process.ts';
import { checkEmbeddedSandboxPorts } from '../embedded-sandbox.ts';
import { historyFileFor, recordHistory } from './metrics.ts';
import { writeReports } from '../../report/write-reports.ts';
import { clearAllureResults, generateReportDirHtml } from '../../report/allure-html.ts';
import { writeManifest } from '../../evidence/manifest.ts';
import { productionRefusal } from '../../safety/guard.ts';

export const RUN_USAGE = `Usage: firedrill run [SCENARIO...] [--env NAME|FILE] [--report-dir DIR] [--allow-production] [--no-html]

Runs rollback drills: each scenario injects a failing release, lets the rollback path bring
the baseline back, measures recovery, judges the expectations, smoke-tests the restored
service, and always restores it. Each drill writes <report dir>/<run id>/journal.json.

Arguments:
  SCENARIO          Scenario files, folders or globs (default: scenarios/*.yaml)

Options:
  --env NAME|FILE   Environment: a name in environments/ or a file (default: sandbox)
  --report-dir DIR  Where journals and evidence go (default: reports)
  --allow-production
                    Consent to drill an environment of kind production; each scenario must
                    also carry the tag "production". Without both, nothing is touched.
  --no-html         Skip the Allure HTML report (the journals, evidence, summary.md,
                    junit.xml and allure-results are written all the same); build it later
                    with \`firedrill report\`.

Before anything is touched, each drill checks that the credentials belong to one of the
environment's allowedAccountIds (STS GetCallerIdentity), that ECS answers for the cluster
and service the environment names, that the worst case stays within blastRadius, and takes
the service's drill lock (tags firedrill:lock*); a second drill on the same service is
refused with the holder's name.

Exit codes: 0 all passed, 1 a drill failed its expectations (or was interrupted), 2 bad
input or refused by a guard (nothing touched), 3 unhealthy or locked by another drill before
the drill (nothing touched), 4 restore failed.
`;

export interface RunPlan {
  scenarioFiles: string[];
  environment: ReturnType<typeof loadEnvironment>;
  reportDir: string;
  allowProduction: boolean;
  /** Build the Allure HTML report at the end (the default); the evidence is written either way. */
  html: boolean;
}

/** Loads and cross-checks everything first, so bad input never touches the environment. */
export const prepareRun = (patterns: string[], env: string | undefined, reportDir: string | undefined, allowProduction = false, html = true): RunPlan => {
  const environment = loadEnvironment(env ?? 'sandbox');
  const scenarioFiles = resolveScenarioFiles(patterns.length > 0 ? patterns : ['scenarios/*.yaml'], process.cwd());
  for (const file of scenarioFiles) {
    const loaded = loadScenario(file);
    checkScenarioAgainstEnvironment(loaded, environment);
    // The same rule the drill applies in preflight, here too so a refused run starts nothing at all.
    const refused = productionRefusal(environment.environment, loaded.scenario, allowProduction);
    if (refused) throw new UserError(`${loaded.file}: ${refused}`);
  }
  return { scenarioFiles, environment, reportDir: resolve(reportDir ?? 'reports'), allowProduction, html };
};

export const executeRun = async (plan: RunPlan): Promise<number> => {
  // This run's Allure results only: earlier runs reach the HTML report through its history file.
  clearAllureResults(plan.reportDir);
  const result = await runDrillsInPlaywright(plan);
  const { journals } = result;
  if (journals.length === 0) {
    throw new UserError(`no drill wrote a journal (Playwright exited with ${result.playwrightExitCode}); see the output above`, ExitCode.drillFailed);
  }
  recordHistory(journals, { historyFile: historyFileFor({ reportDir: plan.reportDir }) });
  const reports = writeReports(journals, plan.reportDir);
  // The reports added files to each run's bundle: the manifest is rewritten last so `verify` covers them.
  for (const journal of journals) writeManifest(resolve(plan.reportDir, journal.runId), { journal });
  process.stdout.write('\n');
  for (const journal of journals) process.stdout.write(`${summarizeJournal(journal)}\n  journal: ${resolve(plan.reportDir, journal.runId, 'journal.json')}\n\n`);
  const missing = plan.scenarioFiles.length - journals.length;
  if (missing > 0) process.stdout.write(`firedrill: ${missing} scenario(s) wrote no journal\n`);
  process.stdout.write(`firedrill: reports: ${resolve(plan.reportDir, 'summary.md')}, ${resolve(plan.reportDir, 'junit.xml')}, and a timeline.svg beside each journal (${reports.files.length} files)\n`);
  // The HTML report is a convenience on top of the evidence: a failure to build it is reported, never fatal.
  // It appends this run to <report dir>/allure-history.jsonl, which gives later reports their history and trend.
  if (plan.html) {
    await generateReportDirHtml(plan.reportDir)
      .then((html) => process.stdout.write(`firedrill: HTML report: ${html.index}\n`))
      .catch((error: unknown) => process.stderr.write(`firedrill: the Allure HTML report could not be built: ${error instanceof Error ? error.message : String(error)}\n`));
  }
  const outcome = worstOutcome(journals.map((j) => j.outcome));
  return missing > 0 && outcome === 'passed' ? ExitCode.drillFailed : exitCodeOf(outcome);
};

export const runCommand = async (args: string[]): Promise<number> => {
  const { values, positionals } = parse(
    args,
    { env: { type: 'string' }, 'report-dir': { type: 'string' }, 'allow-production': { type: 'boolean' }, 'no-html': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    RUN_USAGE,
  );
  if (values.help) {
    process.stdout.write(RUN_USAGE);
    return ExitCode.ok;
  }
  const plan = prepareRun(positionals, values.env, values['report-dir'], values['allow-production'] ?? false, !values['no-html']);
  await checkEmbeddedSandboxPorts(plan.environment, plan.reportDir);
  return executeRun(plan);
};
