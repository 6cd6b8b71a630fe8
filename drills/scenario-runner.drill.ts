// The scenario runner: each selected scenario file becomes one test, with a test.step per phase.
// Scenarios come from FIREDRILL_SCENARIOS (a JSON list of files, set by `firedrill run`), or
// every file in scenarios/ when it is unset.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../harness/config/load.ts';
import { summarizeJournal } from '../harness/run/summary.ts';
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

for (const file of scenarioFiles()) {
  const loaded = loadScenario(file);
  const { scenario } = loaded;
  test(scenario.name, { tag: scenario.tags.map((t) => `@${t}`), annotation: { type: 'scenario', description: scenario.description } }, async ({ drill }, testInfo) => {
    const journal = await drill.run(loaded);
    await testInfo.attach('journal', { path: journalPath(journal), contentType: 'application/json' });
    expect(journal.outcome, summarizeJournal(journal)).toBe('passed');
  });
}
