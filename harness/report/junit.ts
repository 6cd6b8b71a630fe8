// JUnit XML for CI: one testsuite "firedrill", one testcase per drill (name = scenario,
// classname = environment, time in seconds). A drill that did not pass carries a <failure>
// (failed, interrupted, restore-failed, unhealthy-baseline, locked) or an <error> (error, invalid)
// whose type is the outcome and whose text names the failed verdicts and the problems; every
// testcase carries the journal's summary in <system-out>.
//
// Pure: a function of the journals, string out.

import type { Outcome } from '../journal/outcome.ts';
import type { Journal } from '../journal/journal.ts';
import { summarizeJournal } from '../journal/summary.ts';
import { secondsFigure } from '../../lib/format.ts';
import { clean, escapeXml, firstLine, runDurationMs } from './text.ts';

/** Outcomes CI must see as a failed test. */
const FAILURES: readonly Outcome[] = ['failed', 'interrupted', 'restore-failed', 'unhealthy-baseline', 'locked'];
/** Outcomes where the drill could not run as intended: JUnit's <error>. */
const ERRORS: readonly Outcome[] = ['error', 'invalid'];

const secondsAttr = (ms: number): string => secondsFigure(ms, 3);

const isoTimestamp = (ms: number): string | undefined => (Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d+Z$/, '') : undefined);

/** Why a drill did not pass: the failed verdicts, then the problems, then a failed restore. */
export const failureLines = (j: Journal): string[] => {
  const verdicts = (j.verdicts ?? []).filter((v) => !v.passed).map((v) => `FAIL ${v.expectation}: ${v.summary}`);
  const smoke = [...(j.smoke?.baseline ?? []), ...(j.smoke?.afterRecovery ?? [])].filter((r) => r.status === 'failed').map((r) => `smoke FAILED ${r.name}: ${r.summary}`);
  const problems = (j.problems ?? []).map((p) => `problem: ${p.trim()}`);
  const restore = j.restore && !j.restore.ok ? [`RESTORE FAILED: ${j.restore.state}`] : [];
  // What needs a human most comes first: it becomes the failure's message.
  const lines =
    j.outcome === 'failed' ? [...restore, ...verdicts, ...smoke, ...problems] : [...restore, ...problems, ...smoke, ...verdicts];
  if (lines.length === 0) lines.push(`the drill ended ${j.outcome}`);
  return lines.map(clean);
};

const testcase = (j: Journal): { xml: string; failed: boolean; errored: boolean } => {
  const failed = FAILURES.includes(j.outcome);
  const errored = ERRORS.includes(j.outcome);
  const attrs = `name="${escapeXml(j.scenario.name)}" classname="${escapeXml(j.environment.name)}" time="${secondsAttr(runDurationMs(j))}"`;
  const parts: string[] = [];
  if (failed || errored) {
    const lines = failureLines(j);
    const element = failed ? 'failure' : 'error';
    parts.push(`      <${element} type="${escapeXml(j.outcome)}" message="${escapeXml(firstLine(lines[0]!, 300))}">${escapeXml(lines.join('\n'))}</${element}>`);
  }
  const out = clean(`${summarizeJournal(j)}\n  run ${j.runId}`);
  parts.push(`      <system-out>${escapeXml(out)}</system-out>`);
  return { xml: `    <testcase ${attrs}>\n${parts.join('\n')}\n    </testcase>`, failed, errored };
};

export const renderJunitXml = (journals: Journal[]): string => {
  const cases = journals.map(testcase);
  const tests = cases.length;
  const failures = cases.filter((c) => c.failed).length;
  const errors = cases.filter((c) => c.errored).length;
  const time = secondsAttr(journals.reduce((sum, j) => sum + runDurationMs(j), 0));
  const starts = journals.map((j) => j.startedAt).filter((t) => Number.isFinite(t));
  const timestamp = starts.length ? isoTimestamp(Math.min(...starts)) : undefined;
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="${time}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="firedrill" ${counts}>`,
    `  <testsuite name="firedrill" ${counts}${timestamp ? ` timestamp="${timestamp}"` : ''}>`,
    ...cases.map((c) => c.xml),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
};
