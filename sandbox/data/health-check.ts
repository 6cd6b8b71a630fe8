// ELB-style HTTP health checks: one GET per check on a fresh connection, judged by the
// target group's matcher. A check never rejects; every outcome is an ELB reason code.

import http from 'node:http';

export type StatusMatcher = (status: number) => boolean;

/** ELB's matcher syntax: "200", "200,204", "200-399", or a comma-separated mix of both. */
export const parseMatcher = (spec: string): StatusMatcher => {
  const ranges = spec.split(',').map((part) => {
    const m = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part);
    const low = Number(m?.[1]);
    const high = Number(m?.[2] ?? m?.[1]);
    if (!m || high < low) {
      throw new Error(`Invalid health check matcher "${spec}": use status codes like "200", "200,204" or "200-399".`);
    }
    return { low, high };
  });
  return (status) => ranges.some(({ low, high }) => status >= low && status <= high);
};

export type CheckResult = { ok: true } | { ok: false; reason: string; description: string };

export interface CheckRequest {
  port: number;
  path: string;
  timeoutMs: number;
  matches: StatusMatcher;
  /** Aborting settles the check as failed at once; the caller ignores that result. */
  signal: AbortSignal;
}

const timedOut: CheckResult = { ok: false, reason: 'Target.Timeout', description: 'Request timed out' };
const failed: CheckResult = { ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' };

export const checkTarget = (request: CheckRequest): Promise<CheckResult> =>
  new Promise((resolve) => {
    // agent: false gives every check its own connection, so a refused port is noticed on
    // the check that meets it instead of hiding behind a pooled socket.
    const req = http.get({
      host: '127.0.0.1',
      port: request.port,
      path: request.path,
      agent: false,
      headers: { 'user-agent': 'ELB-HealthChecker/2.0' },
      signal: request.signal,
    });
    const settle = (result: CheckResult): void => {
      clearTimeout(timer);
      // Only the status line matters; dropping the connection also ends a body that never stops.
      req.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => settle(timedOut), request.timeoutMs);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      settle(
        request.matches(status)
          ? { ok: true }
          : {
              ok: false,
              reason: 'Target.ResponseCodeMismatch',
              description: `Health checks failed with these codes: [${status}]`,
            },
      );
    });
    req.on('error', () => settle(failed));
  });
