// The reports (timeline chart, JUnit XML, markdown summary) on hand-made journals, and the writer
// that puts them on disk.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PHASES } from '../../harness/observe/timeline.ts';
import { renderJunitXml } from '../../harness/report/junit.ts';
import { escapeMarkdown, renderMarkdownSummary } from '../../harness/report/markdown.ts';
import { escapeXml, wrap } from '../../harness/report/text.ts';
import { renderTimelineSvg } from '../../harness/report/timeline-chart.ts';
import { writeReports } from '../../harness/report/write-reports.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { summarizeJournal } from '../../harness/journal/summary.ts';
import { buildJournal, circuitBreakerTimeline, gateTimeline, interruptedTimeline } from '../support/journal-builder.ts';
import { TimelineBuilder } from '../support/timeline-builder.ts';
import { findAll, ownText, parseXml, textOf, type XmlElement } from '../support/xml.ts';

// ---- The drills the tests read

/** Circuit breaker: detected and rolled back by ECS at 0.6 s, recovered at 1.0 s. */
const circuitBreaker = (): Journal =>
  buildJournal({ timeline: circuitBreakerTimeline(), injectAt: 10_000, expectations: { detectionWithinSeconds: 120, badDeploymentEnds: 'FAILED', maxBadTrafficShare: 0 } });

/** Gate: detected by a failed probe at 1.0 s, firedrill rolls back at 2.1 s, recovered at 3.5 s; fails because the bad release completed. */
const gate = (): Journal => buildJournal({ scenario: 'http-errors', timeline: gateTimeline(), injectAt: 10_000, rollbackPath: 'redeploy-previous' });

/** Ctrl-C during verify: never recovered. */
const interrupted = (): Journal =>
  buildJournal({ scenario: 'crash-on-start', timeline: interruptedTimeline(), injectAt: 10_000, outcome: 'interrupted', problems: ['interrupted during verify'] });

/** Nothing but a title: the baseline was unhealthy, no timeline at all. */
const empty = (): Journal => buildJournal({ scenario: 'unhealthy', outcome: 'unhealthy-baseline', problems: ['baseline: the service is not steady on its baseline task definition'] });

const svgTexts = (svg: string): string[] => findAll(parseXml(svg), 'text').map(ownText);

// ---- The timeline chart

