// A thin wrapper over node:util parseArgs that turns its errors into usage errors.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from './errors.ts';

export const parse = <T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) => {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UserError(`${(error as Error).message.split('\n')[0]}\n\n${usage}`);
  }
};

export const parsePort = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`${flag} must be a port number from 0 to 65535, not "${value}"`);
  return port;
};
