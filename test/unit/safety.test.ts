// The guards' decisions, on hand-made inputs: the production guard, the account allow-list, the
// target match, the blast-radius estimate and caps, and the drill lock's reading of tags.

import { describe, expect, it } from 'vitest';
import { environmentSchema } from '../../harness/config/environment.ts';
import { scenarioSchema } from '../../harness/config/scenario.ts';
import { blastRadiusRefusal, combineCaps, estimateBlastRadius } from '../../harness/safety/blast-radius.ts';
import { accountRefusal, productionRefusal, targetRefusal } from '../../harness/safety/guard.ts';
import { LOCK_EXPIRES_TAG, LOCK_HOLDER_TAG, LOCK_TAG, lockTags, readLock, tagValue } from '../../harness/safety/lock.ts';
import { needsAccountCheck, refusals } from '../../harness/safety/refusals.ts';

const env = (over: Record<string, unknown> = {}) =>
  environmentSchema.parse({ name: 'stage', kind: 'staging', cluster: 'c1', allowedAccountIds: ['123456789012'], services: { web: { url: 'http://127.0.0.1:1' } }, ...over });
const scenario = (over: Record<string, unknown> = {}) =>
  scenarioSchema.parse({ name: 's', description: 'd', target: { service: 'web' }, release: { kind: 'http-errors' }, rollback: { path: 'redeploy-previous' }, ...over });

describe('production guard', () => {
  it('lets sandbox and staging through without consent', () => {
    expect(productionRefusal(env({ kind: 'sandbox' }), scenario(), false)).toBeUndefined();
    expect(productionRefusal(env(), scenario(), false)).toBeUndefined();
  });
  it('needs both the flag and the scenario tag for production, and names what is missing', () => {
    const prod = env({ kind: 'production' });
    expect(productionRefusal(prod, scenario(), false)).toMatch(/--allow-production.*and the tag "production"/);
    expect(productionRefusal(prod, scenario(), true)).toMatch(/the tag "production" in scenario s/);
    expect(productionRefusal(prod, scenario({ tags: ['production'] }), false)).toMatch(/--allow-production/);
    expect(productionRefusal(prod, scenario({ tags: ['production'] }), true)).toBeUndefined();
  });
});

describe('account guard', () => {
  it('refuses an account outside the list and names both', () => {
    expect(accountRefusal(env(), '210987654321')).toMatch(/account 210987654321.*allowedAccountIds: 123456789012/);
    expect(accountRefusal(env(), '123456789012')).toBeUndefined();
    expect(accountRefusal(env(), undefined)).toMatch(/could not be determined/);
  });
  it('asks STS for every real account and for a sandbox that lists one', () => {
    expect(needsAccountCheck(env())).toBe(true);
    expect(needsAccountCheck(env({ kind: 'sandbox', allowedAccountIds: [] }))).toBe(false);
    expect(needsAccountCheck(env({ kind: 'sandbox', allowedAccountIds: ['000000000000'] }))).toBe(true);
  });
  it('refuses a staging environment file without allowedAccountIds', () => {
    expect(() => env({ allowedAccountIds: [] })).toThrow(/needs allowedAccountIds/);
  });
});

describe('target guard', () => {
  it('matches the cluster by name or ARN and the service by name', () => {
    const described = { clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/c1', serviceName: 'web', serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/c1/web' };
    expect(targetRefusal({ cluster: 'c1', service: 'web' }, described)).toBeUndefined();
    expect(targetRefusal({ cluster: described.clusterArn, service: 'web' }, described)).toBeUndefined();
    expect(targetRefusal({ cluster: 'c2', service: 'web' }, described)).toMatch(/cluster .*cluster\/c1, not c2/);
    expect(targetRefusal({ cluster: 'c1', service: 'api' }, described)).toMatch(/service web, not api/);
  });
});

