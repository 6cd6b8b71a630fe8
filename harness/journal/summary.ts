// A journal in a few lines, for the terminal and for test failure messages. Pure.

import { seconds } from '../../lib/format.ts';
import type { Journal } from './journal.ts';


export const summarizeJournal = (j: Journal): string => {
  const m = j.measurements;
  const lines = [
    `${j.scenario.name} on ${j.environment.name}: ${j.outcome.toUpperCase()} (exit ${j.exitCode})`,
    `  release ${j.baseline?.tag ?? '?'} -> ${j.injected?.summary ?? '(not injected)'}; rollback path ${j.rollbackPath}`,
  ];
  if (m) {
    lines.push(`  detect ${seconds(m.timeToDetectMs)}, rollback started ${seconds(m.timeToRollbackStartMs)}, recovered ${seconds(m.timeToRecoverMs)}; bad release served ${(m.badTrafficShare * 100).toFixed(0)}% of probes`);
  }
  for (const v of j.verdicts) lines.push(`  ${v.passed ? 'PASS' : 'FAIL'} ${v.expectation}: ${v.summary}`);
  for (const r of [...j.smoke.baseline, ...j.smoke.afterRecovery].filter((r) => r.status !== 'passed')) lines.push(`  smoke ${r.status.toUpperCase()} ${r.name}: ${r.summary}`);
  for (const p of j.problems) lines.push(`  problem: ${p}`);
  if (!j.restore.ok) lines.push(`  RESTORE FAILED: ${j.restore.state}`);
  return lines.join('\n');
};
