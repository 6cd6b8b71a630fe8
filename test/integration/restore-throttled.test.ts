// The one restore under heavy throttling, through its two other callers: validate (in process,
// with the driver a harness makes) and `firedrill recover` (its command, in process). With most
// ECS calls throttled (75% of UpdateService, DeregisterTaskDefinition, TagResource and
// UntagResource, 60% of DescribeServices), each seed picked so that one call of the run is
// throttled more times in a row than the SDK attempts it (for validate, DeregisterTaskDefinition
// and UntagResource come only from its rollback to the current release, which is its restore): the run must still leave the service steady on
// its original task definition, with no drill revision ACTIVE and no lock tag.

import { join } from 'node:path';
import { RegisterTaskDefinitionCommand, TagResourceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { recoverCommand } from '../../harness/cli/commands/recover.ts';
import { loadEnvironment } from '../../harness/config/load.ts';
import { ECS_MAX_ATTEMPTS } from '../../harness/ecs/client.ts';
import { demoTaskDefinition } from '../../harness/ecs/demo-service.ts';
import { RUN_TAG } from '../../harness/run/restore.ts';
import { TICKET_FILE, TicketWriter } from '../../harness/run/restore-ticket.ts';
import { validateCandidate } from '../../harness/run/validate.ts';
import { lockTags } from '../../harness/safety/lock.ts';
import { expectInactive, expectSteadyOnBaseline, CLUSTER, SERVICE, stage, type Stage } from '../support/drill-stage.ts';
import { seedWhere } from '../support/faults.ts';
import { service } from '../support/sandbox.ts';
import { ofKind, readEventLog } from '../../sandbox/index.ts';

const THROTTLED = {
  UpdateService: { throttle: 0.75 },
  DeregisterTaskDefinition: { throttle: 0.75 },
  TagResource: { throttle: 0.75 },
  UntagResource: { throttle: 0.75 },
  DescribeServices: { throttle: 0.6 },
};
const MINUTE = 60_000;

/** A seed whose first calls of `operation` are all throttled, one more than the SDK's attempts: only a retry past the SDK gets through. */
const outlastingTheSdk = (operation: keyof typeof THROTTLED) => ({ operation, seed: seedWhere(THROTTLED, operation, Array(ECS_MAX_ATTEMPTS + 1).fill('throttle')) });

const throttle = async (s: Stage, seed: number) => {
  const put = await fetch(s.t.sandbox.faultsUrl, { method: 'PUT', body: JSON.stringify({ seed, operations: THROTTLED }) });
  expect(put.status).toBe(200);
};
const calm = async (s: Stage) => expect((await fetch(s.t.sandbox.faultsUrl, { method: 'DELETE' })).ok).toBe(true);

/** The harness's calls of `operation` since `from`: the throttled ones, and whether one got through after them. */
const harnessCalls = (s: Stage, operation: string, from: number) => {
  const calls = ofKind(readEventLog(s.t.sandbox.eventLogPath), 'api.call').filter((e) => e.operation === operation && e.firedrill === true && e.epochMs >= from);
  return { throttled: calls.filter((e) => e.errorCode === 'ThrottlingException').length, answered: calls.some((e) => e.status === 200) };
};

// Each seed on its own sandbox, side by side: most of a case is waiting (the SDK's backoff, the
// sandbox's deployments), and no case can see another's revisions or lock.
describe.concurrent('validate restores under heavy throttling', () => {
  for (const { operation, seed } of [outlastingTheSdk('DeregisterTaskDefinition'), outlastingTheSdk('UntagResource'), outlastingTheSdk('UpdateService')]) {
    it(`seed ${seed} (${operation} throttled ${ECS_MAX_ATTEMPTS + 1} times in a row): steady on the current release, no candidate ACTIVE, no lock`, async () => {
      const s = await stage();
      try {
        const from = Date.now();
        await throttle(s, seed);
        // Stopped once the candidate is deployed, so its restore has everything to undo: the
        // service back on the current release, the candidate deregistered, the lock released.
        const stop = new AbortController();
        let report;
        try {
          report = await validateCandidate({
            environment: loadEnvironment(s.envFile),
            service: SERVICE,
            candidate: 'v1.2.0',
            driver: s.t.driver,
            budgetMs: 5 * MINUTE,
            rollbackBudgetMs: 10 * MINUTE,
            reportDir: join(s.dir, 'reports'),
            firedrillVersion: 'test',
            signal: stop.signal,
            progress: (line) => {
              if (line.startsWith('deploy-candidate: passed')) stop.abort();
            },
          });
        } finally {
          await calm(s);
        }
        const context = JSON.stringify(report.steps, null, 2);
        expect(report.steps.map((step) => [step.name, step.passed]), context).toEqual([
          ['security-checks', true],
          ['deploy-candidate', true],
          ['failing-release-caught', false],
          ['rollback-to-current', true],
        ]);
        expect(report.restored, context).toBe(true);
        const calls = harnessCalls(s, operation, from);
        expect(calls.throttled, `${operation}: ${context}`).toBeGreaterThanOrEqual(ECS_MAX_ATTEMPTS + 1);
        expect(calls.answered, `${operation} got through in the end`).toBe(true);
        await expectSteadyOnBaseline(s, context);
        await expectInactive(s, [report.candidateTaskDefinition!]);
      } finally {
        await s.t.stop();
      }
    }, 6 * MINUTE);
  }
});

describe.concurrent('firedrill recover restores under heavy throttling', () => {
  for (const { operation, seed } of [outlastingTheSdk('UpdateService'), outlastingTheSdk('DeregisterTaskDefinition'), outlastingTheSdk('UntagResource')]) {
    it(`seed ${seed} (${operation} throttled ${ECS_MAX_ATTEMPTS + 1} times in a row): a dead drill's release rolled back, deregistered, its lock released`, async () => {
      const s = await stage();
      try {
        // What a drill killed in gate leaves: a tagged bad release that ECS is rolling out, the lock on the service, its ticket.
        const runId = `dead-drill-${seed}`;
        const bad = demoTaskDefinition('v1.1.0');
        bad.tags = [{ key: RUN_TAG, value: runId }];
        const badArn = (await s.t.ecs.send(new RegisterTaskDefinitionCommand(bad))).taskDefinition!.taskDefinitionArn!;
        await s.t.ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: badArn }));
        const serviceArn = (await service(s.t.ecs, CLUSTER, SERVICE)).serviceArn!;
        await s.t.ecs.send(new TagResourceCommand({ resourceArn: serviceArn, tags: lockTags({ runId, holder: 'ci@dead-runner', expiresAt: Date.now() + 10 * MINUTE }) }));
        const env = loadEnvironment(s.envFile);
        const reportDir = join(s.dir, `recover-${seed}`);
        const ticket = new TicketWriter(join(reportDir, runId, TICKET_FILE), {
          runId,
          environment: { file: env.file, name: env.environment.name, kind: env.environment.kind, endpoint: env.environment.endpoint, region: env.environment.region, cluster: CLUSTER },
          serviceName: SERVICE,
          serviceArn,
          restoreTimeoutMs: 4 * MINUTE,
          pollIntervalMs: 250,
        });
        ticket.update({ phase: 'gate', touched: true, baselineTaskDefinitionArn: s.baselineArn, family: bad.family, registered: [badArn], lockHeld: true });

        const from = Date.now();
        await throttle(s, seed);
        let out = '';
        let code: number;
        try {
          // --force: the ticket's owner is this test process, alive; recover would rightly leave a live drill alone.
          code = await recoverCommand(['--report-dir', reportDir, '--force'], (text) => (out += text));
        } finally {
          await calm(s);
        }
        expect(code, out).toBe(0);
        expect(out).toContain(`UpdateService ${SERVICE} taskDefinition=${s.baselineArn}`);
        expect(out).toContain(`DeregisterTaskDefinition ${badArn}`);
        expect(out).toContain(`released the drill lock on ${serviceArn}`);
        const calls = harnessCalls(s, operation, from);
        expect(calls.throttled, `${operation}:\n${out}`).toBeGreaterThanOrEqual(ECS_MAX_ATTEMPTS + 1);
        expect(calls.answered, `${operation} got through in the end`).toBe(true);
        await expectSteadyOnBaseline(s, out);
        await expectInactive(s, [badArn]);
      } finally {
        await s.t.stop();
      }
    }, 6 * MINUTE);
  }
});
