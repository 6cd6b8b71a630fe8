// The order statistics firedrill reports: the metrics over the run history, the gate's latency
// signal and the bench. Pure.

/** The median: the middle value, or the mean of the two middle values of an even count. */
export const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Nearest-rank percentile, p from 0 (exclusive) to 1: a value that was actually measured, never
 * an interpolation. p95 of 20 values is the 19th smallest.
 */
export const percentile = (values: readonly number[], p: number): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
};
