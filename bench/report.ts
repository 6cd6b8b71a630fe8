// Printing for `npm run bench`: aligned tables on stdout, progress lines on stderr, and the
// number formats every section shares. Nothing here measures anything.

import { cpus, loadavg, totalmem } from 'node:os';
import { median } from '../lib/stats.ts';

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** A table with a title, its columns padded to the widest cell; numbers are usually right-aligned. */
export const table = (title: string, columns: Column[], rows: string[][], notes: string[] = []): string => {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' +
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return (c.align ?? 'left') === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = '  ' + widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(columns.map((c) => c.header)), rule, ...rows.map(line), ...notes.map((n) => `  ${n}`), ''].join('\n') + '\n';
};

export const print = (text: string): void => {
  process.stdout.write(text);
};

/** Progress goes to stderr, so `npm run bench > results.txt` keeps only the figures. */
export const progress = (message: string): void => {
  process.stderr.write(`  … ${message}\n`);
};

export const section = (title: string): void => {
  print(`\n${title}\n${'='.repeat(title.length)}\n\n`);
};

export const header = (argsLine: string): void => {
  const cpu = cpus();
  print(
    [
      'firedrill benchmark',
      `  date     ${new Date().toISOString()}`,
      `  node     ${process.version} (${process.platform}/${process.arch})`,
      `  cpus     ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}`,
      `  memory   ${mib(totalmem())} MiB total`,
      `  load     ${loadLine()} (1/5/15 min; everything else running on this machine competes with the bench)`,
      `  options  ${argsLine}`,
      '',
    ].join('\n'),
  );
};

/** The 1, 5 and 15 minute load averages: a busy machine makes every figure here worse. */
export const loadLine = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
export const load1 = (): string => (loadavg()[0] ?? 0).toFixed(2);

export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
export const kibToMib = (kib: number): string => (kib / 1024).toFixed(1);
export const ms = (value: number): string => `${Math.round(value)}`;
export const ms1 = (value: number): string => value.toFixed(1);
export const count = (value: number): string => Math.round(value).toLocaleString('en-US');
export const ratio = (value: number): string => `${value.toFixed(2)}×`;

export interface Stats {
  min: number;
  median: number;
  max: number;
}

export const stats = (values: number[]): Stats | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: median(sorted)!, max: sorted[sorted.length - 1]! };
};
