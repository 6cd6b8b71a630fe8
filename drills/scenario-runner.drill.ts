// The scenario runner: each selected scenario file becomes one test, with a test.step per phase.
// Scenarios come from FIREDRILL_SCENARIOS (a JSON list of files, set by `firedrill run`), or
// every file in scenarios/ when it is unset. After the drill, the evidence goes to the Allure
// result (allure-playwright): the timeline chart, the journal, the ECS service events, the
// stopped tasks' reasons, the probe series, the diff, smoke screenshots, and a "verdicts" step
// with one sub-step per expectation.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as allure from 'allure-js-commons';
import { loadScenario } from '../harness/config/load.ts';
import { diffText, environmentParameters, probeSeriesCsv, securityFindingsText, serviceEventsText, smokeScreenshots, stoppedTasksText } from '../harness/report/allure-attachments.ts';
import { renderTimelineSvg } from '../harness/report/timeline-chart.ts';
import type { Journal } from '../harness/journal/journal.ts';
import { summarizeJournal } from '../harness/journal/summary.ts';
import { expect, journalPath, test } from './support/fixtures.ts';

const scenarioFiles = (): string[] => {
  const listed = process.env['FIREDRILL_SCENARIOS'];
  if (listed) return JSON.parse(listed) as string[];
  const dir = join(import.meta.dirname, '..', 'scenarios');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
};

/** The journal's evidence on the Allure result. Nothing here may fail the drill. */
const attachEvidence = async (journal: Journal): Promise<void> => {
  for (const p of environmentParameters(journal)) await allure.parameter(p.name, p.value, { excluded: p.excluded });
  await allure.label('environment', journal.environment.name);
  await allure.label('cluster', journal.environment.cluster);
  await allure.label('service', journal.environment.service);
  await allure.label('outcome', journal.outcome);
  await allure.attachment('timeline', renderTimelineSvg(journal), 'image/svg+xml');
  await allure.attachmentPath('journal', journalPath(journal), 'application/json');
  await allure.attachment('ECS service events', serviceEventsText(journal), 'text/plain');
  await allure.attachment('stopped tasks', stoppedTasksText(journal), 'text/plain');
  await allure.attachment('probe series', probeSeriesCsv(journal), 'text/csv');
  await allure.attachment('diff', diffText(journal), 'text/plain');
  await allure.attachment('security findings', securityFindingsText(journal), 'text/plain');
  for (const shot of smokeScreenshots(journal)) {
    if (existsSync(shot.path)) await allure.attachmentPath(shot.name, shot.path, shot.contentType);
  }
  await allure.step('verdicts', async () => {
    for (const v of journal.verdicts) await allure.logStep(`${v.expectation}: ${v.summary}`, v.passed ? allure.Status.PASSED : allure.Status.FAILED);
  });
};

for (const file of scenarioFiles()) {
  const loaded = loadScenario(file);
  const { scenario } = loaded;
  test(scenario.name, { tag: scenario.tags.map((t) => `@${t}`), annotation: { type: 'scenario', description: scenario.description } }, async ({ drill }) => {
    const journal = await drill.run(loaded);
    try {
      await attachEvidence(journal);
    } catch (error) {
      // Evidence is best effort: a failure to attach must not hide the drill's verdict.
      process.stderr.write(`firedrill: could not attach the Allure evidence: ${String(error)}\n`);
    }
    expect(journal.outcome, summarizeJournal(journal)).toBe('passed');
  });
}
