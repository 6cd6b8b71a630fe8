import { describe, expect, it } from 'vitest';
import { completeDeployment, newDeployment, rollbackTarget, tripBreaker } from '../../sandbox/control/deployments.ts';
import type { Deployment } from '../../sandbox/control/model.ts';

const deployment = (id: string, createdAt: number, patch: Partial<Deployment> = {}): Deployment => ({
  ...newDeployment({ id, taskDefinition: `td:${id}`, desiredCount: 2, launchType: 'FARGATE', serviceRevisionArn: `rev:${id}`, now: createdAt }),
  ...patch,
});

describe('deployment transitions', () => {
  it('a new deployment is PRIMARY and IN_PROGRESS with the in-progress reason', () => {
    const d = newDeployment({ id: 'ecs-svc/1', taskDefinition: 'td:1', desiredCount: 2, launchType: 'FARGATE', serviceRevisionArn: 'rev:1', now: 5 });
    expect(d).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment ecs-svc/1 in progress.', failedTasks: 0 });
  });

  it('completing drops every other deployment', () => {
    const list = [deployment('ecs-svc/2', 2), deployment('ecs-svc/1', 1, { status: 'ACTIVE', rolloutState: 'COMPLETED' })];
    const done = completeDeployment(list, 10);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ id: 'ecs-svc/2', rolloutState: 'COMPLETED', rolloutStateReason: 'ECS deployment ecs-svc/2 completed.', updatedAt: 10 });
  });

  it('the breaker with rollback returns to the most recent COMPLETED deployment under its own id', () => {
    const list = [
      deployment('ecs-svc/3', 3, { failedTasks: 3 }),
      deployment('ecs-svc/2', 2, { status: 'ACTIVE', rolloutState: 'COMPLETED' }),
      deployment('ecs-svc/1', 1, { status: 'ACTIVE', rolloutState: 'COMPLETED' }),
    ];
    expect(rollbackTarget(list, 'ecs-svc/3')?.id).toBe('ecs-svc/2');
    const outcome = tripBreaker(list, true, 20);
    expect(outcome).toEqual({ kind: 'rolledBack', failed: 'ecs-svc/3', target: 'ecs-svc/2' });
    expect(list[0]).toMatchObject({
      id: 'ecs-svc/2',
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/2.',
    });
    expect(list.find((d) => d.id === 'ecs-svc/3')).toMatchObject({
      status: 'ACTIVE',
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
    });
  });

  it('the breaker without rollback leaves the deployment PRIMARY and FAILED', () => {
    const list = [deployment('ecs-svc/2', 2), deployment('ecs-svc/1', 1, { status: 'ACTIVE', rolloutState: 'COMPLETED' })];
    expect(tripBreaker(list, false, 20)).toEqual({ kind: 'failed', failed: 'ecs-svc/2' });
    expect(list[0]).toMatchObject({ id: 'ecs-svc/2', status: 'PRIMARY', rolloutState: 'FAILED' });
    expect(list[1]).toMatchObject({ status: 'ACTIVE', rolloutState: 'COMPLETED' });
  });

  it('with no COMPLETED deployment to return to, the failed one stays put', () => {
    const list = [deployment('ecs-svc/1', 1)];
    expect(tripBreaker(list, true, 20)).toEqual({ kind: 'failed', failed: 'ecs-svc/1' });
    expect(list[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'FAILED' });
  });

  it('trips once: a FAILED primary is not tripped again', () => {
    const list = [deployment('ecs-svc/1', 1, { rolloutState: 'FAILED' })];
    expect(tripBreaker(list, true, 20)).toBeUndefined();
  });
});
