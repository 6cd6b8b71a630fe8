// The categories that tell failed drills apart in the Allure report. One list for both readers:
// allure-playwright writes it to allure-results/categories.json (the Allure 2 format, which
// Allure 3's classic report reads), and the Allure 3 report that `firedrill run` and
// `firedrill report` build (the default "awesome" one) takes categories only from its own
// config, so allure-html.ts passes this same list there. Pure data.
//
// They match the failure message, which is summarizeJournal(journal) (harness/journal/summary.ts):
// several lines, PASS lines included. Allure 2 matches a whole message and Allure 3 searches
// it, so each pattern spans the message ([\s\S]* on both sides) and names only a failing line.
// Allure 3 puts a result in the first category that matches, so the order is by who must act
// first: a failed restore left the service in an unknown state; an unhealthy baseline means
// nothing was drilled; then the rollback path's own failures.

export interface DrillCategory {
  name: string;
  messageRegex: string;
  matchedStatuses: Array<'failed' | 'broken'>;
}

// A drill that fails its expectations is `failed` (an assertion); one that threw is `broken`.
const FAILING: DrillCategory['matchedStatuses'] = ['failed', 'broken'];

export const DRILL_CATEGORIES: readonly DrillCategory[] = [
  { name: 'restore failed', messageRegex: '[\\s\\S]*RESTORE FAILED[\\s\\S]*', matchedStatuses: FAILING },
  { name: 'environment unhealthy before the drill', messageRegex: '[\\s\\S]*UNHEALTHY-BASELINE[\\s\\S]*', matchedStatuses: FAILING },
  // Refused before anything was touched: another drill holds the service, or a guard said no.
  { name: 'refused: service locked by another drill', messageRegex: '[\\s\\S]*: LOCKED \\(exit[\\s\\S]*', matchedStatuses: FAILING },
  { name: 'refused by a guard or bad input', messageRegex: '[\\s\\S]*: INVALID \\(exit[\\s\\S]*', matchedStatuses: FAILING },
  { name: 'rollback too slow', messageRegex: '[\\s\\S]*FAIL recovery-within-budget[\\s\\S]*', matchedStatuses: FAILING },
  { name: 'gate let the bad release through', messageRegex: '[\\s\\S]*FAIL (bad-release-never-completes|bad-traffic-share)[\\s\\S]*', matchedStatuses: FAILING },
  { name: 'smoke failed after rollback', messageRegex: '[\\s\\S]*smoke FAILED[\\s\\S]*', matchedStatuses: FAILING },
];

