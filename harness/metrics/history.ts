// The history: one JSON line per run, appended after every drill and every validation run. It is
// what `firedrill metrics` reads, so CI can keep it as an artifact or in S3 and carry it from run
// to run. Each record is derived from the run's journal (or validation report) alone; nothing is
// measured twice.
//
// Where it lives: `--history FILE`, else $FIREDRILL_HISTORY, else <report dir>/history.jsonl.
//
// How a journal becomes a record:
// - passed: the drill's outcome is 'passed'.
// - gatePassed: the bad release never reached COMPLETED and its traffic share stayed within the
//   limit (the verdicts 'bad-release-never-completes' and 'bad-traffic-share', whichever the
//   scenario judged). null when neither was judged, or the run never got to judge them fairly:
//   interrupted, invalid input, unhealthy before the drill.
// - rollbackPassed: the 'recovery-within-budget' verdict passed and the restore was ok. false
//   whenever the restore failed; otherwise null when recovery was not judged (as above).
// - probeFailures: the monitoring's failures where none were expected. Probes count only when
//   no failure was injected: before inject (all of them when nothing was injected) and from
//   recovery on. Every service poll counts, and a poll that failed ("service poller: ..." in the
//   journal's problems) is a failure. So {count, total} = {failed probes + failed polls, probes
//   + polls}.
// - times: the journal's measurements (null when not measured); phase durations: its phases.
//
// A validation report becomes a 'validation' record: passed is the report's verdict, the
// rollback is its 'rollback-to-current' step (timeToRecoverMs is that step's duration when it
// passed; the step is also the restore, so a report that says it did not restore is
// restore-failed), phaseDurationsMs are its steps' durations, the gate is null (the failing
// release it drills is judged in that drill's own journal).

import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Journal } from '../journal/journal.ts';
import type { ValidationReport } from '../journal/validation.ts';

export const HISTORY_FILE_NAME = 'history.jsonl';
export const HISTORY_ENV = 'FIREDRILL_HISTORY';

export type RunKind = 'drill' | 'validation';

export interface HistoryRecord {
  kind: RunKind;
  /** When the run started, ISO 8601. */
  at: string;
  runId: string;
  scenario: string;
  environment: string;
  /** A drill's Outcome ('passed', 'failed', 'restore-failed', ...); validation runs use 'passed', 'failed' or 'restore-failed'. */
  outcome: string;
  rollbackPath: string;
  passed: boolean;
  /** null: not judged in this run. */
  gatePassed: boolean | null;
  /** null: not judged in this run. */
  rollbackPassed: boolean | null;
  timeToDetectMs: number | null;
  timeToRollbackStartMs: number | null;
  timeToRecoverMs: number | null;
  /** Phase (or validation step) -> milliseconds, for the phases that ended. */
  phaseDurationsMs: Record<string, number>;
  probeFailures: { count: number; total: number };
  /** Validation runs: the candidate tag. */
  candidate?: string;
}

/** The history file: the flag, else $FIREDRILL_HISTORY, else <report dir>/history.jsonl. */
export const historyFileFor = (o: { history?: string; reportDir: string; env?: Record<string, string | undefined> }): string =>
  o.history || (o.env ?? process.env)[HISTORY_ENV] || join(o.reportDir, HISTORY_FILE_NAME);

// ---- records from runs (pure)

const GATE_VERDICTS = ['bad-release-never-completes', 'bad-traffic-share'];
const RECOVERY_VERDICT = 'recovery-within-budget';
/** Runs that ended before their expectations could be judged fairly. */
const UNJUDGED: readonly string[] = ['interrupted', 'invalid', 'locked', 'unhealthy-baseline'];

const orNull = (n: number | undefined): number | null => (typeof n === 'number' && Number.isFinite(n) ? n : null);

