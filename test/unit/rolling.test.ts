import { describe, expect, it } from 'vitest';
import { planRollout, rollingBounds, rolloutComplete, type SchedulerTask } from '../../sandbox/control/rolling.ts';

const tasks = (deploymentId: string, healthy: number, unhealthy = 0): SchedulerTask[] => [
  ...Array.from({ length: healthy }, (_, i) => ({ taskArn: `${deploymentId}-h${i}`, deploymentId, healthy: true })),
  ...Array.from({ length: unhealthy }, (_, i) => ({ taskArn: `${deploymentId}-u${i}`, deploymentId, healthy: false })),
];

const plan = (desiredCount: number, maximumPercent: number, minimumHealthyPercent: number, all: SchedulerTask[], primaryId: string | undefined = 'new') =>
  planRollout({ desiredCount, maximumPercent, minimumHealthyPercent, primaryId, tasks: all });

describe('rolling bounds', () => {
  it('rounds maximumPercent down and minimumHealthyPercent up', () => {
    expect(rollingBounds(3, 150, 50)).toEqual({ maxTasks: 4, minHealthy: 2 });
    expect(rollingBounds(2, 200, 100)).toEqual({ maxTasks: 4, minHealthy: 2 });
    expect(rollingBounds(5, 120, 75)).toEqual({ maxTasks: 6, minHealthy: 4 });
    expect(rollingBounds(0, 200, 100)).toEqual({ maxTasks: 0, minHealthy: 0 });
  });
});

describe('rolling update plan', () => {
  it('starts a new service at its desired count', () => {
    expect(plan(2, 200, 100, [])).toEqual({ launch: 2, stop: [] });
  });

  it('200/100: launches the whole new set beside the old one and stops nothing healthy yet', () => {
    expect(plan(2, 200, 100, [...tasks('old', 2), ...tasks('new', 0)])).toEqual({ launch: 2, stop: [] });
    expect(plan(2, 200, 100, [...tasks('old', 2), ...tasks('new', 0, 2)])).toEqual({ launch: 0, stop: [] });
  });

  it('200/100: stops one old task for each new task that turns healthy', () => {
    expect(plan(2, 200, 100, [...tasks('old', 2), ...tasks('new', 1, 1)])).toEqual({ launch: 0, stop: ['old-h0'] });
    expect(plan(2, 200, 100, [...tasks('old', 2), ...tasks('new', 2)])).toEqual({ launch: 0, stop: ['old-h0', 'old-h1'] });
  });

  it('100/50: stops half first to make room, then launches into the room', () => {
    const first = plan(4, 100, 50, tasks('old', 4));
    expect(first).toEqual({ launch: 0, stop: ['old-h0', 'old-h1'] });
    expect(plan(4, 100, 50, tasks('old', 2))).toEqual({ launch: 2, stop: [] });
  });

  it('150/100 with 3 tasks launches only one extra at a time', () => {
    expect(plan(3, 150, 100, tasks('old', 3))).toEqual({ launch: 1, stop: [] });
  });

  it('stops unhealthy tasks of older deployments without counting them against the floor', () => {
    expect(plan(2, 200, 100, [...tasks('failed', 0, 2), ...tasks('new', 2)])).toEqual({ launch: 0, stop: ['failed-u0', 'failed-u1'] });
  });

  it('scales the primary in, unhealthy tasks first', () => {
    expect(plan(1, 200, 100, tasks('new', 1, 1))).toEqual({ launch: 0, stop: ['new-u0'] });
  });

  it('a FAILED primary launches and stops nothing', () => {
    expect(planRollout({ desiredCount: 2, maximumPercent: 200, minimumHealthyPercent: 100, primaryId: undefined, tasks: [...tasks('old', 2), ...tasks('new', 0, 1)] })).toEqual({ launch: 0, stop: [] });
  });

  it('replaces a lost task of a steady service', () => {
    expect(plan(2, 200, 100, tasks('new', 1))).toEqual({ launch: 1, stop: [] });
  });
});

describe('rollout completion', () => {
  it('needs every desired task healthy and nothing else left', () => {
    expect(rolloutComplete({ desiredCount: 2, primaryId: 'new', tasks: tasks('new', 2) }, 0)).toBe(true);
    expect(rolloutComplete({ desiredCount: 2, primaryId: 'new', tasks: tasks('new', 2) }, 1)).toBe(false);
    expect(rolloutComplete({ desiredCount: 2, primaryId: 'new', tasks: tasks('new', 1, 1) }, 0)).toBe(false);
    expect(rolloutComplete({ desiredCount: 0, primaryId: 'new', tasks: [] }, 0)).toBe(true);
    expect(rolloutComplete({ desiredCount: 2, primaryId: undefined, tasks: tasks('new', 2) }, 0)).toBe(false);
  });
});
