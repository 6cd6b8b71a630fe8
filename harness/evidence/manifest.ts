// The manifest of an evidence bundle: a run's directory (`<report dir>/<run id>/`: journal.json,
// artifacts/, the reports) with `manifest.json` beside them, listing the sha256 of every other
// file, and who ran what, where, when, from which revision of the scenarios.
//
// The manifest also carries a digest of its own content, so an edit to the manifest itself is
// found too. None of this is a signature: whoever can rewrite the files can rewrite the manifest
// and its digest. To make a bundle tamper-evident against that, keep the manifest's digest
// somewhere the bundle's holder cannot write (a CI log, a ticket), and compare it; `firedrill
// verify` prints it.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../lib/fs/write-file-atomic.ts';
import type { Journal } from '../journal/journal.ts';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;
/**
 * The restore ticket (harness/run/restore-ticket.ts) sits in the run's directory but is working
 * state, not evidence: `firedrill recover` rewrites it after the bundle was sealed (a restore that
 * failed in the drill and was finished later), so sealing it would make such a bundle unverifiable.
 * The journal is the record of what the drill did.
 */
export const RESTORE_TICKET_FILE = 'restore-ticket.json';
const UNSEALED = new Set([MANIFEST_FILE, RESTORE_TICKET_FILE]);
/** The two, and the temporary files they are written through: `<name>.<pid>.tmp` (lib/fs), or `<name>.tmp` from before. */
const unsealed = (rel: string): boolean => UNSEALED.has(rel) || UNSEALED.has(rel.replace(/(\.\d+)?\.tmp$/, ''));

export interface ManifestFile {
  /** Relative to the bundle directory, with `/` separators. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface ScenarioRevision {
  /** `git rev-parse HEAD` of the repository holding the scenario file, or "unknown" outside a git checkout. */
  revision: string;
  /** Whether the scenario file differs from that revision (modified, staged or untracked); "unknown" outside a git checkout. */
  dirty: boolean | 'unknown';
}

export interface Manifest {
  manifestVersion: number;
  /** sha256 of this manifest's own content without this field: see manifestDigest. */
  digest: string;
  createdAt: string;
  firedrill: { version: string };
  run: { runId: string; outcome: string; invocationId?: string };
  scenario: { name: string; file: string; hash: string; git: ScenarioRevision };
  ranBy: {
    user: string;
    /** CI variables that say who or what started the run, when set (GITHUB_ACTOR, GITHUB_RUN_ID, CI...). */
    ci?: Record<string, string>;
    /** The CI run's page, when the variables give one. */
    ciRunUrl?: string;
  };
  host: string;
  files: ManifestFile[];
}

/** What the manifest records beside the file hashes; all of it is in the journal. */
export type ManifestJournal = Pick<Journal, 'runId' | 'invocationId' | 'outcome'> & {
  firedrill: { version: string };
  scenario: { name: string; file: string; hash: string };
};

export interface ManifestInfo {
  journal: ManifestJournal;
  /** Default: now. */
  now?: Date;
  /** Where the CI variables come from; default process.env. */
  env?: Record<string, string | undefined>;
}

/** The CI variables recorded, when set: who triggered the run, and where to find it. */
const CI_VARIABLES = [
  'CI',
  'GITHUB_ACTOR',
  'GITHUB_TRIGGERING_ACTOR',
  'GITHUB_REPOSITORY',
  'GITHUB_WORKFLOW',
  'GITHUB_RUN_ID',
  'GITHUB_RUN_ATTEMPT',
  'GITHUB_SHA',
  'GITHUB_REF',
  'GITHUB_SERVER_URL',
  'GITLAB_USER_LOGIN',
  'CI_PIPELINE_URL',
  'CI_JOB_URL',
  'BUILDKITE_BUILD_CREATOR',
  'BUILDKITE_BUILD_URL',
  'BUILD_URL',
];

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Every file under `dir` except the manifest and the restore ticket (and their temporaries), relative with `/`, sorted by code unit. */
export const bundleFiles = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (absolute: string, relative: string) => {
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      // A symbolic link is recorded as a link (see hashFile), never followed: no cycles, no files from outside.
      if (entry.isDirectory()) walk(join(absolute, entry.name), rel);
      else if (!unsealed(rel)) out.push(rel);
    }
  };
  walk(dir, '');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
};

/** A file's sha256 and size; a symbolic link's are those of `symlink:<its target>`. */
export const hashFile = (path: string): { sha256: string; bytes: number } => {
  const data = lstatSync(path).isSymbolicLink() ? Buffer.from(`symlink:${readlinkSync(path)}`) : readFileSync(path);
  return { sha256: sha256(data), bytes: data.length };
};

export const hashBundle = (dir: string): ManifestFile[] => bundleFiles(dir).map((path) => ({ path, ...hashFile(join(dir, ...path.split('/'))) }));

