// A thin wrapper over node:util parseArgs that turns its errors into usage errors.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Environment } from '../config/environment.ts';
import { isValidTag } from '../releases/image-ref.ts';
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

/** `--candidate TAG`, which must be a tag Docker could pull. */
export const parseCandidateTag = (value: string): string => {
  if (!isValidTag(value)) throw new UserError(`--candidate "${value}" is not a valid image tag`);
  return value;
};

/** `--service KEY`: one of the environment's services, its first by default. */
export const serviceKeyOf = (env: Environment, value: string | undefined): string => {
  const service = value ?? Object.keys(env.services)[0]!;
  if (!env.services[service]) throw new UserError(`environment ${env.name} has no service "${service}"; it has: ${Object.keys(env.services).join(', ')}`);
  return service;
};
