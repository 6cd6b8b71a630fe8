// Evidence bundles: the manifest and `firedrill verify` (one changed byte in any file, an added
// file, a removed file, a tampered or damaged manifest), and the redaction of what is written.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bundleDirOf, verifyBundle } from '../../harness/evidence/bundle.ts';
import { bundleFiles, MANIFEST_FILE, manifestDigest, readManifest, scenarioRevision, serializeManifest, writeManifest, type Manifest, type ManifestInfo } from '../../harness/evidence/manifest.ts';
import { redactJournal, secretsInEnvironment } from '../../harness/evidence/redact-journal.ts';
import { verifyCommand } from '../../harness/cli/commands/verify.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { redactJson, redactText } from '../../lib/redact.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'firedrill-evidence-'));
  dirs.push(d);
  return d;
};

const info = (scenarioFile: string, env: Record<string, string> = {}): ManifestInfo => ({
  journal: {
    runId: '20250101-020000-bad-image-tag-1a2b',
    invocationId: 'abc123',
    outcome: 'passed',
    firedrill: { version: '0.1.0' },
    scenario: { name: 'bad-image-tag', file: scenarioFile, hash: 'f'.repeat(64) },
  },
  now: new Date('2025-01-01T02:03:04.000Z'),
  env,
});

/** A small bundle as a run leaves it: journal, artifacts in subfolders, an empty file, a binary one. */
const makeBundle = (): string => {
  const dir = join(temp(), 'run');
  mkdirSync(join(dir, 'artifacts', 'after-recovery'), { recursive: true });
  mkdirSync(join(dir, 'artifacts', 'baseline'), { recursive: true });
  writeFileSync(join(dir, 'journal.json'), JSON.stringify({ runId: 'r', outcome: 'passed' }, null, 2) + '\n');
  writeFileSync(join(dir, 'artifacts', 'baseline', 'home.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255]));
  writeFileSync(join(dir, 'artifacts', 'after-recovery', 'probe series.csv'), 't,ok\n1,true\n2,false\n');
  writeFileSync(join(dir, 'timeline.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'artifacts', 'empty.txt'), '');
  writeManifest(dir, info(join(dir, 'no-such-scenario.yaml')));
  return dir;
};

const flipByte = (file: string): Buffer => {
  const original = readFileSync(file);
  const changed = Buffer.from(original);
  const at = Math.floor(changed.length / 2);
  changed[at] = changed[at]! ^ 0x01;
  writeFileSync(file, changed);
  return original;
};

const captureOutput = () => {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  return { out: () => out, err: () => err };
};

describe('the manifest', () => {
  it('lists every file but itself, sorted, with sha256 and size, and who, where, when, which version', () => {
    const dir = makeBundle();
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    expect(manifest.files.map((f) => f.path)).toEqual([
      'artifacts/after-recovery/probe series.csv',
      'artifacts/baseline/home.png',
      'artifacts/empty.txt',
      'journal.json',
      'timeline.svg',
    ]);
    expect(manifest.files.find((f) => f.path === 'artifacts/empty.txt')).toEqual({
      path: 'artifacts/empty.txt',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      bytes: 0,
    });
    expect(manifest).toMatchObject({
      manifestVersion: 1,
      createdAt: '2025-01-01T02:03:04.000Z',
      firedrill: { version: '0.1.0' },
      run: { runId: '20250101-020000-bad-image-tag-1a2b', outcome: 'passed', invocationId: 'abc123' },
      scenario: { name: 'bad-image-tag', hash: 'f'.repeat(64), git: { revision: 'unknown', dirty: 'unknown' } },
    });
    expect(manifest.host).toBeTruthy();
    expect(manifest.ranBy.user).toBeTruthy();
    expect(manifest.ranBy.ci).toBeUndefined();
    expect(manifest.digest).toBe(manifestDigest(manifest));
  });

  it('records the CI variables and the run page when set', () => {
    const dir = makeBundle();
    const m = writeManifest(dir, info('x.yaml', { CI: 'true', GITHUB_ACTOR: 'octo', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '42', UNRELATED: 'x' }));
    expect(m.ranBy.ci).toEqual({ CI: 'true', GITHUB_ACTOR: 'octo', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '42' });
    expect(m.ranBy.ciRunUrl).toBe('https://github.com/acme/shop/actions/runs/42');
  });

  it('records the git revision of the scenario file and whether it differs from it', () => {
    const repo = temp();
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q');
    mkdirSync(join(repo, 'scenarios'));
    const scenario = join(repo, 'scenarios', 'drill.yaml');
    writeFileSync(scenario, 'name: drill\n');
    writeFileSync(join(repo, 'scenarios', 'other.yaml'), 'name: other\n');
    git('add', '.');
    git('commit', '-q', '-m', 'scenarios');
    const head = git('rev-parse', 'HEAD');
    expect(scenarioRevision(scenario)).toEqual({ revision: head, dirty: false });
    // Another file's change is not this scenario's.
    writeFileSync(join(repo, 'scenarios', 'other.yaml'), 'name: other2\n');
    expect(scenarioRevision(scenario)).toEqual({ revision: head, dirty: false });
    writeFileSync(scenario, 'name: drill\nchanged: true\n');
    expect(scenarioRevision(scenario)).toEqual({ revision: head, dirty: true });
    const untracked = join(repo, 'scenarios', 'new.yaml');
    writeFileSync(untracked, 'name: new\n');
    expect(scenarioRevision(untracked)).toEqual({ revision: head, dirty: true });
    expect(writeManifest(makeBundle(), info(scenario)).scenario.git).toEqual({ revision: head, dirty: true });
  });

  it('records "unknown" for a scenario outside a git checkout', () => {
    expect(scenarioRevision(join(temp(), 'drill.yaml'))).toEqual({ revision: 'unknown', dirty: 'unknown' });
  });

  it('never lists itself or its temporary file', () => {
    const dir = makeBundle();
    writeFileSync(join(dir, `${MANIFEST_FILE}.tmp`), 'half');
    writeFileSync(join(dir, `${MANIFEST_FILE}.4242.tmp`), 'half');
    expect(bundleFiles(dir)).not.toContain(MANIFEST_FILE);
    expect(bundleFiles(dir)).not.toContain(`${MANIFEST_FILE}.tmp`);
    expect(bundleFiles(dir)).not.toContain(`${MANIFEST_FILE}.4242.tmp`);
  });
});

describe('verifyBundle', () => {
  it('finds an intact bundle intact', () => {
    const check = verifyBundle(makeBundle());
    expect(check).toMatchObject({ ok: true, changed: [], added: [], removed: [] });
    expect(check.manifestProblem).toBeUndefined();
  });

  it('names exactly the file with one changed byte, for every file of the bundle', () => {
    const dir = makeBundle();
    const files = bundleFiles(dir).filter((f) => readFileSync(join(dir, f)).length > 0);
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const original = flipByte(join(dir, file));
      expect(verifyBundle(dir), file).toMatchObject({ ok: false, changed: [file], added: [], removed: [] });
      writeFileSync(join(dir, file), original);
      expect(verifyBundle(dir).ok, `${file} restored`).toBe(true);
    }
  });

  it('finds an appended byte, and an emptied file', () => {
    const dir = makeBundle();
    writeFileSync(join(dir, 'artifacts', 'empty.txt'), '\n');
    writeFileSync(join(dir, 'timeline.svg'), '');
    expect(verifyBundle(dir)).toMatchObject({ ok: false, changed: ['artifacts/empty.txt', 'timeline.svg'], added: [], removed: [] });
  });

  it('names a removed file', () => {
    const dir = makeBundle();
    unlinkSync(join(dir, 'artifacts', 'baseline', 'home.png'));
    expect(verifyBundle(dir)).toMatchObject({ ok: false, changed: [], added: [], removed: ['artifacts/baseline/home.png'] });
  });

  it('names an added file, in a new folder too, and a symbolic link', () => {
    const dir = makeBundle();
    writeFileSync(join(dir, 'artifacts', 'baseline', 'extra.png'), 'x');
    mkdirSync(join(dir, 'later'));
    writeFileSync(join(dir, 'later', 'note.txt'), 'added after the run');
    symlinkSync(join(dir, 'journal.json'), join(dir, 'link.json'));
    expect(verifyBundle(dir)).toMatchObject({ ok: false, changed: [], added: ['artifacts/baseline/extra.png', 'later/note.txt', 'link.json'], removed: [] });
  });

  it('finds a file renamed as one removed and one added', () => {
    const dir = makeBundle();
    const text = readFileSync(join(dir, 'timeline.svg'));
    unlinkSync(join(dir, 'timeline.svg'));
    writeFileSync(join(dir, 'timeline2.svg'), text);
    expect(verifyBundle(dir)).toMatchObject({ ok: false, changed: [], added: ['timeline2.svg'], removed: ['timeline.svg'] });
  });

  describe('a tampered manifest', () => {
    const edit = (dir: string, change: (m: Manifest) => void, options: { fixDigest: boolean }) => {
      const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
      change(m);
      if (options.fixDigest) m.digest = manifestDigest(m);
      writeFileSync(join(dir, MANIFEST_FILE), serializeManifest(m));
    };

    it('an edit to its metadata (the outcome) is the manifest changed', () => {
      const dir = makeBundle();
      edit(dir, (m) => (m.run.outcome = 'failed'), { fixDigest: false });
      expect(verifyBundle(dir)).toMatchObject({ ok: false, changed: [MANIFEST_FILE], added: [], removed: [] });
    });

    it('reformatting it, content unchanged, is a change too', () => {
      const dir = makeBundle();
      const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
      writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m));
      expect(verifyBundle(dir)).toMatchObject({ ok: false, changed: [MANIFEST_FILE] });
    });

    it('a file quietly dropped from the list is named as added, and the manifest as changed', () => {
      const dir = makeBundle();
      edit(dir, (m) => (m.files = m.files.filter((f) => f.path !== 'journal.json')), { fixDigest: false });
      expect(verifyBundle(dir)).toMatchObject({ ok: false, changed: [MANIFEST_FILE], added: ['journal.json'], removed: [] });
    });

    it('a changed file with its hash and the digest recomputed passes: the limit of an unsigned manifest', () => {
      const dir = makeBundle();
      writeFileSync(join(dir, 'journal.json'), '{"outcome":"passed","forged":true}\n');
      writeManifest(dir, info('x.yaml'));
      expect(verifyBundle(dir).ok).toBe(true);
    });

    it('one changed byte anywhere in the manifest is found (damaged or changed)', () => {
      const dir = makeBundle();
      const path = join(dir, MANIFEST_FILE);
      const size = readFileSync(path).length;
      for (const at of [0, 1, Math.floor(size / 3), Math.floor(size / 2), size - 2, size - 1]) {
        const original = readFileSync(path);
        const changed = Buffer.from(original);
        changed[at] = changed[at]! ^ 0x01;
        writeFileSync(path, changed);
        const check = verifyBundle(dir);
        expect(check.ok, `byte ${at}`).toBe(false);
        if (check.manifestProblem === undefined) expect(check.changed, `byte ${at}`).toContain(MANIFEST_FILE);
        writeFileSync(path, original);
      }
      expect(verifyBundle(dir).ok).toBe(true);
    });

    it.each([
      ['missing', (p: string) => unlinkSync(p), /does not exist/],
      ['not JSON', (p: string) => writeFileSync(p, '{"files": ['), /not valid JSON/],
      ['not an object', (p: string) => writeFileSync(p, '[]'), /no JSON object/],
      ['without files', (p: string) => writeFileSync(p, '{"manifestVersion": 1}'), /no "files" list/],
      ['of another version', (p: string) => writeFileSync(p, '{"manifestVersion": 9, "files": []}'), /manifestVersion 9/],
      ['with a bad hash', (p: string) => writeFileSync(p, '{"manifestVersion": 1, "files": [{"path": "a", "sha256": "zz", "bytes": 1}]}'), /files\[0\]/],
      ['with a path outside the bundle', (p: string) => writeFileSync(p, `{"manifestVersion": 1, "files": [{"path": "../etc/passwd", "sha256": "${'0'.repeat(64)}", "bytes": 1}]}`), /not a relative path inside the bundle/],
      ['with an absolute path', (p: string) => writeFileSync(p, `{"manifestVersion": 1, "files": [{"path": "/etc/passwd", "sha256": "${'0'.repeat(64)}", "bytes": 1}]}`), /not a relative path/],
    ])('%s: a manifest problem, nothing checked', (_, damage, message) => {
      const dir = makeBundle();
      damage(join(dir, MANIFEST_FILE));
      const check = verifyBundle(dir);
      expect(check.ok).toBe(false);
      expect(check.manifestProblem).toMatch(message);
      expect(readManifest(dir).ok).toBe(false);
    });
  });

  it('takes a run directory or its manifest.json', () => {
    const dir = makeBundle();
    expect(bundleDirOf(join(dir, MANIFEST_FILE))).toBe(dir);
    expect(bundleDirOf(dir)).toBe(dir);
  });
});

describe('firedrill verify', () => {
  it('exits 0 and says intact: N files', async () => {
    const dir = makeBundle();
    const io = captureOutput();
    expect(await verifyCommand([join(dir, MANIFEST_FILE)])).toBe(0);
    expect(io.out()).toMatch(/^intact: 5 files\n/);
    expect(io.out()).toContain('manifest digest ');
  });

  it('exits 1 and names each changed, added and removed file', async () => {
    const dir = makeBundle();
    flipByte(join(dir, 'journal.json'));
    unlinkSync(join(dir, 'timeline.svg'));
    writeFileSync(join(dir, 'artifacts', 'new.txt'), 'new');
    const io = captureOutput();
    expect(await verifyCommand([dir])).toBe(1);
    expect(io.out()).toContain('changed: journal.json\n');
    expect(io.out()).toContain('added:   artifacts/new.txt\n');
    expect(io.out()).toContain('removed: timeline.svg\n');
    expect(io.out()).toContain('NOT intact: 1 changed, 1 added, 1 removed');
  });

  it('exits 2 with a clear message for a missing or garbled manifest, or a missing bundle', async () => {
    const dir = makeBundle();
    writeFileSync(join(dir, MANIFEST_FILE), 'garbage');
    let io = captureOutput();
    expect(await verifyCommand([dir])).toBe(2);
    expect(io.err()).toMatch(/cannot verify .*manifest\.json is not valid JSON/);
    vi.restoreAllMocks();
    io = captureOutput();
    expect(await verifyCommand([join(dir, 'nope')])).toBe(2);
    expect(io.err()).toMatch(/does not exist/);
  });

  it('--help teaches; no argument is a usage error', async () => {
    const io = captureOutput();
    expect(await verifyCommand(['--help'])).toBe(0);
    expect(io.out()).toMatch(/Usage: firedrill verify BUNDLE/);
    expect(io.out()).toMatch(/Exit codes: 0 intact; 1 .*changed, added or removed/);
    await expect(verifyCommand([])).rejects.toThrow(/verify takes one bundle/);
  });
});

describe('redactText', () => {
  it('hides shapes of credentials, but not a Secrets Manager ARN', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:firedrill/demo-api-key';
    expect(redactText(`valueFrom ${arn}`)).toBe(`valueFrom ${arn}`);
    expect(redactText('token=canary-cmd-55ab AKIAABCDEFGHIJKLMNOP')).toBe('token=*** ***aws-access-key-id***');
    expect(redactText('url postgres://orders:hunter22@db.internal:5432/orders')).toBe('url postgres://orders:***@db.internal:5432/orders');
    expect(redactText('http://127.0.0.1:4600/health')).toBe('http://127.0.0.1:4600/health');
    expect(redactText('key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\nafter')).toBe('key:\n***private-key***\nafter');
    expect(redactText('cut -----BEGIN PRIVATE KEY-----\nMIIE')).toBe('cut ***private-key***');
  });

  it('hides known values first, longest first', () => {
    expect(redactText('a s3cr3t-long and s3cr3t', ['s3cr3t', 's3cr3t-long'])).toBe('a *** and ***');
  });
});