export const historyRecordFromJournal = (j: Journal): HistoryRecord => {
  const verdicts = j.verdicts ?? [];
  const unjudged = UNJUDGED.includes(j.outcome);
  const restoreOk = j.restore?.ok !== false;
  const gate = verdicts.filter((v) => GATE_VERDICTS.includes(v.expectation));
  const recovery = verdicts.find((v) => v.expectation === RECOVERY_VERDICT);

  const phaseDurationsMs: Record<string, number> = {};
  for (const p of j.phases ?? []) {
    if (typeof p.endedAt !== 'number' || p.endedAt < p.startedAt) continue;
    phaseDurationsMs[p.phase] = (phaseDurationsMs[p.phase] ?? 0) + (p.endedAt - p.startedAt);
  }

  const injectAt = j.markers?.injectAt;
  const recoveredAt = j.markers?.recoveredAt;
  const expectHealthy = (t: number) => injectAt === undefined || t < injectAt || (recoveredAt !== undefined && t >= recoveredAt);
  let count = 0;
  let total = 0;
  for (const o of j.timeline ?? []) {
    if (o.source === 'probe' && expectHealthy(o.t)) {
      total += 1;
      if (!o.ok) count += 1;
    } else if (o.source === 'service') {
      total += 1;
    }
  }
  const pollErrors = (j.problems ?? []).filter((p) => p.startsWith('service poller:')).length;
  count += pollErrors;
  total += pollErrors;

  const m = j.measurements;
  return {
    kind: 'drill',
    at: new Date(j.startedAt).toISOString(),
    runId: j.runId,
    scenario: j.scenario.name,
    environment: j.environment.name,
    outcome: j.outcome,
    rollbackPath: j.rollbackPath,
    passed: j.outcome === 'passed',
    gatePassed: unjudged || gate.length === 0 ? null : gate.every((v) => v.passed),
    rollbackPassed: !restoreOk ? false : unjudged || !recovery ? null : recovery.passed,
    timeToDetectMs: orNull(m?.timeToDetectMs),
    timeToRollbackStartMs: orNull(m?.timeToRollbackStartMs),
    timeToRecoverMs: orNull(m?.timeToRecoverMs),
    phaseDurationsMs,
    probeFailures: { count, total },
  };
};

export interface ValidationContext {
  /** The environment's name; the report does not carry it. */
  environment?: string;
  runId?: string;
}

export const historyRecordFromValidation = (report: ValidationReport, at: Date | string | number, context: ValidationContext = {}): HistoryRecord => {
  const iso = new Date(at).toISOString();
  const step = (name: ValidationReport['steps'][number]['name']) => report.steps.find((s) => s.name === name);
  const rollback = step('rollback-to-current');
  // The rollback to the current release is also the restore: when it did not get there, nothing else matters.
  const restoreFailed = report.restored === false;
  const phaseDurationsMs: Record<string, number> = {};
  for (const s of report.steps) phaseDurationsMs[s.name] = (phaseDurationsMs[s.name] ?? 0) + s.durationMs;
  return {
    kind: 'validation',
    at: iso,
    runId: context.runId ?? `validation-${report.candidate}-${iso.replace(/[:.]/g, '-')}`,
    scenario: 'validation',
    environment: context.environment ?? 'unknown',
    outcome: restoreFailed ? 'restore-failed' : report.passed ? 'passed' : 'failed',
    rollbackPath: 'redeploy-previous',
    passed: report.passed,
    gatePassed: null,
    rollbackPassed: restoreFailed ? false : rollback ? rollback.passed : null,
    timeToDetectMs: null,
    timeToRollbackStartMs: null,
    timeToRecoverMs: rollback?.passed ? rollback.durationMs : null,
    phaseDurationsMs,
    probeFailures: { count: 0, total: 0 },
    candidate: report.candidate,
  };
};

// ---- parsing (pure)

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const boolOrNull = (v: unknown): boolean | null | 'bad' => (v === undefined || v === null ? null : typeof v === 'boolean' ? v : 'bad');
const msOrNull = (v: unknown): number | null | 'bad' => (v === undefined || v === null ? null : isCount(v) ? v : 'bad');

/**
 * One line of the history, checked. Lenient where a record is partial (an older or hand-written
 * line without times, verdicts or phases reads as "not measured"), strict where a wrong value
 * would skew a metric: the kind, the time, passed, and the type of every field that is present.
 */
