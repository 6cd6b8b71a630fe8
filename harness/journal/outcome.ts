// How a drill ended, and the exit code DESIGN.md gives each ending. When several apply, the one
// that needs a human most wins: a failed restore over everything.

/** `locked`: another drill held the service's lock; like `unhealthy-baseline`, nothing was touched. */
export type Outcome = 'passed' | 'failed' | 'interrupted' | 'invalid' | 'locked' | 'unhealthy-baseline' | 'restore-failed' | 'error';

export const exitCodeOf = (outcome: Outcome): number => {
  switch (outcome) {
    case 'passed':
      return 0;
    case 'failed':
    case 'interrupted':
    case 'error':
      return 1;
    case 'invalid':
      return 2;
    case 'locked':
    case 'unhealthy-baseline':
      return 3;
    case 'restore-failed':
      return 4;
  }
};

const severity: Outcome[] = ['passed', 'failed', 'interrupted', 'error', 'invalid', 'locked', 'unhealthy-baseline', 'restore-failed'];

/** The outcome of several drills run together: the most severe one. */
export const worstOutcome = (outcomes: Outcome[]): Outcome =>
  outcomes.reduce<Outcome>((worst, o) => (severity.indexOf(o) > severity.indexOf(worst) ? o : worst), 'passed');

/** A failure that ends a phase with a known outcome. */
export class DrillStop extends Error {
  constructor(
    readonly outcome: Outcome,
    message: string,
  ) {
    super(message);
    this.name = 'DrillStop';
  }
}