describe('renderTimelineSvg', () => {
  it('is well-formed, self-contained XML about 1000 px wide for whole, failed, interrupted and empty journals', () => {
    for (const journal of [circuitBreaker(), gate(), interrupted(), empty()]) {
      const svg = renderTimelineSvg(journal);
      const root = parseXml(svg);
      expect(root.name).toBe('svg');
      expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
      expect(root.attrs.width).toBe('1000');
      expect(Number(root.attrs.height)).toBeGreaterThan(300);
      expect(svg).not.toMatch(/NaN|Infinity|undefined|<script|href=|url\(|@import|@font-face/);
      expect(renderTimelineSvg(journal)).toBe(svg);
    }
  });

  it('names the drill, its outcome, its releases and the verdicts', () => {
    const journal = circuitBreaker();
    const texts = svgTexts(renderTimelineSvg(journal));
    expect(texts).toContain('Rollback drill “bad-image-tag” on sandbox');
    expect(texts).toContain('PASSED');
    expect(texts).toContain('v1.0.0 (baseline)');
    expect(texts).toContain('v1.1.0 (bad release)');
    const all = texts.join(' ');
    expect(journal.verdicts.length).toBeGreaterThan(3);
    for (const v of journal.verdicts) expect(all).toContain(`${v.expectation}: ${v.summary}`);
    expect(texts.filter((t) => t === 'PASS')).toHaveLength(journal.verdicts.length);
  });

  it('labels every phase boundary and every ECS deployment by its id, task definition and release', () => {
    const texts = svgTexts(renderTimelineSvg(gate()));
    for (const phase of PHASES) expect(texts).toContain(phase);
    for (const id of ['ecs-svc/1', 'ecs-svc/2', 'ecs-svc/3']) expect(texts).toContain(id);
    expect(texts.filter((t) => t === 'baseline v1.0.0')).toHaveLength(2);
    expect(texts).toContain('bad release v1.1.0');
    expect(texts).toContain('task definition firedrill-demo:2');
    expect(texts).toContain('PRIMARY · COMPLETED');
  });

  it('marks inject and the measured detect, rollback and recovery times in seconds from inject', () => {
    const cb = svgTexts(renderTimelineSvg(circuitBreaker()));
    expect(cb).toEqual(expect.arrayContaining(['inject', 'detected 0.6 s by ecs', 'rollback started 0.6 s by ECS', 'recovered 1.0 s']));
    const g = svgTexts(renderTimelineSvg(gate()));
    expect(g).toEqual(expect.arrayContaining(['detected 1.0 s by probe', 'rollback started 2.1 s by firedrill', 'recovered 3.5 s']));
    expect(g).toContain('gate “probe error rate” fired (1 > 0.2)');
    expect(g).toContain('rollback triggered (redeploy-previous)');
    expect(g).toContain('FAILED');
    // The axis counts from inject: 0 s sits at inject, earlier ticks are negative.
    expect(g).toContain('0 s');
    expect(g).toContain('−10 s');
  });

  it('shows a drill that never recovered, and was interrupted, as such', () => {
    const texts = svgTexts(renderTimelineSvg(interrupted()));
    expect(texts).toContain('INTERRUPTED');
    expect(texts).toContain('not recovered by 1.0 s');
    expect(texts).toContain('interrupted in verify');
    expect(texts.find((t) => t.startsWith('detected 0.9 s'))).toBe('detected 0.9 s   ·   no rollback seen   ·   recovered never   ·   bad release answered 0 of 2 answered probes (0 %)   ·   1 of 3 probes failed after inject');
    expect(texts.join(' ')).toContain('problem: interrupted during verify');
    expect(texts.some((t) => t.startsWith('recovered'))).toBe(false);
  });

  it('draws an empty journal without inventing anything', () => {
    const texts = svgTexts(renderTimelineSvg(empty()));
    expect(texts).toEqual(expect.arrayContaining(['UNHEALTHY-BASELINE', 'nothing was injected in this run', 'no probes recorded', 'no DescribeServices polls recorded', 'no phases recorded']));
    expect(texts).toContain('time from the start of the run (nothing was injected)');
    expect(texts.some((t) => /^detected|^recovered|^inject$/.test(t))).toBe(false);
  });

  it('falls back to the run markers when the drill ended before anything was measured', () => {
    const journal = buildJournal({ timeline: interruptedTimeline(), injectAt: 10_000, measured: false, outcome: 'interrupted' });
    journal.markers.detectedAt = 10_500;
    const texts = svgTexts(renderTimelineSvg(journal));
    expect(texts).toContain('detected 0.5 s');
    expect(texts).toContain('the drill ended before anything was measured');
  });

  it('names any other release that answered probes in the legend', () => {
    const timeline = new TimelineBuilder().phase(0, 'baseline', 'start').probe(1_000).probe(11_000, { version: 'v0.9.9' }).phase(12_000, 'baseline', 'end').build();
    const texts = svgTexts(renderTimelineSvg(buildJournal({ timeline, injectAt: 10_000 })));
    expect(texts).toContain('v0.9.9 (other)');
  });

  it('escapes text from the journal: it shows as written and never breaks the XML', () => {
    const journal = buildJournal({
      timeline: circuitBreakerTimeline(),
      injectAt: 10_000,
      description: 'Fails <fast> & "loud" </svg>',
      environment: "stage <1> & 'two'",
      problems: ['output with a bell \u0007 and <tags>'],
    });
    const svg = renderTimelineSvg(journal);
    expect(svg).toContain('Fails &lt;fast&gt; &amp; &quot;loud&quot; &lt;/svg&gt;');
    expect(svg).not.toContain('<fast>');
    const texts = svgTexts(svg);
    expect(texts).toContain('Fails <fast> & "loud" </svg>');
    expect(texts).toContain("Rollback drill “bad-image-tag” on stage <1> & 'two'");
    expect(texts.join(' ')).toContain('problem: output with a bell \uFFFD and <tags>');
  });
});

// ---- JUnit

const junitCases = (xml: string): XmlElement[] => findAll(parseXml(xml), 'testcase');

describe('renderJunitXml', () => {
  it('has one testsuite "firedrill" with a testcase per drill and the right counts', () => {
    const errored = buildJournal({ scenario: 'partial-errors-command', timeline: circuitBreakerTimeline(), injectAt: 10_000, outcome: 'error', problems: ['command exited with 255: aws ecs update-service'] });
    const journals = [circuitBreaker(), gate(), interrupted(), empty(), errored];
    const root = parseXml(renderJunitXml(journals));
    const suites = findAll(root, 'testsuite');
    expect(suites).toHaveLength(1);
    expect(suites[0]!.attrs).toMatchObject({ name: 'firedrill', tests: '5', failures: '3', errors: '1', skipped: '0' });
    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => [c.attrs.name, c.attrs.classname])).toEqual([
      ['bad-image-tag', 'sandbox'],
      ['http-errors', 'sandbox'],
      ['crash-on-start', 'sandbox'],
      ['unhealthy', 'sandbox'],
      ['partial-errors-command', 'sandbox'],
    ]);
    // time in seconds: the circuit-breaker run ends with its report phase at 16.12 s.
    expect(cases[0]!.attrs.time).toBe('16.120');
    expect(findAll(cases[0]!, 'failure')).toHaveLength(0);
    expect(findAll(cases[4]!, 'error')[0]!.attrs.type).toBe('error');
    expect(findAll(cases[4]!, 'error')[0]!.attrs.message).toBe('problem: command exited with 255: aws ecs update-service');
  });

  it('puts the failed verdicts in <failure>, typed by the outcome, and the journal summary in <system-out>', () => {
    const failed = gate();
    const [gateCase, interruptedCase, emptyCase] = junitCases(renderJunitXml([failed, interrupted(), empty()]));
    const failure = findAll(gateCase!, 'failure')[0]!;
    expect(failure.attrs.type).toBe('failed');
    const failedVerdicts = failed.verdicts.filter((v) => !v.passed);
    expect(failedVerdicts).toHaveLength(1);
    expect(failure.attrs.message).toBe(`FAIL ${failedVerdicts[0]!.expectation}: ${failedVerdicts[0]!.summary}`);
    expect(textOf(failure)).toBe(`FAIL bad-release-never-completes: the bad release's deployment reached COMPLETED`);
    expect(textOf(findAll(gateCase!, 'system-out')[0]!)).toBe(`${summarizeJournal(failed)}\n  run ${failed.runId}`);

    const stopped = findAll(interruptedCase!, 'failure')[0]!;
    expect(stopped.attrs.type).toBe('interrupted');
    expect(textOf(stopped).split('\n')).toEqual([
      'problem: interrupted during verify',
      expect.stringMatching(/^FAIL recovery-within-budget: never recovered/),
      expect.stringMatching(/^FAIL ends-on-baseline: /),
    ]);
    expect(findAll(emptyCase!, 'failure')[0]!.attrs.type).toBe('unhealthy-baseline');
  });

  it('names a failed restore first', () => {
    const journal = buildJournal({ timeline: circuitBreakerTimeline(), injectAt: 10_000, outcome: 'restore-failed', restore: { ok: false, state: 'left on firedrill-demo:2 with 0 of 2 running', actions: [] } });
    const failure = findAll(parseXml(renderJunitXml([journal])), 'failure')[0]!;
    expect(failure.attrs).toMatchObject({ type: 'restore-failed', message: 'RESTORE FAILED: left on firedrill-demo:2 with 0 of 2 running' });
  });

  it('escapes names, messages and output', () => {
    const journal = buildJournal({ environment: 'a<b>&"c"', outcome: 'failed', problems: ['<script> & \u0001 "quoted"'] });
    const xml = renderJunitXml([journal]);
    const [testcase] = junitCases(xml);
    expect(testcase!.attrs.classname).toBe('a<b>&"c"');
    expect(findAll(testcase!, 'failure')[0]!.attrs.message).toBe('problem: <script> & \uFFFD "quoted"');
  });

  it('reports no drills as an empty suite', () => {
    const suite = findAll(parseXml(renderJunitXml([])), 'testsuite')[0]!;
    expect(suite.attrs).toMatchObject({ tests: '0', failures: '0', errors: '0', time: '0.000' });
  });
});