describe('blast radius', () => {
  it('counts every task for a release that can serve', () => {
    const e = estimateBlastRadius({ desiredCount: 4, minimumHealthyPercent: 100 }, 'http-errors');
    expect(e).toMatchObject({ affectedTasks: 4, affectedPercent: 100 });
  });
  it('counts only the baseline tasks ECS may stop for a release that never serves (the floor rounds up)', () => {
    expect(estimateBlastRadius({ desiredCount: 4, minimumHealthyPercent: 100 }, 'missing-image-tag').affectedTasks).toBe(0);
    expect(estimateBlastRadius({ desiredCount: 4, minimumHealthyPercent: 50 }, 'crash-on-start').affectedTasks).toBe(2);
    // ceil(3 * 0.5) = 2 must stay healthy, so 1 may be stopped.
    expect(estimateBlastRadius({ desiredCount: 3, minimumHealthyPercent: 50 }, 'missing-secret').affectedTasks).toBe(1);
    expect(estimateBlastRadius({ desiredCount: 3 }, 'wrong-container-port').affectedTasks).toBe(0);
    expect(estimateBlastRadius({ desiredCount: 0 }, 'http-errors')).toMatchObject({ affectedTasks: 0, affectedPercent: 0 });
  });
  it('takes the stricter cap of scenario and environment', () => {
    expect(combineCaps({ maxTasks: 3 }, { maxTasks: 1, maxPercent: 60 }, undefined)).toEqual({ maxTasks: 1, maxPercent: 60 });
    expect(combineCaps(undefined, undefined)).toEqual({ maxTasks: undefined, maxPercent: undefined });
  });
  it('refuses over either bound, allows at the bound', () => {
    const e = estimateBlastRadius({ desiredCount: 4, minimumHealthyPercent: 50 }, 'crash-on-start');
    expect(blastRadiusRefusal(e, { maxTasks: 2 })).toBeUndefined();
    expect(blastRadiusRefusal(e, { maxPercent: 50 })).toBeUndefined();
    expect(blastRadiusRefusal(e, { maxTasks: 1 })).toMatch(/2 task\(s\) over the cap of 1/);
    expect(blastRadiusRefusal(e, { maxPercent: 25 })).toMatch(/50% of the service over the cap of 25%/);
  });
});

describe('refusals', () => {
  const service = { clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/c1', serviceName: 'web', desiredCount: 2, deploymentConfiguration: { minimumHealthyPercent: 100 } };
  it('collects every reason at once', () => {
    const r = refusals({
      env: env({ kind: 'production', blastRadius: { maxPercent: 50 } }),
      scenario: scenario(),
      serviceName: 'web',
      allowProduction: false,
      account: '999999999999',
      accountChecked: true,
      service,
    });
    expect(r.refusals).toHaveLength(3);
    expect(r.blastRadius?.affectedTasks).toBe(2);
  });
  it('refuses a scenario whose recovery budget exceeds the environment rollback budget', () => {
    const r = refusals({ env: env({ timeouts: { recoverySeconds: 60 } }), scenario: scenario({ expectations: { recoveryWithinSeconds: 120 } }), serviceName: 'web', allowProduction: false, account: '123456789012', accountChecked: true });
    expect(r.refusals.join()).toMatch(/120 s to recover, above .*timeouts.recoverySeconds: 60 s/);
  });
  it('passes a staging drill inside every rule', () => {
    expect(refusals({ env: env(), scenario: scenario(), serviceName: 'web', allowProduction: false, account: '123456789012', accountChecked: true, service }).refusals).toEqual([]);
  });
});

describe('drill lock tags', () => {
  const now = Date.parse('2026-11-27T10:00:00Z');
  it('reads free, held and expired locks', () => {
    expect(readLock([{ key: 'team', value: 'x' }], now)).toEqual({ state: 'free' });
    const held = lockTags({ runId: 'run-1', holder: 'ana@ci', expiresAt: now + 60_000 });
    expect(readLock(held, now)).toMatchObject({ state: 'held', lock: { runId: 'run-1', holder: 'ana@ci', expiresAt: now + 60_000 } });
    expect(readLock(held, now + 60_000)).toMatchObject({ state: 'expired' });
    expect(readLock([{ key: LOCK_TAG, value: 'run-2' }, { key: LOCK_EXPIRES_TAG, value: 'garbled' }], now)).toMatchObject({ state: 'expired', lock: { holder: 'unknown' } });
  });
  it('keeps tag values inside the characters ECS allows', () => {
    expect(tagValue('ana (ci)#7, "x"')).toBe('ana _ci__7_ _x_');
    expect(tagValue('a'.repeat(300))).toHaveLength(256);
    const tags = lockTags({ runId: 'r', holder: 'bob!@host', expiresAt: now });
    expect(tags.find((t) => t.key === LOCK_HOLDER_TAG)?.value).toBe('bob_@host');
  });
});
