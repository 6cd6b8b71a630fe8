// `firedrill verify BUNDLE`: is this run's evidence what the run wrote? Checks every file of the
// bundle against the sha256 its manifest.json lists, and the manifest against its own digest.

import { relative } from 'node:path';
import { bundleDirOf, verifyBundle } from '../../evidence/bundle.ts';
import { parse } from '../args.ts';
import { ExitCode, UserError } from '../errors.ts';

export const VERIFY_USAGE = `Usage: firedrill verify BUNDLE

Checks that a drill's evidence bundle is exactly what the run wrote. A bundle is a run's
directory, <report dir>/<run id>/: journal.json, artifacts/, the reports, and manifest.json,
which lists the sha256 of every other file, the firedrill version, the git revision of the
scenarios, who ran the drill, on which host and when. verify hashes every file again and
compares: a file whose content changed (even one byte), a file added to the directory, and a
file removed from it are each named. manifest.json also carries a digest of itself, so an
edit to the manifest is found too.

The manifest is not a signature: someone who can rewrite the files can also rewrite the
manifest. verify prints the manifest's digest; keep it where the bundle's holder cannot write
(the CI log, a ticket) and compare it when the bundle is audited.

Arguments:
  BUNDLE            A run directory, or the path of its manifest.json

Options:
  -h, --help        Show this help

Exit codes: 0 intact; 1 a file was changed, added or removed (each is named); 2 no usable
manifest (missing or damaged), or bad arguments: nothing could be checked.

Examples:
  firedrill verify reports/20250101-020000-bad-image-tag-1a2b
  firedrill verify evidence/20250101-020000-bad-image-tag-1a2b/manifest.json
`;

/** Exit 1: the bundle is not what the run wrote. */
const NOT_INTACT = 1;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const verifyCommand = async (args: string[]): Promise<number> => {
  const { values, positionals } = parse(args, { help: { type: 'boolean', short: 'h' } }, VERIFY_USAGE);
  if (values.help) {
    process.stdout.write(VERIFY_USAGE);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UserError(`verify takes one bundle: a run directory or its manifest.json.\n\n${VERIFY_USAGE}`);
  const dir = bundleDirOf(positionals[0]!);
  const check = verifyBundle(dir);
  const shown = relative(process.cwd(), dir) || '.';

  if (check.manifestProblem !== undefined || !check.manifest) {
    process.stderr.write(`firedrill verify: cannot verify ${shown}: ${check.manifestProblem ?? 'no manifest'}\n`);
    return ExitCode.badInput;
  }
  const m = check.manifest;
  const about = [
    `  run ${m.run.runId}: scenario ${m.scenario.name}, outcome ${m.run.outcome}`,
    `  sealed ${m.createdAt} by ${m.ranBy.user}${m.ranBy.ci?.['GITHUB_ACTOR'] ? ` (GitHub: ${m.ranBy.ci['GITHUB_ACTOR']})` : ''} on ${m.host}, firedrill ${m.firedrill.version}`,
    `  scenarios at git ${m.scenario.git.revision}${m.scenario.git.dirty === true ? ' (the scenario file had uncommitted changes)' : ''}`,
    `  manifest digest ${m.digest}`,
  ];
  if (check.ok) {
    process.stdout.write(`intact: ${plural(m.files.length, 'file')}\n${about.join('\n')}\n`);
    return ExitCode.ok;
  }
  const lines = [
    ...check.changed.map((f) => `changed: ${f}${f === 'manifest.json' ? ' (the manifest was edited after it was written; the hashes it lists may not be the original ones)' : ''}`),
    ...check.added.map((f) => `added:   ${f}`),
    ...check.removed.map((f) => `removed: ${f}`),
  ];
  process.stdout.write(
    `${lines.join('\n')}\nNOT intact: ${check.changed.length} changed, ${check.added.length} added, ${check.removed.length} removed (the manifest lists ${plural(m.files.length, 'file')})\n${about.join('\n')}\n`,
  );
  return NOT_INTACT;
};
