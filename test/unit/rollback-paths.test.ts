import { describe, expect, it } from 'vitest';
import { CommandError, fillCommand, runCommand } from '../../harness/commands/run-command.ts';
import { selectRollbackPath } from '../../harness/rollback/paths.ts';

const ctx = { cluster: 'firedrill', service: 'demo', baselineTaskDefinition: 'arn:td/demo:1', placeholders: {} };

describe('rollback path selection', () => {
  it('the circuit breaker is ECS own: firedrill waits and triggers nothing', async () => {
    const path = selectRollbackPath({ path: 'circuit-breaker' });
    expect(path).toMatchObject({ name: 'circuit-breaker', triggeredBy: 'ecs' });
    expect(path.describe(ctx)).toMatch(/circuit breaker/);
  });

  it('redeploy-previous is triggered by firedrill with UpdateService to the baseline', () => {
    const path = selectRollbackPath({ path: 'redeploy-previous' });
    expect(path).toMatchObject({ name: 'redeploy-previous', triggeredBy: 'firedrill' });
    expect(path.describe(ctx)).toBe('UpdateService cluster=firedrill service=demo taskDefinition=arn:td/demo:1 when a failure signal fires');
  });

  it("the team's command is triggered by firedrill and runs with placeholders", async () => {
    const path = selectRollbackPath({ path: 'command', command: 'echo rolled back {service} to {baselineTaskDefinition}', timeoutSeconds: 30 });
    expect(path).toMatchObject({ name: 'command', triggeredBy: 'firedrill' });
    const done = await path.trigger({ ...ctx, driver: undefined as never, deadline: Date.now() + 30_000, placeholders: { service: 'demo', baselineTaskDefinition: 'arn:td/demo:1' } });
    expect(done).toMatchObject({ exitCode: 0, output: 'rolled back demo to arn:td/demo:1\n' });
  });
});

describe('team commands', () => {
  it('fills placeholders as shell-quoted values, so a value cannot inject a command', () => {
    expect(fillCommand('deploy {service} {tag}', { service: 'demo', tag: 'v1; rm -rf /' })).toBe("deploy demo $'v1; rm -rf /'");
  });

  it('refuses an unknown placeholder instead of running with an empty value', () => {
    expect(() => fillCommand('deploy {servce}', { service: 'demo' })).toThrow(/unknown placeholder \{servce\}.*known: \{service\}/);
  });

  it('a failing command is an error with its exit code and its output, redacted', async () => {
    const failing = runCommand('echo password=hunter2; exit 3', {}, { timeoutMs: 30_000 });
    await expect(failing).rejects.toBeInstanceOf(CommandError);
    await expect(failing).rejects.toMatchObject({ exitCode: 3 });
    await expect(failing).rejects.toThrow(/password=\*\*\*/);
    await expect(failing).rejects.not.toThrow(/hunter2/);
  });
});