describe('redactJson', () => {
  it('hides secret-looking keys, every task-definition environment value, and credential shapes in strings; keeps secret references', () => {
    const taskDefinition = {
      family: 'orders',
      containerDefinitions: [
        {
          name: 'web',
          image: 'acme/orders:v42',
          environment: [
            { name: 'PORT', value: '8080' },
            { name: 'DATABASE_URL', value: 'postgres://orders:pw@db/orders' },
            { name: 'GREETING', value: 'hello' },
          ],
          secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:orders/api-key' }],
          command: ['--token=abc123', 'serve'],
        },
      ],
      tags: [{ key: 'team', value: 'orders' }],
      apiKey: 'k-1234',
      dbPassword: 12345678,
      credentials: { user: 'u', pass: 'p', enabled: true },
      passwordRotation: null,
    };
    expect(redactJson(taskDefinition)).toEqual({
      family: 'orders',
      containerDefinitions: [
        {
          name: 'web',
          image: 'acme/orders:v42',
          environment: [
            { name: 'PORT', value: '***' },
            { name: 'DATABASE_URL', value: '***' },
            { name: 'GREETING', value: '***' },
          ],
          secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:orders/api-key' }],
          command: ['--token=***', 'serve'],
        },
      ],
      tags: [{ key: 'team', value: 'orders' }],
      apiKey: '***',
      dbPassword: '***',
      credentials: { user: '***', pass: '***', enabled: true },
      passwordRotation: null,
    });
    // The input is untouched.
    expect(taskDefinition.containerDefinitions[0]!.environment[0]!.value).toBe('8080');
  });

  it('applies known secrets to every string, in arrays and nested objects', () => {
    expect(redactJson({ a: ['x canary-7 y', { b: 'canary-7' }], n: 7, t: true }, ['canary-7'])).toEqual({ a: ['x *** y', { b: '***' }], n: 7, t: true });
  });

  it('leaves an `environment` that is not a task definition list alone (a firedrill environment record)', () => {
    expect(redactJson({ environment: { name: 'staging', region: 'us-east-1' } })).toEqual({ environment: { name: 'staging', region: 'us-east-1' } });
  });
});

