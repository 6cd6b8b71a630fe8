// What every smoke check reports, whatever ran it: the journal and the reports read this one
// shape, so an HTTP check, a browser check and a hand-written spec look alike to an auditor.

export type SmokeStatus = 'passed' | 'failed' | 'skipped';

export interface SmokeAttachment {
  name: string;
  /** Absolute path of the file on disk. */
  path: string;
  contentType: string;
}

export interface SmokeResult {
  kind: 'http' | 'browser' | 'spec';
  name: string;
  status: SmokeStatus;
  durationMs: number;
  /** One line a report can show beside the name. */
  summary: string;
  /** Every problem found, not only the first, so one run tells the whole story. */
  failures: string[];
  attachments: SmokeAttachment[];
  /** What the verdict rests on (status, body excerpt, latency, console messages...). */
  evidence?: Record<string, unknown>;
}

/** The summary line: what passed, or how many problems and the first line of the first. */
export const summarize = (failures: string[], passedSummary: string): string => {
  const [first] = failures;
  if (first === undefined) return passedSummary;
  return `${failures.length} problem${failures.length === 1 ? '' : 's'}: ${first.split('\n')[0]}`;
};
