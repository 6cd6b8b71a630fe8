// What every ECS operation handler sees, and the bits they share: errors ECS has that the
// control layer's EcsErrorCode does not list, and List* pagination.

import { EcsError } from '../../control/errors.ts';
import type { EventSink } from '../../control/ports.ts';
import type { SandboxState } from '../../control/state.ts';
import type { Json, PageInput } from '../validate.ts';

export interface OperationContext {
  state: SandboxState;
  events: EventSink;
}

export interface Operation {
  /** Changes state: the server calls onMutation() after it succeeds. */
  mutating: boolean;
  handle(input: Json, ctx: OperationContext): unknown;
}

export type OperationTable = Record<string, Operation>;

export const read = (handle: Operation['handle']): Operation => ({ mutating: false, handle });
export const write = (handle: Operation['handle']): Operation => ({ mutating: true, handle });

/**
 * An ECS error whose code is not one of the control layer's EcsErrorCode values (for example
 * ClusterContainsServicesException). The server renders it exactly like an EcsError.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = code;
  }
}

const encodeToken = (offset: number): string => Buffer.from(`firedrill:${offset}`, 'utf8').toString('base64');

const decodeToken = (token: string): number => {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const m = /^firedrill:(\d+)$/.exec(text);
  if (!m) throw new EcsError('InvalidParameterException', 'The nextToken is invalid: pass back the nextToken of a previous response unchanged.');
  return Number(m[1]);
};

/**
 * One page of a list, ECS style: `maxResults` (1-100, the operation's own default) and an opaque
 * `nextToken` that encodes the offset of the next item. A page that reaches the end has no token.
 */
export const paginate = <T>(items: T[], page: PageInput, defaultMax = 100): { items: T[]; nextToken?: string } => {
  const offset = page.nextToken === undefined ? 0 : decodeToken(page.nextToken);
  const max = page.maxResults ?? defaultMax;
  const slice = items.slice(offset, offset + max);
  const next = offset + slice.length;
  return next < items.length ? { items: slice, nextToken: encodeToken(next) } : { items: slice };
};