// ---- redactJournal

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:firedrill/demo-api-key';

const journalFixture = (): Journal =>
  ({
    schemaVersion: 1,
    runId: '20250101-020000-partial-errors-command-1a2b',
    firedrill: { version: '0.1.0' },
    startedAt: 1,
    endedAt: 2,
    scenario: {
      name: 'partial-errors-command',
      file: '/tmp/s.yaml',
      hash: 'a'.repeat(64),
      spec: {
        name: 'partial-errors-command',
        release: { kind: 'http-errors', tag: 'v1.1.0', rate: 0.5, environment: { FAIL_HTTP_5XX_RATE: '0.5', DATABASE_URL: 'postgres://orders:canary-url-bad@db/orders' } },
        rollback: { path: 'command', command: 'echo "token=canary-cmd-55ab AKIAABCDEFGHIJKLMNOP"; aws ecs update-service', timeoutSeconds: 120 },
      },
    },
    environment: { name: 'sandbox', file: '/tmp/e.yaml', hash: 'b'.repeat(64), kind: 'sandbox', endpoint: 'http://127.0.0.1:4599', region: 'us-east-1', cluster: 'firedrill', service: 'demo', url: 'http://127.0.0.1:4600' },
    baseline: { taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/firedrill-demo:2', image: 'firedrill/demo-app:v1.0.0', tag: 'v1.0.0' },
    injected: {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/firedrill-demo:3',
      image: 'firedrill/demo-app:v1.1.0',
      tag: 'v1.1.0',
      summary:
        'container web: image firedrill/demo-app:v1.0.0 -> firedrill/demo-app:v1.1.0; environment FAIL_HTTP_5XX_RATE=0.5, DATABASE_URL postgres://orders:canary-url-4d2e@db/orders -> postgres://orders:canary-url-bad@db/orders, DB_PASSWORD *** -> ***',
      diff: [
        { path: 'containerDefinitions[web].image', before: 'firedrill/demo-app:v1.0.0', after: 'firedrill/demo-app:v1.1.0' },
        { path: 'containerDefinitions[web].environment.FAIL_HTTP_5XX_RATE', before: undefined, after: '0.5' },
        { path: 'containerDefinitions[web].environment.DATABASE_URL', before: 'postgres://orders:canary-url-4d2e@db/orders', after: 'postgres://orders:canary-url-bad@db/orders' },
        { path: 'containerDefinitions[web].environment.DB_PASSWORD', before: '***', after: '***' },
        { path: 'containerDefinitions[web].environment[ODD].value', before: 'canary-odd-shape-1', after: 'canary-odd-shape-2' },
        { path: 'containerDefinitions[web].secrets.API_KEY', before: ARN, after: `${ARN}-firedrill-missing-x` },
        { path: 'tags.deploy-token', before: undefined, after: 'canary-tag-tok' },
      ],
    },
    rollbackPath: 'command',
    phases: [{ phase: 'inject', startedAt: 1, endedAt: 2, outcome: 'failed', detail: 'the app said: connecting to postgres://orders:canary-url-4d2e@db/orders failed' }],
    markers: { injectAt: 1, detectedBy: 'gate probe error rate' },
    timeline: [
      { t: 1, source: 'action', action: 'register-task-definition', detail: { taskDefinitionArn: 'x', summary: 'environment FAIL_HTTP_5XX_RATE=0.5' } },
      { t: 2, source: 'action', action: 'rollback-command', detail: { path: 'command', command: 'echo "token=canary-cmd-55ab"', exitCode: 0, durationMs: 5, output: 'token=canary-cmd-55ab AKIAABCDEFGHIJKLMNOP\nexported SESSION=canary-env-known-123' } },
      {
        t: 3,
        source: 'service',
        taskDefinition: 'x',
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        deployments: [],
        newEvents: [{ id: 'e', createdAt: 3, message: 'password: canary-evt-9' }],
        newStoppedTasks: [],
      },
    ],
    verdicts: [],
    smoke: {
      baseline: [],
      afterRecovery: [
        { kind: 'http', name: 'config', status: 'passed', durationMs: 3, summary: 'HTTP 200', failures: [], attachments: [], evidence: { bodyExcerpt: '{"apiKey":"canary-body-1","db":"postgres://orders:canary-url-4d2e@db/orders"}' } },
      ],
    },
    restore: { ok: true, state: 'steady', actions: [] },
    outcome: 'passed',
    exitCode: 0,
    problems: ['command printed Authorization: Bearer canary-bearer-77'],
    artifactsDir: '/tmp/r/artifacts',
  }) as unknown as Journal;

const CANARIES = ['canary-url-bad', 'canary-url-4d2e', 'canary-odd-shape', 'canary-cmd-55ab', 'AKIAABCDEFGHIJKLMNOP', 'canary-env-known-123', 'canary-evt-9', 'canary-body-1', 'canary-bearer-77', 'canary-tag-tok'];

describe('redactJournal', () => {
  const redacted = () => redactJournal(journalFixture(), ['canary-env-known-123']);

  it('leaves no canary anywhere in the written journal', () => {
    const text = JSON.stringify(redacted());
    for (const canary of CANARIES) expect(text, canary).not.toContain(canary);
  });

  it('hides every environment line of the diff, whatever its name; keeps secret references and the other lines', () => {
    const diff = redacted().injected!.diff;
    expect(diff).toEqual([
      { path: 'containerDefinitions[web].image', before: 'firedrill/demo-app:v1.0.0', after: 'firedrill/demo-app:v1.1.0' },
      { path: 'containerDefinitions[web].environment.FAIL_HTTP_5XX_RATE', before: undefined, after: '***' },
      { path: 'containerDefinitions[web].environment.DATABASE_URL', before: '***', after: '***' },
      { path: 'containerDefinitions[web].environment.DB_PASSWORD', before: '***', after: '***' },
      { path: 'containerDefinitions[web].environment[ODD].value', before: '***', after: '***' },
      { path: 'containerDefinitions[web].secrets.API_KEY', before: ARN, after: `${ARN}-firedrill-missing-x` },
      { path: 'tags.deploy-token', before: undefined, after: '***' },
    ]);
  });

  it('hides environment values in the release summary and the scenario, keeping the names', () => {
    const j = redacted();
    expect(j.injected!.summary).toBe(
      'container web: image firedrill/demo-app:v1.0.0 -> firedrill/demo-app:v1.1.0; environment FAIL_HTTP_5XX_RATE=***, DATABASE_URL *** -> ***, DB_PASSWORD *** -> ***',
    );
    expect((j.scenario.spec.release as { environment?: Record<string, string> }).environment).toEqual({ FAIL_HTTP_5XX_RATE: '***', DATABASE_URL: '***' });
    expect(j.scenario.spec.release).toMatchObject({ kind: 'http-errors', tag: 'v1.1.0', rate: 0.5 });
    expect((j.timeline[0] as unknown as { detail: { summary: string } }).detail.summary).toBe('environment FAIL_HTTP_5XX_RATE=***');
  });

  it('redacts command output and the command, keeping what an auditor needs', () => {
    const j = redacted();
    const action = j.timeline[1] as unknown as { detail: Record<string, unknown> };
    expect(action.detail).toEqual({ path: 'command', command: 'echo "token=***"', exitCode: 0, durationMs: 5, output: 'token=*** ***aws-access-key-id***\nexported SESSION=***' });
    expect((j.scenario.spec.rollback as { command: string }).command).toBe('echo "token=*** ***aws-access-key-id***"; aws ecs update-service');
  });

  it('keeps identifiers, times and the structure; does not modify its input', () => {
    const input = journalFixture();
    const before = JSON.stringify(input);
    const j = redactJournal(input, []);
    expect(JSON.stringify(input)).toBe(before);
    expect(j.runId).toBe(input.runId);
    expect(j.environment).toEqual(input.environment);
    expect(j.baseline).toEqual(input.baseline);
    expect(j.injected!.taskDefinitionArn).toBe(input.injected!.taskDefinitionArn);
    expect(j.markers).toEqual(input.markers);
    expect(j.timeline.map((o) => o.t)).toEqual([1, 2, 3]);
    expect(j.outcome).toBe('passed');
  });

  it('an environment value equal to an identifier does not erase the identifier', () => {
    const input = journalFixture();
    input.injected!.diff.push({ path: 'containerDefinitions[web].environment.CLUSTER_NAME', before: undefined, after: 'firedrill' });
    input.injected!.diff.push({ path: 'containerDefinitions[web].environment.UPSTREAM', before: undefined, after: 'http://127.0.0.1:4600' });
    const j = redactJournal(input, []);
    expect(j.environment.cluster).toBe('firedrill');
    expect(j.environment.url).toBe('http://127.0.0.1:4600');
  });

  it('takes the secret-looking variables of the environment as known secrets', () => {
    expect(secretsInEnvironment({ AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG', AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEBYaDH', GITHUB_TOKEN: 'sandbox', HOME: '/root', PATH: '/usr/bin:/bin' })).toEqual([
      'wJalrXUtnFEMI/K7MDENG',
      'FwoGZXIvYXdzEBYaDH',
    ]);
  });
});
