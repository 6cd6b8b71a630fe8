// The markdown summary for people and for $GITHUB_STEP_SUMMARY: a heading, the key times of
// every drill in one table (a row per run), then per drill its verdict table, the smoke checks
// that did not pass, the problems and the state restore left the service in. Figures to a tenth
// of a second.
//
// Pure: a function of the journals, string out.

import type { Outcome } from '../journal/outcome.ts';
import type { Journal } from '../journal/journal.ts';
import { percent, seconds } from '../../lib/format.ts';
import { clean } from './text.ts';

const ICONS: Record<Outcome, string> = {
  passed: '✅',
  failed: '❌',
  interrupted: '⏹️',
  error: '💥',
  invalid: '⚠️',
  locked: '🔒',
  'unhealthy-baseline': '⚠️',
  'restore-failed': '🚨',
};

/** Text safe in a markdown paragraph or table cell: no HTML, no emphasis, no table breaks. */
export const escapeMarkdown = (text: string): string =>
  clean(text)
    .trim()
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([|*_`[\]#~])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');

/** A code span that survives a table cell: backticks and pipes cannot appear inside it. */
const code = (text: string): string => `\`${clean(text).replace(/[`|\n]/g, ' ')}\``;

const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: string[][]): string[] => [row(head), row(head.map(() => '---')), ...rows.map(row)];

const outcomeCell = (o: Outcome): string => `${ICONS[o] ?? ''} ${o}`.trim();

const never = (ms: number | undefined, measured: boolean): string => (!measured ? '-' : ms === undefined ? 'never' : seconds(ms));

const keyTimesRow = (j: Journal): string[] => {
  const m = j.measurements;
  const budget = j.scenario.spec?.expectations?.recoveryWithinSeconds;
  return [
    escapeMarkdown(j.scenario.name),
    escapeMarkdown(j.environment.name),
    outcomeCell(j.outcome),
    never(m?.timeToDetectMs, m !== undefined),
    never(m?.timeToRollbackStartMs, m !== undefined),
    never(m?.timeToRecoverMs, m !== undefined),
    m ? `${percent(m.badTrafficShare)} (${m.badAnswers} of ${m.answeredProbes})` : '-',
    budget === undefined ? '-' : `${budget} s`,
  ];
};

const section = (j: Journal): string[] => {
  const lines: string[] = [`## ${ICONS[j.outcome] ?? ''} ${escapeMarkdown(j.scenario.name)} on ${escapeMarkdown(j.environment.name)}: ${j.outcome} (exit ${j.exitCode})`, ''];
  const description = j.scenario.spec?.description;
  if (description) lines.push(escapeMarkdown(description.trim()), '');
  const baseline = j.baseline ? `${code(j.baseline.tag ?? j.baseline.version ?? j.baseline.image)}` : 'unknown';
  const injected = j.injected ? `${code(j.injected.tag ?? j.injected.version ?? j.injected.image)} (${escapeMarkdown(j.injected.summary)})` : 'nothing (not injected)';
  lines.push(`Baseline ${baseline}, bad release ${injected}; rollback path ${code(j.rollbackPath)}; run ${code(j.runId)}.`, '');
  const m = j.measurements;
  if (m) {
    const trigger = m.rollbackTrigger;
    const by = [
      m.detectedBy && `detected by ${m.detectedBy.source}: ${m.detectedBy.detail}`,
      m.rollbackStartedBy && `rollback started by ${m.rollbackStartedBy.source}: ${m.rollbackStartedBy.detail}`,
      trigger && `rollback triggered by ${trigger.kind}${trigger.kind === 'alarm' ? ` (${trigger.alarmNames.join(', ')})` : ''}, as ECS records it in ${trigger.from === 'firedrill' ? 'no rollback of its own' : trigger.from === 'deployments' ? 'deployments[]' : 'its service deployments'}`,
    ].filter(
      (s): s is string => Boolean(s),
    );
    for (const s of by) lines.push(`- ${escapeMarkdown(s)}`);
    lines.push(`- ${m.failedProbes.count} of ${m.probesAfterInject} probes failed after inject (${percent(m.failedProbes.share)}); the bad deployment ${m.badDeploymentEnd === 'still-active' ? 'was still active at the end' : m.badDeploymentEnd === 'never-seen' ? 'was never seen' : m.badDeploymentEnd === 'FAILED' ? 'ended FAILED' : 'was replaced'}`, '');
  }
  if ((j.verdicts ?? []).length > 0) {
    lines.push(...table(['expectation', 'verdict', 'evidence summary'], j.verdicts.map((v) => [escapeMarkdown(v.expectation), v.passed ? '✅ pass' : '❌ FAIL', escapeMarkdown(v.summary)])), '');
  } else {
    lines.push('No verdicts: the drill ended before its expectations could be judged.', '');
  }
  const smoke = [...(j.smoke?.baseline ?? []).map((r) => ({ r, when: 'before the drill' })), ...(j.smoke?.afterRecovery ?? []).map((r) => ({ r, when: 'after recovery' }))];
  const notPassed = smoke.filter(({ r }) => r.status !== 'passed');
  if (smoke.length > 0) {
    lines.push(`Smoke checks: ${smoke.length - notPassed.length} of ${smoke.length} passed.`);
    for (const { r, when } of notPassed) lines.push(`- ${r.status === 'failed' ? '❌ failed' : '⏭️ skipped'} ${escapeMarkdown(r.name)} (${when}): ${escapeMarkdown(r.summary)}`);
    lines.push('');
  }
  if ((j.problems ?? []).length > 0) {
    lines.push('**Problems**', '');
    for (const p of j.problems) lines.push(`- ${escapeMarkdown(p)}`);
    lines.push('');
  }
  if (j.api && (j.api.retries > 0 || Object.keys(j.api.errors).length > 0)) lines.push(`**ECS API:** ${j.api.calls} calls, ${j.api.retries} retries, errors seen: ${Object.entries(j.api.errors).map(([code, n]) => `${escapeMarkdown(code)} ×${n}`).join(', ') || 'none'}; ${j.api.failed === 0 ? 'every call succeeded in the end' : `${j.api.failed} calls failed`}.`, '');
  if (j.restore) {
    lines.push(`**Restore:** ${j.restore.ok ? '✅ ok' : '🚨 FAILED'}: ${escapeMarkdown(j.restore.state || '(no state recorded)')}`);
    if (j.restore.actions.length > 0) lines.push(`(${j.restore.actions.map(escapeMarkdown).join('; ')})`);
    lines.push('');
  }
  return lines;
};

export const renderMarkdownSummary = (journals: Journal[]): string => {
  const passed = journals.filter((j) => j.outcome === 'passed').length;
  const lines = [`# firedrill: ${journals.length} drill${journals.length === 1 ? '' : 's'}, ${passed} passed, ${journals.length - passed} not passed`, ''];
  if (journals.length === 0) return [...lines, 'No drills ran.', ''].join('\n');
  lines.push(...table(['scenario', 'environment', 'outcome', 'detect', 'rollback start', 'recover', 'bad share', 'budget'], journals.map(keyTimesRow)), '');
  lines.push('Times are seconds from inject; "budget" is the recovery budget; "bad share" is the share of answered probes the bad release served.', '');
  for (const j of journals) lines.push(...section(j));
  return lines.join('\n');
};
