// The team's own deploy and rollback commands (a script, `gh workflow run ...`, the AWS CLI),
// run through zx with placeholders filled in as shell-quoted values.

import { $, quote } from 'zx';
import { redactText } from '../../lib/redact.ts';

export type Placeholders = Record<string, string>;

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** `{name}` -> the value, shell-quoted. An unknown placeholder is an error, never an empty string. */
export const fillCommand = (template: string, values: Placeholders): string =>
  template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new CommandError(`unknown placeholder {${name}} in command; known: ${Object.keys(values).map((k) => `{${k}}`).join(' ')}`, null, '');
    }
    return quote(value);
  });

export interface CommandResult {
  command: string;
  exitCode: number;
  durationMs: number;
  /** The output's tail, redacted. */
  output: string;
}

const OUTPUT_KEPT = 4000;

export const runCommand = async (
  template: string,
  values: Placeholders,
  options: { timeoutMs: number; signal?: AbortSignal; env?: Record<string, string> },
): Promise<CommandResult> => {
  const command = fillCommand(template, values);
  const started = Date.now();
  const shell = $({ quiet: true, nothrow: true, timeout: options.timeoutMs, signal: options.signal, env: { ...process.env, ...options.env } });
  const result = await shell`bash -c ${command}`;
  const output = redactText(`${result.stdout}${result.stderr}`).slice(-OUTPUT_KEPT);
  const exitCode = result.exitCode ?? -1;
  const outcome: CommandResult = { command: redactText(command), exitCode, durationMs: Date.now() - started, output };
  if (exitCode !== 0) {
    throw new CommandError(`command exited with ${exitCode}${result.signal ? ` (${result.signal})` : ''}: ${outcome.command}\n${output.slice(-800)}`, exitCode, output);
  }
  return outcome;
};
