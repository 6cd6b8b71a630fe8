// Picking a fault seed for a test: the sandbox's streams are the FaultInjector's, so a test can
// find the seed whose first calls of an operation meet exactly the faults it needs.

import { FaultInjector, type FaultConfig, type FaultKind } from '../../sandbox/api/faults.ts';

/** The smallest seed (1..10000) whose first calls of `operation` meet `kinds` in order (undefined: no fault). */
export const seedWhere = (operations: FaultConfig['operations'], operation: string, kinds: Array<FaultKind | undefined>): number => {
  for (let seed = 1; seed <= 10_000; seed++) {
    const predicted = new FaultInjector({ seed, operations });
    if (kinds.every((kind) => predicted.decide(operation).kind === kind)) return seed;
  }
  throw new Error(`no seed up to 10000 gives ${operation} the faults ${JSON.stringify(kinds)}`);
};
