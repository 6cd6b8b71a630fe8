// Pre-release validation against a real sandbox: a good candidate passes every step and the
// service ends on the current release; a budget the service's settings cannot meet is refused
// before anything is touched, and one spent half-way fails and still restores; a held lock or a
// foreign account refuses it before anything is touched.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListTagsForResourceCommand, ListTaskDefinitionsCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-ecs';
import { LockHeldError, lockTags as lockTagsFor } from '../../harness/safety/lock.ts';
import { seedWhere } from '../support/faults.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../../harness/config/load.ts';
import { validateCandidate, ValidationRefused } from '../../harness/run/validate.ts';
import { stage, type Stage } from '../support/drill-stage.ts';
import { service, type TestSandbox } from '../support/sandbox.ts';
import { cleanUpFiredrill, describeRun, runFiredrill, startFiredrill } from '../support/firedrill-cli.ts';
import { waitFor } from '../support/wait.ts';

// One sandbox for the file: every case starts on the steady current release and must end on it.
let s: Stage;
let t: TestSandbox;
let baselineArn: string;
let envFile: string;
beforeAll(async () => {
  s = await stage();
  ({ t, baselineArn, envFile } = s);
}, 2 * 60_000);
afterEach(async () => {
  // A case that failed half-way must not hand its faults or a foreign lock to the next.
  await fetch(`${t.sandbox.endpoint}/_firedrill/faults`, { method: 'DELETE' });
  const arn = (await service(t.ecs, 'firedrill', 'demo')).serviceArn!;
  const left = await lockTags(arn);
  if (left.length > 0) await t.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: left.map((tag) => tag.key!) }));
});
afterAll(async () => {
  // Kills any command left running and removes the stage's folder, so only after the last case.
  await cleanUpFiredrill();
  await s?.t.stop();
});

const validate = (budgetMs: number, environmentFile = envFile) =>
  validateCandidate({
    environment: loadEnvironment(environmentFile),
    service: 'demo',
    candidate: 'v1.2.0',
    driver: t.driver,
    budgetMs,
    rollbackBudgetMs: 600_000,
    reportDir: join(s.dir, 'validate-reports'),
    firedrillVersion: 'test',
  });

const lockTags = async (arn: string) => ((await t.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? []).filter((tag) => tag.key?.startsWith('firedrill:lock'));

const EVERY_STEP_PASSED = [
  ['security-checks', true],
  ['deploy-candidate', true],
  ['failing-release-caught', true],
  ['rollback-to-current', true],
];

const activeRevisions = async () => (await t.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'firedrill-demo', status: 'ACTIVE' }))).taskDefinitionArns;

