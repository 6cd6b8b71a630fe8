import { describe, expect, it } from 'vitest';
import { failureThreshold } from '../../lib/circuit-breaker-threshold.ts';
import { breakerTrips } from '../../sandbox/control/circuit-breaker.ts';

describe('circuit breaker failure threshold', () => {
  it.each([
    [1, 3],
    [2, 3],
    [6, 3],
    [7, 4],
    [25, 13],
    [400, 200],
    [1000, 200],
  ])('BOUNDED_PERCENT 50 (the default) with desiredCount %i trips at %i failed tasks', (desired, threshold) => {
    expect(failureThreshold(desired, {})).toBe(threshold);
    expect(failureThreshold(desired, { thresholdConfiguration: { type: 'BOUNDED_PERCENT', value: 50 } })).toBe(threshold);
  });

  it('UNBOUNDED_PERCENT has no clamp', () => {
    expect(failureThreshold(1, { thresholdConfiguration: { type: 'UNBOUNDED_PERCENT', value: 50 } })).toBe(1);
    expect(failureThreshold(400, { thresholdConfiguration: { type: 'UNBOUNDED_PERCENT', value: 50 } })).toBe(200);
    expect(failureThreshold(1000, { thresholdConfiguration: { type: 'UNBOUNDED_PERCENT', value: 50 } })).toBe(500);
  });

  it('COUNT is the value itself', () => {
    expect(failureThreshold(2, { thresholdConfiguration: { type: 'COUNT', value: 5 } })).toBe(5);
  });

  it('trips only when enabled and at the threshold', () => {
    const on = { enable: true, rollback: true };
    expect(breakerTrips(2, 2, on)).toBe(false);
    expect(breakerTrips(3, 2, on)).toBe(true);
    expect(breakerTrips(10, 2, { enable: false, rollback: true })).toBe(false);
  });
});
