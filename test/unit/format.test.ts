// lib/format.ts: how times and shares read in the reports, the CLI, the metrics and the bench.
// The strings here are the ones those outputs already print; a change here is a change to all.

import { describe, expect, it } from 'vitest';
import { duration, percent, seconds, secondsCompact, secondsFigure } from '../../lib/format.ts';

describe('seconds', () => {
  it('reads milliseconds as seconds to a tenth with the unit, "-" when there is no figure', () => {
    expect(seconds(0)).toBe('0.0 s');
    expect(seconds(840)).toBe('0.8 s');
    expect(seconds(7_449)).toBe('7.4 s');
    expect(seconds(7_450)).toBe('7.5 s');
    expect(seconds(600_000)).toBe('600.0 s');
    expect(seconds(-1_200)).toBe('-1.2 s');
    expect(seconds(undefined)).toBe('-');
  });

  it('takes other precisions: the bench to a hundredth, whole seconds', () => {
    expect(seconds(1_234, 2)).toBe('1.23 s');
    expect(seconds(1_234, 0)).toBe('1 s');
    expect(seconds(1_500, 0)).toBe('2 s');
    expect(seconds(undefined, 2)).toBe('-');
  });

  it('as a bare figure, for JUnit attributes and table cells', () => {
    expect(secondsFigure(1_234)).toBe('1.2');
    expect(secondsFigure(1_234, 3)).toBe('1.234');
    expect(secondsFigure(5, 3)).toBe('0.005');
    expect(secondsFigure(1_005, 2)).toBe('1.00'); // toFixed's binary rounding, as before
    expect(secondsFigure(undefined, 2)).toBe('-');
  });

  it('compact, for progress lines', () => {
    expect(secondsCompact(0)).toBe('0.0s');
    expect(secondsCompact(12_345)).toBe('12.3s');
    expect(secondsCompact(3_661_000)).toBe('3661.0s');
  });
});

describe('percent', () => {
  it('reads a share 0..1 to a tenth of a percent, without a trailing ".0"', () => {
    expect(percent(0)).toBe('0 %');
    expect(percent(1)).toBe('100 %');
    expect(percent(0.162)).toBe('16.2 %');
    expect(percent(0.15)).toBe('15 %');
    expect(percent(1 / 3)).toBe('33.3 %');
    expect(percent(0.0004)).toBe('0 %');
    expect(percent(0.0005)).toBe('0.1 %');
  });
});

describe('duration', () => {
  it('picks the unit: ms under a second, s to a tenth under 2 min, min under 2 h, then h', () => {
    expect(duration(0)).toBe('0 ms');
    expect(duration(849.6)).toBe('850 ms');
    expect(duration(999)).toBe('999 ms');
    expect(duration(1_000)).toBe('1.0 s');
    expect(duration(8_000)).toBe('8.0 s');
    expect(duration(119_999)).toBe('120.0 s');
    expect(duration(120_000)).toBe('2 min');
    expect(duration(750_000)).toBe('12.5 min');
    expect(duration(2 * 3_600_000 - 1)).toBe('120 min');
    expect(duration(2 * 3_600_000)).toBe('2 h');
    expect(duration(3.25 * 3_600_000)).toBe('3.3 h');
  });
});
