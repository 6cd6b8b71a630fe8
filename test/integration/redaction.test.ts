// Canary secrets: a real drill whose baseline task definition carries canary values in its
// environment, whose failing release changes them (so they are in the release diff), and whose
// rollback command prints a canary token and an AWS access key id. No file of the run's evidence
// bundle (journal.json, artifacts/**, manifest.json and whatever else the run writes there) may
// contain any canary, nor may anything else under --report-dir or the command's own output.
// The sandbox's secret value is a canary too: the harness never knows it, so only redaction by
// shape and place can keep it out. The baseline also carries a plaintext AWS secret access key:
// the drill records it as a security finding, and `firedrill check` and `firedrill validate` fail
// on it, naming the variable, with the key itself in none of their output or files.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../harness/evidence/bundle.ts';
import { demoTaskDefinition } from '../../harness/ecs/demo-service.ts';
import type { Journal } from '../../harness/journal/journal.ts';
import { defaultConfig } from '../../sandbox/config.ts';
import { cleanUpFiredrill, describeRun, journalsIn, runFiredrill, scenarioCopy, type FinishedCli } from '../support/firedrill-cli.ts';
import type { TestSandbox } from '../support/sandbox.ts';
import { stage } from '../support/drill-stage.ts';

const MINUTE = 60_000;

/** A secret access key's shape (40 characters of base64), and a canary: no AWS account has it. */
const AWS_SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY1';

/** In the baseline task definition: three secret-looking names, and one a name gives no hint about. */
const BASELINE_ENV = {
  DB_PASSWORD: 'canary-env-7f3a9',
  API_TOKEN: 'canary-tok-x81',
  DATABASE_URL: 'postgres://orders:canary-url-4d2e@db.internal:5432/orders',
  AWS_SECRET_ACCESS_KEY: AWS_SECRET_KEY,
};
/** The failing release changes two of them, so both the old and the new value are in its diff. */
const RELEASE_ENV = {
  FAIL_HTTP_5XX: '1',
  DB_PASSWORD: 'canary-rel-2c4e',
  DATABASE_URL: 'postgres://orders:canary-rel-url-9e1c@db.internal:5432/orders',
};
const ROLLBACK_COMMAND = [
  'echo "token=canary-cmd-55ab AKIAABCDEFGHIJKLMNOP";',
  'aws ecs update-service --endpoint-url {endpoint} --region {region}',
  '--cluster {cluster} --service {service}',
  '--task-definition {baselineTaskDefinition} --output json > /dev/null',
].join(' ');

const sandboxSecrets = Object.values(defaultConfig().secrets ?? {});

const CANARIES = [
  'canary-env-7f3a9',
  'canary-tok-x81',
  'canary-url-4d2e',
  'canary-rel-2c4e',
  'canary-rel-url-9e1c',
  'canary-cmd-55ab',
  'AKIAABCDEFGHIJKLMNOP',
  AWS_SECRET_KEY,
  ...sandboxSecrets,
];

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : e.isFile() ? [path] : [];
  });

/** `file: canary` for every canary found in any of the files, as bytes (so binary files count too). */
const leaks = (files: string[], root: string): string[] =>
  files.flatMap((file) => {
    const bytes = readFileSync(file);
    return CANARIES.filter((c) => bytes.includes(c)).map((c) => `${relative(root, file)}: ${c}`);
  });

