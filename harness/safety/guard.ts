// Where a drill may run. A drill deliberately breaks a service, so before anything is touched it
// proves it is where the environment file says: the right kind, the right AWS account, the right
// cluster and service. Pure: the driver asks STS (Driver.callerAccount), preflight.ts brings the answer.

import type { Environment } from '../config/environment.ts';
import type { Scenario } from '../config/scenario.ts';

/** The scenario tag that allows a scenario in a production environment. */
export const PRODUCTION_TAG = 'production';

/** Why the drill may not run in this kind of environment, or undefined. Pure. */
export const productionRefusal = (env: Pick<Environment, 'kind' | 'name'>, scenario: Pick<Scenario, 'name' | 'tags'>, allowProduction: boolean): string | undefined => {
  if (env.kind !== 'production') return undefined;
  const missing = [
    allowProduction ? undefined : 'the --allow-production flag (or FIREDRILL_ALLOW_PRODUCTION=1)',
    scenario.tags.includes(PRODUCTION_TAG) ? undefined : `the tag "${PRODUCTION_TAG}" in scenario ${scenario.name}'s tags`,
  ].filter((m): m is string => m !== undefined);
  if (missing.length === 0) return undefined;
  return `environment ${env.name} is a production environment; a drill runs there only with ${missing.join(' and ')}`;
};

/** Why this account is not one the environment allows, or undefined. Pure. */
export const accountRefusal = (env: Pick<Environment, 'name' | 'allowedAccountIds' | 'kind'>, account: string | undefined): string | undefined => {
  if (env.allowedAccountIds.length === 0) {
    return env.kind === 'sandbox' ? undefined : `environment ${env.name} lists no allowedAccountIds`;
  }
  if (account === undefined) return `the AWS account could not be determined (STS GetCallerIdentity answered no Account); environment ${env.name} allows ${env.allowedAccountIds.join(', ')}`;
  if (env.allowedAccountIds.includes(account)) return undefined;
  return `the credentials belong to AWS account ${account}, which environment ${env.name} does not allow (allowedAccountIds: ${env.allowedAccountIds.join(', ')}); check AWS_PROFILE or the credentials in use`;
};

/** Why the described service is not the one the environment names, or undefined. Pure. */
export const targetRefusal = (expected: { cluster: string; service: string }, described: { clusterArn?: string; serviceName?: string; serviceArn?: string }): string | undefined => {
  const clusterName = described.clusterArn?.split('/').at(-1);
  const clusterMatches = described.clusterArn === expected.cluster || clusterName === expected.cluster;
  if (!clusterMatches) return `ECS answered for cluster ${described.clusterArn ?? '(none)'}, not ${expected.cluster} as the environment file says`;
  const serviceMatches = described.serviceName === expected.service || described.serviceArn === expected.service;
  if (!serviceMatches) return `ECS answered for service ${described.serviceName ?? '(none)'}, not ${expected.service} as the environment file says`;
  return undefined;
};
