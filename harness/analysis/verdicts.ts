// Verdicts: each expectation of a scenario judged against the measurements, with a sentence an
// auditor can read and the figures it rests on. An expectation that could not be measured (the
// service never recovered, nothing detected the failure) fails; it never passes silently.

import { percent, seconds } from '../../lib/format.ts';
import type { Expectations } from '../config/scenario.ts';
import type { BadDeploymentEnd, Measurements } from './measurements.ts';

export interface Verdict {
  /** Stable id, e.g. 'recovery-within-budget', for reports and history across runs. */
  expectation: string;
  passed: boolean;
  /** A sentence with the figures, e.g. "recovered in 7.4 s (budget 600 s)". */
  summary: string;
  /** The figures the verdict rests on. */
  evidence: Record<string, unknown>;
}

const withinBudget = (
  expectation: string,
  what: string,
  measuredMs: number | undefined,
  budgetSeconds: number,
  never: string,
  how = '',
): Verdict => {
  const budgetMs = budgetSeconds * 1000;
  const evidence = { measuredMs: measuredMs ?? null, budgetMs };
  if (measuredMs === undefined) return { expectation, passed: false, summary: `${never} (budget ${budgetSeconds} s)`, evidence };
  const passed = measuredMs <= budgetMs;
  const summary = passed
    ? `${what} in ${seconds(measuredMs)}${how} (budget ${budgetSeconds} s)`
    : `${what} in ${seconds(measuredMs)}${how}, over the budget of ${budgetSeconds} s`;
  return { expectation, passed, summary, evidence };
};

const endings: Record<BadDeploymentEnd, string> = {
  FAILED: 'ended FAILED',
  replaced: 'was replaced',
  'still-active': 'was still there, not FAILED, when the drill window ended',
  'never-seen': 'was never seen',
};

export const judge = (expectations: Expectations, m: Measurements): Verdict[] => {
  const verdicts: Verdict[] = [
    withinBudget(
      'recovery-within-budget',
      'recovered',
      m.timeToRecoverMs,
      expectations.recoveryWithinSeconds,
      `never recovered: the baseline never served every probe for ${expectations.stableWindowSeconds} s with its deployment steady and alone`,
    ),
  ];
  if (expectations.detectionWithinSeconds !== undefined) {
    verdicts.push(
      withinBudget(
        'detection-within-budget',
        'detected',
        m.timeToDetectMs,
        expectations.detectionWithinSeconds,
        'never detected: no failed probe, ECS failure or gate signal after inject',
        m.detectedBy && ` by ${m.detectedBy.source} (${m.detectedBy.detail})`,
      ),
    );
  }
  if (expectations.badReleaseNeverCompletes) {
    verdicts.push({
      expectation: 'bad-release-never-completes',
      passed: !m.badReleaseCompleted,
      summary: m.badReleaseCompleted ? "the bad release's deployment reached COMPLETED" : 'the bad release never reached COMPLETED',
      evidence: { badReleaseCompleted: m.badReleaseCompleted },
    });
  }
  if (expectations.badDeploymentEnds !== 'any') {
    const passed = m.badDeploymentEnd === expectations.badDeploymentEnds;
    verdicts.push({
      expectation: 'bad-deployment-ends',
      passed,
      summary: `the bad deployment ${endings[m.badDeploymentEnd]}${passed ? ', as expected' : `; expected it to end ${expectations.badDeploymentEnds}`}`,
      evidence: { badDeploymentEnd: m.badDeploymentEnd, expected: expectations.badDeploymentEnds },
    });
  }
  verdicts.push({
    expectation: 'bad-traffic-share',
    passed: m.badTrafficShare <= expectations.maxBadTrafficShare,
    summary: `the bad release answered ${m.badAnswers} of ${m.answeredProbes} answered probes (${percent(m.badTrafficShare)}, limit ${percent(expectations.maxBadTrafficShare)})`,
    evidence: { badAnswers: m.badAnswers, answeredProbes: m.answeredProbes, badTrafficShare: m.badTrafficShare, maxBadTrafficShare: expectations.maxBadTrafficShare },
  });
  if (expectations.endsOnBaseline) {
    verdicts.push({
      expectation: 'ends-on-baseline',
      passed: m.endsOnBaseline,
      summary: m.endsOnBaseline
        ? 'the service ended on the baseline task definition with running = desired'
        : 'the service did not end on the baseline task definition alone with running = desired',
      evidence: { endsOnBaseline: m.endsOnBaseline },
    });
  }
  return verdicts;
};
