// lib/stats.ts: the one median and the one percentile the metrics, the gate and the bench share.
// (The metrics' worked examples, test/unit/metrics.test.ts, use them too.)

import { describe, expect, it } from 'vitest';
import { median, percentile } from '../../lib/stats.ts';

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([])).toBeUndefined();
    expect(median([7])).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 0])).toBe(5);
  });

  it('leaves its input alone', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('percentile', () => {
  it('is nearest-rank: always a measured value', () => {
    expect(percentile([], 0.95)).toBeUndefined();
    expect(percentile([5], 0.95)).toBe(5);
    expect(percentile(oneTo(20), 0.95)).toBe(19);
    expect(percentile(oneTo(19), 0.95)).toBe(19);
    expect(percentile(oneTo(100), 0.95)).toBe(95);
    expect(percentile([2, 1], 0.5)).toBe(1);
    expect(percentile([30, 10, 20], 1)).toBe(30);
  });

  it("gives the gate's p95 exactly what its own formula gave, for every window size", () => {
    // The gate's definition before it used this one: sorted[max(0, ceil(95 / 100 * n) - 1)].
    const before = (values: number[]) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((95 / 100) * values.length) - 1)];
    for (let n = 1; n <= 500; n++) {
      const values = Array.from({ length: n }, (_, i) => (i * 7919) % 1009);
      expect(percentile(values, 0.95), `n=${n}`).toBe(before(values));
    }
  });
});
