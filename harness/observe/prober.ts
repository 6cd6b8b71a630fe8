// The endpoint prober: what a user of the service sees. It GETs one URL at a fixed rate and
// records whether the answer was good, which release gave it, and how long it took. Requests
// may overlap (each is bounded by the timeout), so a hanging release shows as timeouts at the
// probe rate instead of silencing the prober.

import type { ProbeObservation, Timeline } from './timeline.ts';

export interface ProberOptions {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  /** The response header naming the release, read when the body has no `version`. */
  versionHeader: string;
  timeline: Timeline;
  clock: { now(): number };
}

export interface Prober {
  /** Stops probing; resolves once the requests in flight have been recorded. */
  stop(): Promise<void>;
}

/** The body's `version` when it is JSON that has one, else the header. */
const versionOf = (body: string, response: Response, versionHeader: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && 'version' in parsed && typeof parsed.version === 'string') return parsed.version;
  } catch {
    // Not JSON: the header is the only place left.
  }
  return response.headers.get(versionHeader) ?? undefined;
};

/** A short, stable name for why a request got no answer: `timeout`, or the socket error's code. */
const probeError = (error: unknown): string => {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  // fetch wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
};

export const startProber = (options: ProberOptions): Prober => {
  const { url, intervalMs, timeoutMs, versionHeader, timeline, clock } = options;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const probe = async (): Promise<void> => {
    const t = clock.now();
    let observation: ProbeObservation;
    try {
      // redirect 'manual': the prober talks to the configured URL only, never where a redirect points.
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { 'user-agent': 'firedrill-prober' } });
      const body = await response.text();
      const version = versionOf(body, response, versionHeader);
      observation = { t, source: 'probe', ok: response.ok, status: response.status, version, latencyMs: clock.now() - t };
    } catch (error) {
      observation = { t, source: 'probe', ok: false, latencyMs: clock.now() - t, error: probeError(error) };
    }
    timeline.add(observation);
  };

  const started = clock.now();
  let ticks = 0;
  const tick = (): void => {
    if (stopped) return;
    const request = probe();
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
    // Fixed rate measured from the start, so timer lateness does not accumulate; a slot missed
    // entirely (the event loop was blocked) is skipped rather than fired in a burst.
    ticks = Math.max(ticks + 1, Math.floor((clock.now() - started) / intervalMs) + 1);
    timer = setTimeout(tick, Math.max(0, started + ticks * intervalMs - clock.now()));
  };
  tick();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(inFlight);
    },
  };
};
