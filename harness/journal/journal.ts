// The journal: the one record of a drill run, in the manner of Chaos Toolkit's journal.
// Every report is derived from it; nothing is measured twice.

import { writeFileAtomic } from '../../lib/fs/write-file-atomic.ts';
import type { Measurements } from '../analysis/measurements.ts';
import type { Verdict } from '../analysis/verdicts.ts';
import type { Scenario } from '../config/scenario.ts';
import type { ApiStats } from '../ecs/api-stats.ts';
import type { DiffLine } from '../releases/diff.ts';
import type { SmokeResult } from '../smoke/results.ts';
import type { Observation, Phase } from '../observe/timeline.ts';
import type { Finding } from '../security/findings.ts';
import type { Outcome } from './outcome.ts';

export const JOURNAL_SCHEMA_VERSION = 1;

export interface ReleaseRecord {
  taskDefinitionArn: string;
  image: string;
  tag?: string;
  /** The version the prober sees this release answer with. */
  version?: string;
}

export interface PhaseRecord {
  phase: Phase;
  startedAt: number;
  endedAt?: number;
  outcome: 'ok' | 'failed' | 'skipped' | 'interrupted';
  detail?: string;
}

export interface Journal {
  schemaVersion: number;
  runId: string;
  /** Shared by the drills of one `firedrill run`. */
  invocationId?: string;
  firedrill: { version: string };
  startedAt: number;
  endedAt?: number;
  scenario: { name: string; file: string; hash: string; spec: Scenario };
  environment: {
    name: string;
    file: string;
    hash: string;
    kind: string;
    endpoint?: string;
    region: string;
    cluster: string;
    service: string;
    url: string;
  };
  baseline?: ReleaseRecord;
  injected?: ReleaseRecord & { summary: string; diff: DiffLine[] };
  /** The baseline release's security findings (`firedrill check`'s, without the rollback-time check), from preflight. */
  security?: { findings: Finding[] };
  rollbackPath: string;
  phases: PhaseRecord[];
  markers: {
    injectAt?: number;
    detectedAt?: number;
    detectedBy?: string;
    rollbackStartedAt?: number;
    recoveredAt?: number;
  };
  timeline: Observation[];
  measurements?: Measurements;
  verdicts: Verdict[];
  smoke: { baseline: SmokeResult[]; afterRecovery: SmokeResult[] };
  restore: { ok: boolean; state: string; actions: string[] };
  outcome: Outcome;
  exitCode: number;
  /** What went wrong outside the expectations: errors, interruptions. */
  problems: string[];
  /**
   * The ECS API as this drill met it: calls, the SDK's retries, error codes per attempt
   * (ThrottlingException, ServerException ...) and calls that failed for good, in total and by
   * operation. Absent in journals written before it existed.
   */
  api?: ApiStats;
  artifactsDir: string;
}

/** Written atomically: a reader never sees half a journal, even if the harness dies mid-write. */
export const writeJournal = (path: string, journal: Journal): void => {
  writeFileAtomic(path, JSON.stringify(journal, null, 2) + '\n');
};
