// Reading the sandbox's ground truth, events.jsonl, from a byte offset on: the bench notes the
// file's size before it acts and reads only what the sandbox appended since.

import { openSync, readSync, closeSync, statSync } from 'node:fs';

export interface SandboxEvent {
  time: string;
  epochMs: number;
  kind: string;
  [field: string]: unknown;
}

export class EventLogReader {
  constructor(readonly path: string) {}

  /** The current end of the log: events appended after this call start at this offset. */
  size(): number {
    return statSync(this.path).size;
  }

  /** Every complete line from `offset` on, parsed; a line still being written is left for the next read. */
  readFrom(offset: number): SandboxEvent[] {
    const end = this.size();
    if (end <= offset) return [];
    const buffer = Buffer.alloc(end - offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, offset);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    return complete
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SandboxEvent);
  }

  all(): SandboxEvent[] {
    return this.readFrom(0);
  }
}