// ---- Markdown

/** The rows of the markdown table whose header row is `header`, as cells. */
const tableAfter = (markdown: string, header: string, from = 0): string[][] => {
  const lines = markdown.split('\n');
  const start = lines.indexOf(header, from);
  expect(start, `no table with header ${header}`).toBeGreaterThanOrEqual(0);
  expect(lines[start + 1]).toMatch(/^\| (---? \| )*--- \|$/);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(2, -2).split(/ (?<!\\)\| /));
  }
  return rows;
};

const KEY_TIMES = '| scenario | environment | outcome | detect | rollback start | recover | bad share | budget |';
const VERDICTS = '| expectation | verdict | evidence summary |';

describe('renderMarkdownSummary', () => {
  it('has a heading and a row of key times per run, to a tenth of a second', () => {
    const markdown = renderMarkdownSummary([circuitBreaker(), gate(), interrupted(), empty()]);
    expect(markdown.split('\n')[0]).toBe('# firedrill: 4 drills, 1 passed, 3 not passed');
    expect(tableAfter(markdown, KEY_TIMES)).toEqual([
      ['bad-image-tag', 'sandbox', '✅ passed', '0.6 s', '0.6 s', '1.0 s', '0 % (0 of 12)', '600 s'],
      ['http-errors', 'sandbox', '❌ failed', '1.0 s', '2.1 s', '3.5 s', '31.3 % (5 of 16)', '600 s'],
      ['crash-on-start', 'sandbox', '⏹️ interrupted', '0.9 s', 'never', 'never', '0 % (0 of 2)', '600 s'],
      ['unhealthy', 'sandbox', '⚠️ unhealthy-baseline', '-', '-', '-', '-', '600 s'],
    ]);
  });

  it('has the verdict table of each run, its problems and its restore state', () => {
    const journals = [gate(), interrupted()];
    const markdown = renderMarkdownSummary(journals);
    const gateSection = markdown.indexOf('## ❌ http-errors on sandbox: failed (exit 1)');
    const interruptedSection = markdown.indexOf('## ⏹️ crash-on-start on sandbox: interrupted (exit 1)');
    expect(gateSection).toBeGreaterThan(0);
    expect(interruptedSection).toBeGreaterThan(gateSection);
    const lineOf = (index: number) => markdown.slice(0, index).split('\n').length - 1;
    expect(tableAfter(markdown, VERDICTS, lineOf(gateSection))).toEqual(journals[0]!.verdicts.map((v) => [v.expectation, v.passed ? '✅ pass' : '❌ FAIL', escapeMarkdown(v.summary)]));
    expect(tableAfter(markdown, VERDICTS, lineOf(interruptedSection))).toHaveLength(journals[1]!.verdicts.length);
    const tail = markdown.slice(interruptedSection);
    expect(tail).toContain('**Problems**\n\n- interrupted during verify\n');
    expect(tail).toContain(`**Restore:** ✅ ok: steady on the baseline ${journals[1]!.baseline!.taskDefinitionArn}`);
    expect(markdown.slice(gateSection, interruptedSection)).toContain('- rollback started by firedrill: firedrill triggered the rollback path');
  });

  it('shows a failed restore and failed smoke checks', () => {
    const journal = buildJournal({
      timeline: circuitBreakerTimeline(),
      injectAt: 10_000,
      outcome: 'restore-failed',
      restore: { ok: false, state: 'left on firedrill-demo:2', actions: ['UpdateService firedrill-demo:1'] },
      smoke: {
        baseline: [{ kind: 'http', name: 'health', status: 'passed', durationMs: 5, summary: 'HTTP 200 in 5 ms', failures: [], attachments: [] }],
        afterRecovery: [{ kind: 'browser', name: 'home page', status: 'failed', durationMs: 50, summary: '1 problem: text v1.0.0 not visible', failures: ['text v1.0.0 not visible'], attachments: [] }],
      },
    });
    const markdown = renderMarkdownSummary([journal]);
    expect(markdown).toContain('**Restore:** 🚨 FAILED: left on firedrill-demo:2\n(UpdateService firedrill-demo:1)');
    expect(markdown).toContain('Smoke checks: 1 of 2 passed.\n- ❌ failed home page (after recovery): 1 problem: text v1.0.0 not visible');
  });

  it('keeps table rows whole when journal text holds pipes, HTML or newlines', () => {
    const journal = circuitBreaker();
    journal.verdicts[0]!.summary = 'recovered | in <b>time</b>\nreally';
    const rows = tableAfter(renderMarkdownSummary([journal]), VERDICTS);
    expect(rows[0]).toEqual(['recovery-within-budget', '✅ pass', 'recovered \\| in &lt;b&gt;time&lt;/b&gt;<br>really']);
  });

  it('says so when no drill ran', () => {
    expect(renderMarkdownSummary([])).toBe('# firedrill: 0 drills, 0 passed, 0 not passed\n\nNo drills ran.\n');
  });
});

