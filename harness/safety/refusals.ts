// Every reason a drill may not run here, decided in one place so `plan` and `run` refuse alike.
// Pure: the caller brings the described service and the account.

import type { Environment } from '../config/environment.ts';
import type { Scenario } from '../config/scenario.ts';
import { blastRadiusRefusal, combineCaps, estimateBlastRadius, type BlastEstimate } from './blast-radius.ts';
import { accountRefusal, productionRefusal, targetRefusal } from './guard.ts';

export interface DescribedService {
  clusterArn?: string;
  serviceArn?: string;
  serviceName?: string;
  desiredCount?: number;
  deploymentConfiguration?: { minimumHealthyPercent?: number };
}

export interface RefusalInput {
  env: Environment;
  scenario: Scenario;
  /** The ECS service name the environment maps the scenario's target to. */
  serviceName: string;
  allowProduction: boolean;
  /** From STS GetCallerIdentity; omitted when it was not asked. */
  account?: string;
  accountChecked: boolean;
  service?: DescribedService;
}

export interface RefusalResult {
  refusals: string[];
  blastRadius?: BlastEstimate;
}

export const refusals = (input: RefusalInput): RefusalResult => {
  const { env, scenario } = input;
  const out: string[] = [];
  const add = (reason: string | undefined) => reason && out.push(reason);
  add(productionRefusal(env, scenario, input.allowProduction));
  if (input.accountChecked) add(accountRefusal(env, input.account));
  if (scenario.expectations.recoveryWithinSeconds > env.timeouts.recoverySeconds) {
    out.push(
      `scenario ${scenario.name} allows ${scenario.expectations.recoveryWithinSeconds} s to recover, above environment ${env.name}'s rollback budget (timeouts.recoverySeconds: ${env.timeouts.recoverySeconds} s)`,
    );
  }
  let estimate: BlastEstimate | undefined;
  if (input.service) {
    add(targetRefusal({ cluster: env.cluster, service: input.serviceName }, input.service));
    estimate = estimateBlastRadius(
      { desiredCount: input.service.desiredCount ?? 0, minimumHealthyPercent: input.service.deploymentConfiguration?.minimumHealthyPercent },
      scenario.release.kind,
    );
    add(blastRadiusRefusal(estimate, combineCaps(env.blastRadius, scenario.blastRadius)));
  }
  return { refusals: out, blastRadius: estimate };
};

/** Whether STS must be asked: always where an account list exists, and for every real account. */
export const needsAccountCheck = (env: Pick<Environment, 'kind' | 'allowedAccountIds'>): boolean => env.kind !== 'sandbox' || env.allowedAccountIds.length > 0;
