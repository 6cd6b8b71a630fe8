// Live progress for `firedrill run`: which drill, which phase, how long, and what it is
// waiting for. A Playwright reporter, fed by the progress lines the drill fixture prints.

import { secondsCompact } from '../../lib/format.ts';
import type { FullResult, Reporter, Suite, TestCase, TestResult, TestStep } from '@playwright/test/reporter';

const PROGRESS_PREFIX = '::firedrill-progress::';
const REPEAT_AFTER_MS = 5000;

interface Progress {
  scenario: string;
  phase: string;
  elapsedMs: number;
  waitingFor?: string;
}

const secs = (ms: number) => secondsCompact(ms).padStart(7);

export default class ProgressReporter implements Reporter {
  private last = '';
  private lastPrinted = 0;

  printsToStdio(): boolean {
    return true;
  }

  onBegin(_config: unknown, suite: Suite): void {
    const count = suite.allTests().length;
    process.stdout.write(`firedrill: ${count} drill${count === 1 ? '' : 's'} to run\n`);
  }

  onTestBegin(test: TestCase): void {
    process.stdout.write(`\n▶ ${test.title}\n`);
  }

  onStdOut(chunk: string | Buffer): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      if (!line.startsWith(PROGRESS_PREFIX)) {
        process.stdout.write(`  ${line}\n`);
        continue;
      }
      const p = JSON.parse(line.slice(PROGRESS_PREFIX.length)) as Progress;
      const text = `${p.phase}${p.waitingFor ? `: waiting for ${p.waitingFor}` : ''}`;
      const now = Date.now();
      if (text !== this.last || now - this.lastPrinted >= REPEAT_AFTER_MS) {
        process.stdout.write(`  ${secs(p.elapsedMs)}  ${text}\n`);
        this.last = text;
        this.lastPrinted = now;
      }
    }
  }

  onStdErr(chunk: string | Buffer): void {
    process.stderr.write(chunk);
  }

  onStepEnd(_test: TestCase, _result: TestResult, step: TestStep): void {
    if (step.category !== 'test.step') return;
    const mark = step.error ? '✗' : '✓';
    process.stdout.write(`  ${mark} ${step.title} (${secondsCompact(step.duration)})${step.error ? `: ${firstLine(step.error.message)}` : ''}\n`);
    this.last = '';
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const verdict = result.status === 'passed' ? 'PASSED' : result.status.toUpperCase();
    process.stdout.write(`${result.status === 'passed' ? '✔' : '✘'} ${test.title}: ${verdict} in ${secondsCompact(result.duration)}\n`);
    if (result.status !== 'passed' && result.error?.message) process.stdout.write(indent(stripAnsi(result.error.message)) + '\n');
  }

  onEnd(result: FullResult): void {
    process.stdout.write(`\nfiredrill: run ${result.status} in ${secondsCompact(result.duration)}\n`);
  }
}

const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
const firstLine = (s: string | undefined) => stripAnsi(s ?? '').split('\n')[0] ?? '';
const indent = (s: string) =>
  s
    .split('\n')
    .slice(0, 30)
    .map((l) => `    ${l}`)
    .join('\n');
