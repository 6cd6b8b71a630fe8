// The documented IAM policy (docs/iam-policy.json) lists exactly the actions the harness calls.
// Statically here, over the code; dynamically in every end-to-end test, where
// test/support/sandbox.ts checks each call the harness made to the sandbox against the policy.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SandboxEventBody } from '../../sandbox/index.ts';
import { missingFromPolicy, policyActions } from '../support/iam-policy.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Code that only sets up or inspects the built-in sandbox: it never runs against an AWS account. */
const SANDBOX_SETUP = new Set(['harness/ecs/demo-service.ts', 'harness/ecs/snapshot.ts', 'harness/cli/commands/sandbox.ts', 'drills/support/embedded-sandbox.ts']);
/** Actions IAM checks that are not API calls of their own. */
const IMPLIED = new Set(['iam:PassRole']);
const STS = new Set(['GetCallerIdentity']);
const ELBV2 = new Set(['DescribeTargetGroups', 'DescribeTargetGroupAttributes']);
const serviceOf = (operation: string) => (STS.has(operation) ? 'sts' : ELBV2.has(operation) ? 'elasticloadbalancing' : 'ecs');

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });

/** Every `new <Operation>Command(` in the harness and the drill runner, as IAM actions. */
const actionsInCode = (): Map<string, string[]> => {
  const found = new Map<string, string[]>();
  for (const file of [...sourceFiles(join(ROOT, 'harness')), ...sourceFiles(join(ROOT, 'drills'))]) {
    const rel = relative(ROOT, file);
    if (SANDBOX_SETUP.has(rel)) continue;
    for (const [, operation] of readFileSync(file, 'utf8').matchAll(/new ([A-Z][A-Za-z]+)Command\(/g)) {
      const action = `${serviceOf(operation!)}:${operation}`;
      found.set(action, [...(found.get(action) ?? []), rel]);
    }
  }
  return found;
};

describe('docs/iam-policy.json', () => {
  it('allows every action the harness calls, and nothing it does not', () => {
    const inCode = actionsInCode();
    const allowed = [...policyActions()].filter((a) => !IMPLIED.has(a));
    const missing = [...inCode.keys()].filter((a) => !allowed.includes(a));
    const unused = allowed.filter((a) => !inCode.has(a));
    expect(missing, `called but not in the policy: ${missing.map((a) => `${a} (${inCode.get(a)!.join(', ')})`).join('; ')}`).toEqual([]);
    expect(unused, 'in the policy but never called').toEqual([]);
    // The drill's own path, whatever else changes.
    for (const a of ['ecs:UpdateService', 'ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DescribeServices', 'sts:GetCallerIdentity']) expect(allowed).toContain(a);
  });

  it('names the harness calls a policy lacks, and ignores calls made by other clients', () => {
    const client = 'aws-sdk-js/3.1164.0';
    const events: SandboxEventBody[] = [
      { kind: 'api.call', service: 'ecs', operation: 'UpdateService', status: 200, client, firedrill: true },
      { kind: 'api.call', service: 'ecs', operation: 'DeleteService', status: 200, client, firedrill: true },
      { kind: 'api.call', service: 'ecs', operation: 'CreateCluster', status: 200, client, firedrill: false },
      // Not a call: an event of another kind that names an operation and firedrill is not counted.
      { kind: 'api.fault', service: 'ecs', operation: 'DeleteCluster', fault: 'throttle', status: 400, errorCode: 'ThrottlingException', client, firedrill: true },
    ];
    expect(missingFromPolicy(events)).toEqual(['ecs:DeleteService']);
    // The sandbox logs ELBv2 as elbv2; IAM calls it elasticloadbalancing.
    const elb: SandboxEventBody = { kind: 'api.call', service: 'elbv2', operation: 'DescribeTargetGroups', status: 200, client, firedrill: true };
    expect(missingFromPolicy([elb])).toEqual([]);
    expect(missingFromPolicy([elb], new Set())).toEqual(['elasticloadbalancing:DescribeTargetGroups']);
    expect(missingFromPolicy(events, new Set(['ecs:UpdateService', 'ecs:DeleteService']))).toEqual([]);
  });
});
