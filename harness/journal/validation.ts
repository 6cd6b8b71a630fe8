// The record of one pre-release validation (`firedrill validate`), as the report file holds it and
// the metrics read it: the security findings, the predicted time, the steps and their times, the
// budget.

import type { Cost } from '../analysis/deployment-time.ts';
import type { ValidationStepName } from '../analysis/validation-time.ts';
import type { FailOn, Finding } from '../security/findings.ts';

export interface ValidationStep {
  name: 'security-checks' | ValidationStepName;
  passed: boolean;
  durationMs: number;
  /** What the deployment math predicted for this step before anything was touched. */
  predictedMs?: number;
  summary: string;
  journal?: string;
}

export interface ValidationReport {
  candidate: string;
  current: { taskDefinitionArn: string; image: string };
  candidateTaskDefinition?: string;
  budgetMs: number;
  durationMs: number;
  withinBudget: boolean;
  /** The service ended on the current release (rollback-to-current is also the restore). */
  restored: boolean;
  /** The candidate's security findings; the ones at or above failOn fail the validation. */
  findings: Finding[];
  failOn: FailOn;
  prediction: { ms: number; costs: Cost[]; notes: string[] };
  steps: ValidationStep[];
  passed: boolean;
}
