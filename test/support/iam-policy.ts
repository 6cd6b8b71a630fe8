// docs/iam-policy.json, read the way the least-privilege checks need it: the set of actions it
// allows, and the harness's calls that it does not.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ofKind, type SandboxEventBody } from '../../sandbox/index.ts';

export const POLICY_FILE = fileURLToPath(new URL('../../docs/iam-policy.json', import.meta.url));

interface Statement {
  Effect: string;
  Action: string | string[];
}

export const policyActions = (file = POLICY_FILE): Set<string> => {
  const policy = JSON.parse(readFileSync(file, 'utf8')) as { Statement: Statement[] };
  return new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
};

/** The IAM actions of the calls firedrill itself made (its user-agent token), e.g. `ecs:UpdateService`. */
export const firedrillActions = (events: readonly SandboxEventBody[]): Set<string> =>
  new Set(ofKind(events, 'api.call').filter((e) => e.firedrill === true).map((e) => `${e.service === 'elbv2' ? 'elasticloadbalancing' : e.service}:${e.operation}`));

/** The actions firedrill called that the policy does not allow, sorted. */
export const missingFromPolicy = (events: readonly SandboxEventBody[], allowed = policyActions()): string[] => [...firedrillActions(events)].filter((a) => !allowed.has(a)).sort();
