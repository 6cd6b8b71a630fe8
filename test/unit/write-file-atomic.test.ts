// lib/fs/write-file-atomic.ts: the one way files are written whole or not at all.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { temporaryPathFor, writeFileAtomic } from '../../lib/fs/write-file-atomic.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'firedrill-atomic-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the whole text, creating the folder, and leaves no temporary file', () => {
    const dir = tempDir();
    const path = join(dir, 'a', 'b', 'journal.json');
    writeFileAtomic(path, '{"x": 1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"x": 1}\n');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['journal.json']);
  });

  it('replaces what was there, durable or not, and takes bytes too', () => {
    const path = join(tempDir(), 'ticket.json');
    writeFileSync(path, 'old');
    writeFileAtomic(path, 'new', { durable: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
    writeFileAtomic(path, new Uint8Array([0x68, 0x69]));
    expect(readFileSync(path, 'utf8')).toBe('hi');
  });

  it("goes through a temporary file named with this process's pid, beside the target", () => {
    expect(temporaryPathFor('/r/run/manifest.json')).toBe(`/r/run/manifest.json.${process.pid}.tmp`);
  });

  it('keeps the old file and removes its temporary file when the rename fails', () => {
    const dir = tempDir();
    const path = join(dir, 'report');
    mkdirSync(path); // a folder where the file should go: the rename over it fails
    writeFileSync(join(path, 'inside'), 'kept');
    expect(() => writeFileAtomic(path, 'text')).toThrow();
    expect(readdirSync(dir)).toEqual(['report']);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('kept');
  });

});
