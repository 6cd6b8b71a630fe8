// How figures read wherever firedrill prints them: the reports, the CLI, the metrics and the
// bench. One definition each, so a time or a share reads the same in a verdict, a summary and a
// table. Pure: strings out.

/** Milliseconds as a number of seconds with `digits` decimals and no unit: 1234 -> "1.2"; "-" when undefined. */
export const secondsFigure = (ms: number | undefined, digits = 1): string => (ms === undefined ? '-' : (ms / 1000).toFixed(digits));

/** Milliseconds as seconds with the unit, to a tenth unless `digits` says otherwise: "0.8 s"; "-" when undefined. */
export const seconds = (ms: number | undefined, digits = 1): string => (ms === undefined ? '-' : `${secondsFigure(ms, digits)} s`);

/** The compact form of progress lines, to a tenth: "12.3s". */
export const secondsCompact = (ms: number): string => `${secondsFigure(ms)}s`;

/** A share 0..1 as a percentage to a tenth, without a trailing ".0": "16.2 %", "0 %". */
export const percent = (share: number): string => `${Number((share * 100).toFixed(1))} %`;

/** A duration in the unit that reads best: "850 ms", "7.4 s" (up to 2 min), "12.5 min" (up to 2 h), "3 h". */
export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 2 * 3_600_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
};