describe('canary secrets never reach the evidence', () => {
  let t: TestSandbox;
  let dir: string;
  let reportDir: string;
  let baselineArn: string;
  let r: FinishedCli;
  let journal: Journal;
  let bundleDir: string;
  let envFile: string;

  beforeAll(async () => {
    // The baseline the drill finds: the demo task definition with the canaries in its environment.
    const td = demoTaskDefinition('v1.0.0');
    const web = td.containerDefinitions![0]!;
    web.environment = [...(web.environment ?? []), ...Object.entries(BASELINE_ENV).map(([name, value]) => ({ name, value }))];
    const s = await stage({ taskDefinition: td });
    ({ t, dir, reportDir, baselineArn, envFile } = s);
    const scenario = scenarioCopy(
      dir,
      'partial-errors-command.yaml',
      (doc) => {
        doc.setIn(['name'], 'canary-secrets');
        doc.setIn(['release'], doc.createNode({ kind: 'http-errors', tag: 'v1.1.0', environment: RELEASE_ENV }));
        doc.setIn(['rollback', 'command'], ROLLBACK_COMMAND);
      },
      'canary-secrets.yaml',
    );
    r = await runFiredrill(['run', scenario, '--env', envFile, '--report-dir', reportDir], 8 * MINUTE);
    const journals = journalsIn(reportDir);
    expect(journals, describeRun(r)).toHaveLength(1);
    journal = journals[0]!;
    bundleDir = join(reportDir, journal.runId);
  }, 10 * MINUTE);

  afterAll(async () => {
    await cleanUpFiredrill();
    await t?.stop();
  });

  it('the drill ran every path a canary takes: the baseline, the diff, the rollback command', async () => {
    expect(r.code, describeRun(r)).toBe(0);
    expect(journal.baseline?.taskDefinitionArn).toBe(baselineArn);
    // The canaries are really there to leak: in the baseline ECS holds, and in the bad release.
    const described = await t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: baselineArn }));
    expect(JSON.stringify(described.taskDefinition)).toContain('canary-env-7f3a9');
    // The diff names the changed variables, with their values hidden.
    const envLines = journal.injected!.diff.filter((l) => /\.environment\./.test(l.path));
    expect(envLines.map((l) => l.path.split('.').at(-1)).sort()).toEqual(['DATABASE_URL', 'DB_PASSWORD', 'FAIL_HTTP_5XX']);
    for (const line of envLines) expect([line.before, line.after].filter((v) => v !== undefined).every((v) => v === '***'), line.path).toBe(true);
    // The rollback command ran and its (redacted) output is in the journal.
    const rollback = journal.timeline.find((o) => o.source === 'action' && o.action === 'rollback-command');
    expect(rollback, 'a rollback-command action').toBeDefined();
    expect(JSON.stringify(rollback)).toContain('token=***');
  });

  it('no file of the bundle contains a canary', () => {
    const files = filesUnder(bundleDir);
    const names = files.map((f) => relative(bundleDir, f));
    expect(names).toContain('journal.json');
    expect(names).toContain('manifest.json');
    expect(names.some((n) => n.startsWith('artifacts/')), names.join(', ')).toBe(true);
    expect(leaks(files, bundleDir)).toEqual([]);
  });

  it('nor does anything else under --report-dir, nor the command output', () => {
    expect(leaks(filesUnder(reportDir), reportDir)).toEqual([]);
    const output = `${r.stdout}\n${r.stderr}`;
    expect(CANARIES.filter((c) => output.includes(c))).toEqual([]);
  });

  it('the bundle verifies intact, and its manifest names the run', () => {
    const check = verifyBundle(bundleDir);
    expect(check, JSON.stringify(check)).toMatchObject({ ok: true, changed: [], added: [], removed: [] });
    expect(check.manifest?.run.runId).toBe(journal.runId);
    expect(check.manifest?.scenario.hash).toBe(journal.scenario.hash);
    expect(check.manifest?.files.map((f) => f.path)).toContain('journal.json');
  });

  it('the journal records each plaintext secret as a finding by its variable, never its value', () => {
    const secrets = (journal.security?.findings ?? []).filter((f) => f.id === 'plaintext-secret');
    expect(secrets.map((f) => f.location.field).sort()).toEqual(['environment.API_TOKEN', 'environment.AWS_SECRET_ACCESS_KEY', 'environment.DATABASE_URL', 'environment.DB_PASSWORD']);
    expect(secrets.every((f) => f.severity === 'high' && f.control === 'ECS.8' && f.location.container === 'web')).toBe(true);
    expect(secrets.find((f) => f.location.field === 'environment.AWS_SECRET_ACCESS_KEY')?.title).toMatch(/an AWS secret access key/);
  });

  it('`firedrill check` and `firedrill validate` fail on the plaintext AWS secret key, name the variable, and touch nothing', async () => {
    const checked = await runFiredrill(['check', '--env', envFile], MINUTE);
    expect(checked.code, describeRun(checked)).toBe(1);
    expect(checked.stdout).toMatch(/HIGH\s+plaintext-secret \(ECS\.8\) container web, environment\.AWS_SECRET_ACCESS_KEY: .*an AWS secret access key/);
    const json = await runFiredrill(['check', '--env', envFile, '--json', '--fail-on', 'none'], MINUTE);
    expect(json.code, describeRun(json)).toBe(0);
    expect((JSON.parse(json.stdout) as { findings: Array<{ location: { field: string } }> }).findings.map((f) => f.location.field)).toContain('environment.AWS_SECRET_ACCESS_KEY');

    const validationDir = join(dir, 'validation-reports');
    const validated = await runFiredrill(['validate', '--candidate', 'v1.2.0', '--env', envFile, '--report-dir', validationDir], 2 * MINUTE);
    expect(validated.code, describeRun(validated)).toBe(1);
    expect(validated.stdout).toMatch(/security checks: FAILED: .*plaintext-secret \(web environment\.AWS_SECRET_ACCESS_KEY\)/);
    expect(validated.stdout, 'nothing was deployed').not.toMatch(/deploy-candidate\.\.\./);
    const service = await t.ecs.send(new DescribeServicesCommand({ cluster: 'firedrill', services: ['demo'] }));
    expect(service.services?.[0]?.taskDefinition).toBe(baselineArn);
    expect(service.services?.[0]?.deployments).toHaveLength(1);

    for (const run of [checked, json, validated]) expect(CANARIES.filter((c) => `${run.stdout}\n${run.stderr}`.includes(c))).toEqual([]);
    const written = filesUnder(validationDir);
    expect(written.some((f) => /validation-.*\.json$/.test(f)), written.join(', ')).toBe(true);
    expect(leaks(written, validationDir)).toEqual([]);
  });
});
