// The HTML report: Allure Report 3 (the npm package `allure`, no Java) run over the
// allure-playwright results, offline. The installed CLI runs as a child of this Node.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** The `allure` CLI script of the installed package. */
export const allureCli = (): string => join(dirname(createRequire(import.meta.url).resolve('allure')), '..', 'cli.js');

export interface AllureHtmlResult {
  outputDir: string;
  index: string;
  exitCode: number;
  output: string;
}

/** Runs `allure generate RESULTS -o OUTPUT --name NAME`; rejects when the CLI fails or writes no index.html. */
export const generateAllureHtml = async (resultsDir: string, outputDir: string, options: { reportName?: string; timeoutMs?: number } = {}): Promise<AllureHtmlResult> => {
  const results = resolve(resultsDir);
  const output = resolve(outputDir);
  if (!existsSync(results) || readdirSync(results).length === 0) throw new Error(`no Allure results in ${results}`);
  const args = [allureCli(), 'generate', results, '--output', output, '--report-name', options.reportName ?? 'firedrill'];
  const child = spawn(process.execPath, args, {
    // Its own folder as cwd: no stray allurerc is picked up; offline: nothing is fetched.
    cwd: dirname(output),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', CI: process.env['CI'] ?? '1' },
  });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (text += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number>((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => done(code ?? 1));
  }).finally(() => clearTimeout(timer));
  const index = join(output, 'index.html');
  if (exitCode !== 0 || !existsSync(index)) throw new Error(`allure generate failed (exit ${exitCode}):\n${text}`);
  return { outputDir: output, index, exitCode, output: text };
};
