// What a security check reports: a finding with an id, a severity, the control it follows
// (AWS Security Hub's ECS controls where one exists), where it is and what to change. A
// finding never carries a secret's value: it names the variable and the kind of value.

export type Severity = 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low', 'info'];

/** `--fail-on`: the lowest severity that fails the check; none never fails. */
export type FailOn = 'high' | 'medium' | 'none';
export const FAIL_ON: readonly FailOn[] = ['high', 'medium', 'none'];

export interface Finding {
  /** Stable, for suppressions and trends: `plaintext-secret`, `root-user`. */
  id: string;
  severity: Severity;
  /** The Security Hub control (`ECS.8`) or another named source; undefined when none applies. */
  control?: string;
  /** One line: what is wrong. */
  title: string;
  /** Where: the container (when it is one container's) and the field. */
  location: { container?: string; field: string };
  /** What to change. */
  fix: string;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** The findings that fail a check at `failOn`. */
export const failing = (findings: readonly Finding[], failOn: FailOn): Finding[] =>
  failOn === 'none' ? [] : findings.filter((f) => rank(f.severity) <= rank(failOn));

/** Most severe first; then by container and field, so a report reads the same every run. */
export const sortFindings = (findings: readonly Finding[]): Finding[] =>
  [...findings].sort(
    (a, b) => rank(a.severity) - rank(b.severity) || (a.location.container ?? '').localeCompare(b.location.container ?? '') || a.location.field.localeCompare(b.location.field) || a.id.localeCompare(b.id),
  );

export const where = (f: Finding): string => (f.location.container ? `container ${f.location.container}, ${f.location.field}` : f.location.field);

/** `HIGH plaintext-secret (ECS.8) container web, environment.AWS_SECRET_ACCESS_KEY: ...`, then the fix. */
export const formatFinding = (f: Finding): string =>
  `${f.severity.toUpperCase().padEnd(6)} ${f.id}${f.control ? ` (${f.control})` : ''} ${where(f)}: ${f.title}\n         fix: ${f.fix}`;

export const countBySeverity = (findings: readonly Finding[]): string => {
  if (findings.length === 0) return 'no findings';
  return SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
};
