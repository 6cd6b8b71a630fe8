// Writes the reports of one `firedrill run`: the timeline chart of each drill beside its journal
// (<reportDir>/<runId>/timeline.svg), <reportDir>/junit.xml and <reportDir>/summary.md, and
// appends the summary to $GITHUB_STEP_SUMMARY when that is set. The one place in harness/report
// that does I/O; what is written comes from the pure renderers.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/fs/write-file-atomic.ts';
import type { Journal } from '../journal/journal.ts';
import { renderJunitXml } from './junit.ts';
import { renderMarkdownSummary } from './markdown.ts';
import { renderTimelineSvg } from './timeline-chart.ts';

/** A run id as a single path segment, whatever the journal holds. */
const safeSegment = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'run';

export const writeReports = (journals: Journal[], reportDir: string, env: NodeJS.ProcessEnv = process.env): { files: string[] } => {
  const files: string[] = [];
  const write = (path: string, content: string): void => {
    // Whole or not at all: a CI step reading the file never sees half of it.
    writeFileAtomic(path, content);
    files.push(path);
  };
  for (const journal of journals) write(join(reportDir, safeSegment(journal.runId), 'timeline.svg'), renderTimelineSvg(journal));
  write(join(reportDir, 'junit.xml'), renderJunitXml(journals));
  const markdown = renderMarkdownSummary(journals);
  write(join(reportDir, 'summary.md'), markdown);
  const stepSummary = env.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    appendFileSync(stepSummary, `${markdown}\n`);
    files.push(stepSummary);
  }
  return { files };
};
