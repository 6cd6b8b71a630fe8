// `firedrill report`: the HTML report (Allure Report 3, offline, no Java) from the
// allure-playwright results that drills wrote under the report dir.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { allurePaths, generateReportDirHtml } from '../../report/allure-html.ts';
import { parse } from '../args.ts';
import { ExitCode, UserError } from '../errors.ts';

export const REPORT_USAGE = `Usage: firedrill report [--report-dir DIR] [--open]

Generates the HTML report with Allure Report 3 from <report dir>/allure-results, which
\`firedrill run\` fills with its drills, into <report dir>/allure-report. Works offline. Earlier
runs show in each drill's history and in the trend charts from <report dir>/allure-history.jsonl,
which every build reads and then appends to (a rebuild of the same results replaces its entry).

Options:
  --report-dir DIR  Where the drills wrote their reports (default: reports)
  --open            Print the report's path and open it with xdg-open when that is installed
  -h, --help        Show this help
`;

const onPath = (command: string): string | undefined =>
  (process.env['PATH'] ?? '')
    .split(delimiter)
    .map((dir) => join(dir, command))
    .find((file) => existsSync(file));

/** Best effort: never fails, never waits for the viewer. */
const tryOpen = (file: string): void => {
  const opener = onPath('xdg-open');
  if (!opener) return;
  try {
    const child = spawn(opener, [file], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no viewer: the path was printed
  }
};

export const reportCommand = async (args: string[]): Promise<number> => {
  const { values } = parse(args, { 'report-dir': { type: 'string' }, open: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, REPORT_USAGE);
  if (values.help) {
    process.stdout.write(REPORT_USAGE);
    return ExitCode.ok;
  }
  const reportDir = resolve(values['report-dir'] ?? 'reports');
  const resultsDir = allurePaths(reportDir).results;
  if (!existsSync(resultsDir)) throw new UserError(`no Allure results in ${resultsDir}: run a drill first (firedrill run --report-dir ${reportDir})`, ExitCode.badInput);
  const html = await generateReportDirHtml(reportDir);
  process.stdout.write(`firedrill: HTML report: ${html.index}\n`);
  if (values.open) tryOpen(html.index);
  return ExitCode.ok;
};
