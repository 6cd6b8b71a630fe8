// One HTTP smoke check against the restored service. Every expectation is judged and every miss
// is listed, so a report shows "wrong status and wrong version" rather than only the first.

import { performance } from 'node:perf_hooks';
import type { HttpCheck } from '../config/scenario.ts';
import { parseJsonPath, readJsonPath } from './json-path.ts';
import { fillPlaceholders } from './placeholders.ts';
import { summarize, type SmokeResult } from './results.ts';

const BODY_EXCERPT_CHARS = 500;

/** Placeholders are filled before anything is sent: an unknown one throws PlaceholderError. */
export async function runHttpCheck(baseUrl: string, check: HttpCheck, values: Record<string, string>): Promise<SmokeResult> {
  const fill = (text: string) => fillPlaceholders(text, values);
  const path = fill(check.path);
  const name = check.name ?? `${check.method} ${path}`;
  const url = joinUrl(baseUrl, path);
  const requestBody = check.body === undefined ? undefined : fill(check.body);
  const bodyContains = check.bodyContains === undefined ? undefined : fill(check.bodyContains);
  const json = Object.entries(check.json ?? {}).map(([jsonPath, want]) => [jsonPath, typeof want === 'string' ? fill(want) : want] as const);
  const headers = Object.entries(check.headers ?? {}).map(([header, want]) => [header, fill(want)] as const);

  const started = performance.now();
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      method: check.method,
      body: requestBody,
      // The check's status is the one the service answered; following a redirect would hide it.
      redirect: 'manual',
      signal: AbortSignal.timeout(check.timeoutMs),
    });
    body = await response.text();
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    const failure = isTimeout(error) ? `no response within ${check.timeoutMs} ms` : `request failed: ${describeFetchError(error)}`;
    return { kind: 'http', name, status: 'failed', durationMs, summary: summarize([failure], ''), failures: [failure], attachments: [], evidence: { method: check.method, url } };
  }
  const durationMs = Math.round(performance.now() - started);

  const failures: string[] = [];
  if (response.status !== check.status) failures.push(`status: expected ${check.status}, got ${response.status}`);
  if (bodyContains !== undefined && !body.includes(bodyContains)) failures.push(`body: does not contain ${JSON.stringify(bodyContains)}`);
  if (json.length > 0) failures.push(...judgeJson(body, json));
  for (const [header, want] of headers) failures.push(...judgeHeader(header, response.headers.get(header), want));

  return {
    kind: 'http',
    name,
    status: failures.length === 0 ? 'passed' : 'failed',
    durationMs,
    summary: summarize(failures, `HTTP ${response.status} in ${durationMs} ms`),
    failures,
    attachments: [],
    evidence: {
      method: check.method,
      url,
      status: response.status,
      latencyMs: durationMs,
      bodyExcerpt: body.slice(0, BODY_EXCERPT_CHARS),
    },
  };
}

/** Keeps a base URL's own path (`http://host/app` + `/api` is `/app/api`), which `new URL(path, base)` would drop. */
const joinUrl = (baseUrl: string, path: string): string => baseUrl.replace(/\/+$/, '') + path;

type JsonExpected = string | number | boolean | null;

function judgeJson(body: string, expected: ReadonlyArray<readonly [string, JsonExpected]>): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`json: the body is not JSON, so ${expected.map(([path]) => path).join(', ')} could not be checked`];
  }
  return expected.flatMap(([path, want]) => {
    const segments = parseJsonPath(path);
    if (!segments) return [`json ${path}: not a valid path; use dots and [n], as in orders[0].status`];
    const found = readJsonPath(parsed, segments);
    if (!found.found) return [`json ${path}: not found (${found.missing} is absent)`];
    // Strict: the string "5" is not the number 5, and the message shows which one arrived.
    if (found.value !== want) return [`json ${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(found.value)}`];
    return [];
  });
}

function judgeHeader(header: string, actual: string | null, want: string): string[] {
  if (actual === null) return [`header ${header}: missing, expected ${want}`];
  const regex = /^\/(.*)\/([dgimsuvy]*)$/s.exec(want);
  if (!regex) return actual === want ? [] : [`header ${header}: expected ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`];
  let pattern: RegExp;
  try {
    pattern = new RegExp(regex[1] ?? '', regex[2]);
  } catch (error) {
    return [`header ${header}: ${want} is not a valid regular expression (${(error as Error).message})`];
  }
  return pattern.test(actual) ? [] : [`header ${header}: expected to match ${want}, got ${JSON.stringify(actual)}`];
}

const isTimeout = (error: unknown): boolean => error instanceof DOMException && error.name === 'TimeoutError';

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS error...) is in its cause. */
const describeFetchError = (error: unknown): string => {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
};
