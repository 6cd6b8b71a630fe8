// Writing a file so that a reader finds the old content or the new, never half of either, even
// when the writer dies mid-write: the data goes to a temporary file beside the target (same
// folder, so the same filesystem) and is renamed over it. The temporary name carries the pid,
// so two processes writing the same file never write into one temporary file.
//
// `durable` is for files that must survive a power cut once the call returns (the restore
// ticket): the temporary file is fsynced before the rename and the folder after it.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface WriteFileAtomicOptions {
  /** fsync the file before the rename and its folder after: on disk when this returns. */
  durable?: boolean;
}

/** The temporary file a write of `path` goes through. */
export const temporaryPathFor = (path: string): string => `${path}.${process.pid}.tmp`;

/** Writes `data` to `path` whole or not at all, creating its folder when missing. */
export const writeFileAtomic = (path: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): void => {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeFileSync(fd, data);
      if (options.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  if (options.durable) syncFolder(dirname(path));
};

const syncFolder = (dir: string): void => {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse to fsync a directory; the rename is still atomic there.
  }
};
