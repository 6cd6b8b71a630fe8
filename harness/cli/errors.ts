// Errors a user can act on: printed as one message, never as a stack trace, with the exit
// code DESIGN.md assigns (2: bad input or configuration, nothing was touched).

export const ExitCode = {
  ok: 0,
  drillFailed: 1,
  badInput: 2,
  unhealthyBefore: 3,
  restoreFailed: 4,
} as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.badInput,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Turns a connection failure to a local endpoint into advice instead of a socket error. */
export const explainConnectionError = (error: unknown, endpoint: string | undefined): Error => {
  const code = (error as { code?: string; cause?: { code?: string } })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  if (code === 'ECONNREFUSED' && endpoint) {
    return new UserError(`cannot reach an ECS endpoint at ${endpoint}: nothing is listening there. Start the sandbox with \`firedrill sandbox start\`, or pass --endpoint.`);
  }
  return error instanceof Error ? error : new Error(String(error));
};