const git = (cwd: string, args: string[]): string =>
  execFileSync('git', ['--no-optional-locks', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();

/** The revision of the repository holding `file`, and whether `file` differs from it. */
export const scenarioRevision = (file: string): ScenarioRevision => {
  const absolute = resolve(file);
  const cwd = dirname(absolute);
  let revision: string;
  try {
    revision = git(cwd, ['rev-parse', '--verify', 'HEAD']);
  } catch {
    return { revision: 'unknown', dirty: 'unknown' };
  }
  try {
    return { revision, dirty: git(cwd, ['status', '--porcelain', '--', basename(absolute)]) !== '' };
  } catch {
    return { revision, dirty: 'unknown' };
  }
};

const whoRan = (env: Record<string, string | undefined>): Manifest['ranBy'] => {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A container user with no passwd entry.
    user = env['USER'] ?? env['LOGNAME'] ?? 'unknown';
  }
  const ci = Object.fromEntries(CI_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]!]] : [])));
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: runId } = env;
  const ciRunUrl = server && repo && runId ? `${server}/${repo}/actions/runs/${runId}` : (env['CI_JOB_URL'] ?? env['BUILDKITE_BUILD_URL'] ?? env['BUILD_URL']);
  return { user, ...(Object.keys(ci).length > 0 ? { ci } : {}), ...(ciRunUrl ? { ciRunUrl } : {}) };
};

/** The bytes a manifest is written as: verify requires the file to be exactly this. */
export const serializeManifest = (manifest: Manifest): string => `${JSON.stringify(manifest, null, 2)}\n`;

/** sha256 of the manifest's serialization without its `digest` field. */
export const manifestDigest = (manifest: Omit<Manifest, 'digest'> & { digest?: unknown }): string => {
  const { digest: _, ...rest } = manifest;
  return sha256(`${JSON.stringify(rest, null, 2)}\n`);
};

/** The manifest of `bundleDir` as it is now; writes nothing. */
export const buildManifest = (bundleDir: string, info: ManifestInfo): Manifest => {
  const { journal } = info;
  const env = info.env ?? process.env;
  const content: Omit<Manifest, 'digest'> = {
    manifestVersion: MANIFEST_VERSION,
    createdAt: (info.now ?? new Date()).toISOString(),
    firedrill: { version: journal.firedrill.version },
    run: { runId: journal.runId, outcome: journal.outcome, ...(journal.invocationId ? { invocationId: journal.invocationId } : {}) },
    scenario: { name: journal.scenario.name, file: journal.scenario.file, hash: journal.scenario.hash, git: scenarioRevision(journal.scenario.file) },
    ranBy: whoRan(env),
    host: hostname(),
    files: hashBundle(bundleDir),
  };
  // The digest goes second, so a reader sees it near the top; it covers everything else.
  const { manifestVersion, ...others } = content;
  return { manifestVersion, digest: manifestDigest(content), ...others };
};

/**
 * Writes `<bundleDir>/manifest.json` (atomically), covering every file in the bundle now: call it
 * after the last file of the bundle is written, and again if a report is added later.
 */
export const writeManifest = (bundleDir: string, info: ManifestInfo): Manifest => {
  const manifest = buildManifest(bundleDir, info);
  const path = join(bundleDir, MANIFEST_FILE);
  writeFileAtomic(path, serializeManifest(manifest));
  return manifest;
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export type ReadManifest =
  | { ok: true; manifest: Manifest; /** Whether the file is byte for byte what was written: its digest matches and nothing was reformatted. */ unchanged: boolean }
  | { ok: false; problem: string };

/** Reads and checks `<bundleDir>/manifest.json`; a problem is a sentence a person can act on. */
export const readManifest = (bundleDir: string): ReadManifest => {
  const path = join(bundleDir, MANIFEST_FILE);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      problem: code === 'ENOENT' ? `${path} does not exist: this is not an evidence bundle, or it was sealed by a firedrill without manifests` : `cannot read ${path} (${code ?? String(error)})`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return { ok: false, problem: `${path} is not valid JSON (${(error as Error).message}); the manifest was damaged, so nothing in the bundle can be checked against it` };
  }
  if (!isRecord(parsed)) return { ok: false, problem: `${path} is not a manifest: it holds no JSON object` };
  if (parsed['manifestVersion'] !== MANIFEST_VERSION) {
    return { ok: false, problem: `${path} has manifestVersion ${JSON.stringify(parsed['manifestVersion'])}; this firedrill reads version ${MANIFEST_VERSION}` };
  }
  const files = parsed['files'];
  if (!Array.isArray(files)) return { ok: false, problem: `${path} is not a manifest: it has no "files" list` };
  const seen = new Set<string>();
  for (const [i, f] of files.entries()) {
    if (!isRecord(f) || typeof f['path'] !== 'string' || typeof f['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(f['sha256'])) {
      return { ok: false, problem: `${path}: files[${i}] is not {path, sha256 (64 hex digits), bytes}` };
    }
    const p = f['path'];
    if (p === '' || p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..') || p.includes('\\')) {
      return { ok: false, problem: `${path}: files[${i}].path ${JSON.stringify(p)} is not a relative path inside the bundle` };
    }
    if (seen.has(p)) return { ok: false, problem: `${path}: ${p} is listed twice` };
    seen.add(p);
  }
  const manifest = parsed as unknown as Manifest;
  const unchanged = typeof parsed['digest'] === 'string' && parsed['digest'] === manifestDigest(manifest) && raw === serializeManifest(manifest);
  return { ok: true, manifest, unchanged };
};
