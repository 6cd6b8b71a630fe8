// The record of one pre-release validation (`firedrill validate`), as the report file holds it and
// the metrics read it: its steps, their times, the budget.

export interface ValidationStep {
  name: 'deploy-candidate' | 'rollback-to-current' | 'failing-release-caught' | 'restore';
  passed: boolean;
  durationMs: number;
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
  steps: ValidationStep[];
  passed: boolean;
}
