// Checking an evidence bundle against its manifest: which files changed, which were added,
// which were removed since the manifest was written. See manifest.ts for what a bundle is.

import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { bundleFiles, hashFile, MANIFEST_FILE, readManifest, type Manifest } from './manifest.ts';

export interface BundleCheck {
  /** Every listed file is there with its hash, nothing else is, and the manifest itself is as written. */
  ok: boolean;
  /** Listed files whose content differs; `manifest.json` when the manifest itself was edited. */
  changed: string[];
  /** Files in the bundle the manifest does not list. */
  added: string[];
  /** Listed files that are gone. */
  removed: string[];
  /** Set when there is no usable manifest (missing, not JSON, not a manifest): nothing could be checked. */
  manifestProblem?: string;
  /** The manifest the bundle was checked against, when it could be read. */
  manifest?: Manifest;
}

/** A run directory, or the path of its manifest.json, as the run directory. */
export const bundleDirOf = (path: string): string => {
  const absolute = resolve(path);
  return basename(absolute) === MANIFEST_FILE && existsSync(absolute) && statSync(absolute).isFile() ? dirname(absolute) : absolute;
};

const sorted = (paths: Iterable<string>): string[] => [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export const verifyBundle = (bundleDir: string): BundleCheck => {
  const dir = resolve(bundleDir);
  if (!existsSync(dir)) return { ok: false, changed: [], added: [], removed: [], manifestProblem: `${dir} does not exist` };
  if (!statSync(dir).isDirectory()) return { ok: false, changed: [], added: [], removed: [], manifestProblem: `${dir} is not a directory: pass a run directory or its ${MANIFEST_FILE}` };
  const read = readManifest(dir);
  if (!read.ok) return { ok: false, changed: [], added: [], removed: [], manifestProblem: read.problem };
  const { manifest } = read;

  const present = new Set(bundleFiles(dir));
  const changed: string[] = read.unchanged ? [] : [MANIFEST_FILE];
  const removed: string[] = [];
  for (const listed of manifest.files) {
    if (!present.has(listed.path)) {
      removed.push(listed.path);
      continue;
    }
    present.delete(listed.path);
    let actual: string | undefined;
    try {
      actual = hashFile(join(dir, ...listed.path.split('/'))).sha256;
    } catch {
      // Unreadable: it cannot be shown to be what was written.
    }
    if (actual !== listed.sha256) changed.push(listed.path);
  }
  const added = sorted(present);
  const result = { changed: sorted(changed), added, removed: sorted(removed) };
  return { ok: result.changed.length === 0 && added.length === 0 && result.removed.length === 0, ...result, manifest };
};