describe('firedrill validate', () => {
  it('killed with SIGKILL while its drill runs on the candidate, `firedrill recover` puts the service back on the current release', async () => {
    const reportDir = join(s.dir, 'killed-validation');
    // The drill inside the validation parks at its gate; the candidate is deployed and a bad release is on top of it.
    process.env['FIREDRILL_HOLD_AT'] = 'gate';
    let validation;
    try {
      validation = startFiredrill(['validate', '--candidate', 'v1.2.0', '--env', envFile, '--report-dir', reportDir]);
    } finally {
      delete process.env['FIREDRILL_HOLD_AT'];
    }
    const held = await waitFor(
      () => {
        if (validation.exit) throw new Error(`validate exited before its drill held: ${validation.stdout()}\n${validation.stderr()}`);
        return existsSync(reportDir) ? readdirSync(reportDir).find((d) => existsSync(join(reportDir, d, 'held-at-gate'))) : undefined;
      },
      120_000,
      'the drill inside validate to hold at its gate',
    );
    expect(held).toBeDefined();
    const arn = (await service(t.ecs, 'firedrill', 'demo')).serviceArn!;
    expect(await lockTags(arn)).not.toEqual([]);
    process.kill(-validation.child.pid!, 'SIGKILL');
    await validation.exited;

    const recovered = await runFiredrill(['recover', '--report-dir', reportDir], 120_000);
    expect(recovered.code, describeRun(recovered)).toBe(0);
    const after = await service(t.ecs, 'firedrill', 'demo');
    expect(after.taskDefinition, describeRun(recovered)).toBe(baselineArn);
    expect(after.deployments).toHaveLength(1);
    expect(await activeRevisions(), 'the candidate and the bad release are deregistered').toEqual([baselineArn]);
    expect(await lockTags(arn)).toEqual([]);
    const again = await runFiredrill(['recover', '--report-dir', reportDir], 60_000);
    expect(again.code, describeRun(again)).toBe(0);
    expect(again.stdout).toMatch(/nothing to recover|did not finish their restore \(0|no run/i);
  }, 300_000);

  it('a good candidate passes its checks, deploys, has a failing release caught on top of it, and rolls back to the current release', async () => {
    const report = await validate(300_000);
    expect(report.steps.map((s) => [s.name, s.passed])).toEqual(EVERY_STEP_PASSED);
    expect(report).toMatchObject({ passed: true, withinBudget: true, restored: true, findings: [], current: { taskDefinitionArn: baselineArn, image: 'firedrill/demo-app:v1.0.0' } });
    // Every deploying step was predicted before anything was touched.
    for (const step of report.steps.slice(1)) expect(step.predictedMs, step.name).toBeGreaterThan(0);
    const after = await service(t.ecs, 'firedrill', 'demo');
    expect(after.taskDefinition).toBe(baselineArn);
    expect(after.deployments).toHaveLength(1);
    expect(await activeRevisions()).toEqual([baselineArn]);
    expect(await lockTags(after.serviceArn!), 'validation released its drill lock').toEqual([]);
  });

  it('a candidate registration whose reply was lost (registered twice) leaves no revision behind', async () => {
    const operations = { RegisterTaskDefinition: { applied: 0.5 } };
    // A seed whose first registration takes effect but answers 500, and whose next two (the SDK's retry, the drill's bad release) answer.
    const seed = seedWhere(operations, 'RegisterTaskDefinition', ['applied', undefined, undefined]);
    expect((await fetch(`${t.sandbox.endpoint}/_firedrill/faults`, { method: 'PUT', body: JSON.stringify({ seed, operations }) })).ok).toBe(true);
    const report = await validate(300_000);
    expect(report.steps.map((s) => [s.name, s.passed])).toEqual(EVERY_STEP_PASSED);
    expect(await activeRevisions(), 'both candidate revisions and the bad release are deregistered').toEqual([baselineArn]);
  });

  it('a budget below what the service settings need is refused up front; one spent half-way fails and still restores', async () => {
    const before = await service(t.ecs, 'firedrill', 'demo');
    const refusal = await validate(1_000).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ValidationRefused);
    const prediction = (refusal as ValidationRefused).prediction;
    // It names what costs the time, from the service's own settings.
    expect((refusal as Error).message).toMatch(/over the 1 s budget/);
    expect((refusal as Error).message).toMatch(/task provisioning \(.*measured on 2 running tasks\)/);
    expect((refusal as Error).message).toMatch(/target group demo-web deregistration delay \(20 s\)/);
    expect((refusal as Error).message).toMatch(/Nothing was touched/);
    const untouched = await service(t.ecs, 'firedrill', 'demo');
    expect(untouched.deployments?.map((d) => d.id)).toEqual(before.deployments?.map((d) => d.id));
    expect(await activeRevisions()).toEqual([baselineArn]);

    // A budget the prediction fits, and a drill that stalls at its gate (the test aid's hold) until the budget runs out.
    const budgetMs = prediction.ms + 2_000;
    process.env['FIREDRILL_HOLD_AT'] = 'gate';
    let report;
    try {
      report = await validate(budgetMs);
    } finally {
      delete process.env['FIREDRILL_HOLD_AT'];
    }
    expect(report.passed).toBe(false);
    expect(report.withinBudget).toBe(false);
    expect(report.steps.find((s) => !s.passed)).toMatchObject({ name: 'failing-release-caught', summary: expect.stringMatching(/validation budget ran out/) });
    expect(report.steps.at(-1)).toMatchObject({ name: 'rollback-to-current' });
    expect(report.restored).toBe(true);
    const after = await service(t.ecs, 'firedrill', 'demo');
    expect(after.taskDefinition).toBe(baselineArn);
    expect(after.deployments?.[0]?.rolloutState).toBe('COMPLETED');
    expect(await activeRevisions()).toEqual([baselineArn]);
  });

  it('refuses before touching anything while another drill holds the service, and for an account the environment does not allow', async () => {
    const arn = (await service(t.ecs, 'firedrill', 'demo')).serviceArn!;
    const foreign = lockTagsFor({ runId: 'nightly-7', holder: 'ci@runner', expiresAt: Date.now() + 600_000 });
    await t.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: foreign }));
    await expect(validate(300_000)).rejects.toThrow(LockHeldError);
    expect(await lockTags(arn)).toEqual(expect.arrayContaining(foreign));
    await t.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: foreign.map((f) => f.key!) }));

    const foreignAccount = join(s.dir, 'foreign-account.yaml');
    writeFileSync(foreignAccount, readFileSync(envFile, 'utf8').replace('allowedAccountIds: ["000000000000"]', 'allowedAccountIds: ["111111111111"]'));
    await expect(validate(300_000, foreignAccount)).rejects.toThrow(/AWS account 000000000000, which environment drill-test does not allow/);
    const after = await service(t.ecs, 'firedrill', 'demo');
    expect(after.taskDefinition).toBe(baselineArn);
    expect(after.deployments).toHaveLength(1);
    expect(await activeRevisions()).toEqual([baselineArn]);
    expect(await lockTags(arn)).toEqual([]);
  });
});