export const parseHistoryRecord = (value: unknown): HistoryRecord | string => {
  if (!isObject(value)) return 'not a JSON object';
  const { kind, at, passed } = value;
  if (kind !== 'drill' && kind !== 'validation') return `kind must be "drill" or "validation", not ${JSON.stringify(kind)}`;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return `at must be an ISO time, not ${JSON.stringify(at)}`;
  if (typeof passed !== 'boolean') return 'passed must be true or false';
  const text = (key: string, fallback: string): string | undefined => {
    const v = value[key];
    return v === undefined || v === null ? fallback : typeof v === 'string' ? v : undefined;
  };
  const runId = text('runId', '');
  const scenario = text('scenario', 'unknown');
  const environment = text('environment', 'unknown');
  const outcome = text('outcome', passed ? 'passed' : 'failed');
  const rollbackPath = text('rollbackPath', 'unknown');
  if (runId === undefined || scenario === undefined || environment === undefined || outcome === undefined || rollbackPath === undefined) {
    return 'runId, scenario, environment, outcome and rollbackPath must be strings';
  }
  const gatePassed = boolOrNull(value.gatePassed);
  const rollbackPassed = boolOrNull(value.rollbackPassed);
  if (gatePassed === 'bad' || rollbackPassed === 'bad') return 'gatePassed and rollbackPassed must be true, false or null';
  const timeToDetectMs = msOrNull(value.timeToDetectMs);
  const timeToRollbackStartMs = msOrNull(value.timeToRollbackStartMs);
  const timeToRecoverMs = msOrNull(value.timeToRecoverMs);
  if (timeToDetectMs === 'bad' || timeToRollbackStartMs === 'bad' || timeToRecoverMs === 'bad') return 'times must be non-negative milliseconds or null';
  const phaseDurationsMs: Record<string, number> = {};
  if (value.phaseDurationsMs !== undefined && value.phaseDurationsMs !== null) {
    if (!isObject(value.phaseDurationsMs)) return 'phaseDurationsMs must be an object';
    for (const [phase, ms] of Object.entries(value.phaseDurationsMs)) {
      if (!isCount(ms)) return `phaseDurationsMs.${phase} must be non-negative milliseconds`;
      phaseDurationsMs[phase] = ms;
    }
  }
  let probeFailures = { count: 0, total: 0 };
  if (value.probeFailures !== undefined && value.probeFailures !== null) {
    const p = value.probeFailures;
    if (!isObject(p) || !isCount(p.count) || !isCount(p.total) || p.count > p.total) return 'probeFailures must be {count, total} with 0 <= count <= total';
    probeFailures = { count: p.count, total: p.total };
  }
  const record: HistoryRecord = {
    kind,
    at,
    runId,
    scenario,
    environment,
    outcome,
    rollbackPath,
    passed,
    gatePassed,
    rollbackPassed,
    timeToDetectMs,
    timeToRollbackStartMs,
    timeToRecoverMs,
    phaseDurationsMs,
    probeFailures,
  };
  if (typeof value.candidate === 'string') record.candidate = value.candidate;
  return record;
};

export interface ParsedHistory {
  records: HistoryRecord[];
  /** Lines that are not a valid record (blank lines are not counted). */
  skipped: number;
  /** The skipped lines: 1-based line number and why. */
  bad: Array<{ line: number; reason: string }>;
}

export const parseHistory = (text: string): ParsedHistory => {
  const records: HistoryRecord[] = [];
  const bad: ParsedHistory['bad'] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      bad.push({ line: index + 1, reason: 'not valid JSON' });
      return;
    }
    const parsed = parseHistoryRecord(value);
    if (typeof parsed === 'string') bad.push({ line: index + 1, reason: parsed });
    else records.push(parsed);
  });
  return { records, skipped: bad.length, bad };
};

// ---- the file

/** Reads the history; a missing file is an empty history. Bad lines are skipped and counted. */
export const readHistory = (file: string): ParsedHistory => {
  if (!existsSync(file)) return { records: [], skipped: 0, bad: [] };
  return parseHistory(readFileSync(file, 'utf8'));
};

const endsWithNewline = (file: string): boolean => {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
};

/**
 * Appends the records, one JSON line each, in one write. A last line left unterminated by a
 * writer that died mid-line is closed first, so it costs one skipped line, not two.
 */
export const appendHistory = (file: string, records: readonly HistoryRecord[]): void => {
  if (records.length === 0) return;
  mkdirSync(dirname(file), { recursive: true });
  const lead = existsSync(file) && !endsWithNewline(file) ? '\n' : '';
  appendFileSync(file, lead + records.map((r) => JSON.stringify(r)).join('\n') + '\n');
};
