// The sandbox's ground truth: every action it takes, one JSON object a line, appended as it
// happens. Drill measurements are checked against this file, so each line carries the
// wall-clock time at which the sandbox acted.

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock, EventSink } from './control/ports.ts';

export interface SandboxEvent {
  time: string;
  epochMs: number;
  kind: string;
  [field: string]: unknown;
}

export class EventLog implements EventSink {
  constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  emit(kind: string, data: Record<string, unknown>): void {
    const epochMs = this.clock.now();
    const line: SandboxEvent = { time: new Date(epochMs).toISOString(), epochMs, kind, ...data };
    // Synchronous on purpose: a crash must not lose the record of what was done before it.
    appendFileSync(this.path, JSON.stringify(line) + '\n');
  }
}