// ---- Writing

describe('writeReports', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'firedrill-report-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a timeline per run, junit.xml and summary.md, and leaves $GITHUB_STEP_SUMMARY alone when unset', () => {
    const dir = tempDir();
    const journals = [circuitBreaker(), gate()];
    const { files } = writeReports(journals, dir, {});
    expect(files.map((f) => relative(dir, f))).toEqual([
      join(journals[0]!.runId, 'timeline.svg'),
      join(journals[1]!.runId, 'timeline.svg'),
      'junit.xml',
      'summary.md',
    ]);
    expect(readFileSync(files[0]!, 'utf8')).toBe(renderTimelineSvg(journals[0]!));
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toBe(renderJunitXml(journals));
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe(renderMarkdownSummary(journals));
    expect(files.flatMap((f) => readdirSync(dirname(f))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('appends the summary to $GITHUB_STEP_SUMMARY when it is set', () => {
    const dir = tempDir();
    const stepSummary = join(tempDir(), 'step-summary.md');
    writeFileSync(stepSummary, '## an earlier step\n');
    const journals = [circuitBreaker()];
    writeReports(journals, dir, { GITHUB_STEP_SUMMARY: stepSummary });
    writeReports(journals, dir, { GITHUB_STEP_SUMMARY: stepSummary });
    const markdown = renderMarkdownSummary(journals);
    expect(readFileSync(stepSummary, 'utf8')).toBe(`## an earlier step\n${markdown}\n${markdown}\n`);
  });

  it('keeps every file inside the report directory whatever the run id says', () => {
    const dir = tempDir();
    const journal = buildJournal({ runId: '../../escape' });
    const { files } = writeReports([journal], dir, {});
    for (const f of files) expect(relative(dir, f).startsWith('..')).toBe(false);
  });
});

// ---- Text helpers

describe('report text helpers', () => {
  it('escapes the five XML characters and replaces what XML cannot carry', () => {
    expect(escapeXml(`<a href="x">&'\u0000\uD800</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;\uFFFD\uFFFD&lt;/a&gt;');
    expect(escapeXml('emoji 🚨 stays')).toBe('emoji 🚨 stays');
  });

  it('wraps words to a width and cuts words longer than it', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghij xy', 4)).toEqual(['abcd', 'efgh', 'ij', 'xy']);
    expect(wrap('a\nb', 10)).toEqual(['a', 'b']);
  });
});

describe('the XML reader the report tests rely on', () => {
  it('rejects what is not well-formed', () => {
    for (const bad of ['<a><b></a></b>', '<a>&</a>', '<a>x < y</a>', '<a x=1/>', '<a x="1" x="2"/>', '<a/><b/>', '<a>', 'text<a/>', '<a>\u0001</a>', '<a b="<"/>']) {
      expect(() => parseXml(bad), bad).toThrow();
    }
    expect(textOf(parseXml('<?xml version="1.0"?>\n<a x="&quot;1&quot;"><!-- c --><b>&lt;&#65;&#x42;&amp;</b></a>'))).toBe('<AB&');
  });
});
