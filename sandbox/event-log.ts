// The sandbox's ground truth: every action it takes, one JSON object a line, appended as it
// happens. Drill measurements are checked against this file, so each line carries the
// wall-clock time at which the sandbox acted. The kinds of event and their fields are in
// control/events.ts; this file writes them and reads them back.

import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { isEventKind, type SandboxEvent, type SandboxEventBody } from './control/events.ts';
import type { Clock, EventSink } from './control/ports.ts';

export class EventLog implements EventSink {
  constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  emit(event: SandboxEventBody): void {
    const epochMs = this.clock.now();
    // time, epochMs and kind lead every line, then the event's own fields.
    const line: SandboxEvent = Object.assign({ time: new Date(epochMs).toISOString(), epochMs, kind: event.kind }, event);
    // Synchronous on purpose: a crash must not lose the record of what was done before it.
    appendFileSync(this.path, JSON.stringify(line) + '\n');
  }
}

export interface ReadEventLogOptions {
  /**
   * Byte offset to read from: the file's size noted earlier reads only what was appended since.
   * It must be the start of a line (0, or a size the file had).
   */
  fromByte?: number;
}

const readFrom = (path: string, fromByte: number): string => {
  const fd = openSync(path, 'r');
  try {
    const length = Math.max(0, fstatSync(fd).size - fromByte);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, fromByte + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
};

/**
 * The events of a sandbox's event log (its `eventLogPath`), typed, in the order they happened.
 * Only complete lines are read: one the sandbox is still appending is left for the next read.
 * A line that is not an event the sandbox writes throws, naming the file and line.
 */
export const readEventLog = (path: string, options: ReadEventLogOptions = {}): SandboxEvent[] => {
  const text = readFrom(path, options.fromByte ?? 0);
  const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
  const events: SandboxEvent[] = [];
  lines.forEach((line, i) => {
    if (line === '') return;
    const where = `${path}${options.fromByte ? ` (from byte ${options.fromByte})` : ''}, line ${i + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where} is not JSON (${(error as Error).message}): is this a firedrill sandbox event log?`);
    }
    const e = parsed as Partial<Record<'kind' | 'time' | 'epochMs', unknown>> | null;
    if (typeof e !== 'object' || e === null || typeof e.time !== 'string' || typeof e.epochMs !== 'number' || !isEventKind(e.kind)) {
      throw new Error(`${where} is not a sandbox event (time, epochMs and a known kind): ${line.slice(0, 200)}`);
    }
    events.push(parsed as SandboxEvent);
  });
  return events;
};
