// The security checks, one by one: each fires on a minimal task definition that breaks its rule
// and stays quiet on the demo service's, and no finding carries a secret's value.

import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { ServiceTiming } from '../../harness/analysis/deployment-time.ts';
import { demoTaskDefinition } from '../../harness/ecs/demo-service.ts';
import type { TaskDefinitionInput } from '../../harness/releases/task-definition.ts';
import { checkRelease } from '../../harness/security/check.ts';
import { countBySeverity, failing, formatFinding, sortFindings, type Finding } from '../../harness/security/findings.ts';
import { credentialKind, entropy } from '../../harness/security/secrets.ts';
import { demoServiceTiming } from '../support/service-timing.ts';

/** The demo service as `firedrill sandbox start --demo` deploys it. */
const DEMO_SERVICE = { deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } } };
const demoTiming = demoServiceTiming();

/** The demo's task definition with its one container changed; everything else as hardened as the demo. */
const withContainer = (change: (c: ContainerDefinition) => void, task: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput => {
  const td = { ...demoTaskDefinition('v1.0.0'), ...task };
  change(td.containerDefinitions![0]!);
  return td;
};
const ids = (findings: Finding[]) => findings.map((f) => f.id);
const check = (taskDefinition: TaskDefinitionInput, more: Partial<Parameters<typeof checkRelease>[0]> = {}) => checkRelease({ taskDefinition, service: DEMO_SERVICE, timing: demoTiming, ...more });

describe('the demo service', () => {
  it('passes every check, as the current release and as a candidate with a new tag', () => {
    expect(check(demoTaskDefinition('v1.0.0'))).toEqual([]);
    expect(check(demoTaskDefinition('v1.2.0'), { candidateTag: 'v1.2.0', currentImage: 'firedrill/demo-app:v1.0.0' })).toEqual([]);
  });
});

describe('secrets in plain environment values (ECS.8)', () => {
  const env = (name: string, value: string) => check(withContainer((c) => (c.environment = [...(c.environment ?? []), { name, value }])));

  it.each([
    ['AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', /an AWS secret access key/],
    ['UPSTREAM', 'AKIAIOSFODNN7EXAMPLE', /an AWS access key id/],
    ['DEPLOY_KEY_PEM', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', /a private key/],
    ['GH', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', /a GitHub token/],
    ['SESSION', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', /a JSON Web Token/],
    ['ORDERS_DB', 'postgres://orders:s3cr3t-pw@db.internal:5432/orders', /a password in a URL/],
    ['SIGNING', 'k9Zq2Lx7Vb4Nm8Rt1Yw6Hs3Jd5Gf0Pc', /a high-entropy string/],
    ['DB_PASSWORD', 'hunter22', /named like a secret/],
  ])('%s is found by its %s value or its name, and named without its value', (name, value, kind) => {
    const found = env(name, value);
    expect(ids(found)).toEqual(['plaintext-secret']);
    expect(found[0]).toMatchObject({ control: 'ECS.8', location: { container: 'web', field: `environment.${name}` } });
    expect(found[0]!.title).toMatch(kind);
    expect(found[0]!.fix).toMatch(new RegExp(`move ${name} from environment to secrets`));
    expect(JSON.stringify(found)).not.toContain(value.slice(0, 12));
  });

  it('a name alone says high; a high-entropy value under a plain name is only medium', () => {
    expect(env('SIGNING', 'k9Zq2Lx7Vb4Nm8Rt1Yw6Hs3Jd5Gf0Pc')[0]!.severity).toBe('medium');
    expect(env('SIGNING_SECRET', 'k9Zq2Lx7Vb4Nm8Rt1Yw6Hs3Jd5Gf0Pc')[0]!.severity).toBe('high');
  });

  it.each([
    ['PORT', '8080'],
    ['TOKEN_TTL_SECONDS', '3600'],
    ['FEATURE_SECRET_SANTA', 'false'],
    ['API_KEY_ARN', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:api-key'],
    ['SERVICE_URL', 'https://orders.internal.example.com/api'],
    ['REQUEST_ID_PREFIX', '550e8400-e29b-41d4-a716-446655440000'],
    ['LOG_FORMAT', 'json-with-timestamps-and-levels'],
  ])('%s=%s is no secret', (name, value) => {
    expect(env(name, value)).toEqual([]);
  });

  it('finds a credential in the command line too', () => {
    const found = check(withContainer((c) => (c.command = ['--upstream-key', 'AKIAIOSFODNN7EXAMPLE'])));
    expect(found).toEqual([expect.objectContaining({ id: 'plaintext-secret', location: { container: 'web', field: 'command[1]' } })]);
  });

  it('measures entropy in bits per character', () => {
    expect(entropy('aaaa')).toBe(0);
    expect(entropy('abcd')).toBe(2);
    expect(credentialKind('firedrill-demo')).toBeUndefined();
  });
});

describe('image pinning', () => {
  it.each([
    ['firedrill/demo-app:latest', /tagged latest/],
    ['firedrill/demo-app', /not tagged/],
    ['registry.local:5000/demo-app', /not tagged/],
  ])('%s is not pinned', (image, why) => {
    const found = check(withContainer((c) => (c.image = image)));
    expect(ids(found)).toEqual(['image-not-pinned']);
    expect(found[0]).toMatchObject({ severity: 'high', location: { container: 'web', field: 'image' } });
    expect(found[0]!.title).toMatch(why);
  });

  it('notes a digest, which a release by tag replaces', () => {
    const found = check(withContainer((c) => (c.image = `firedrill/demo-app@sha256:${'a'.repeat(64)}`)));
    expect(found).toEqual([expect.objectContaining({ id: 'image-pinned-by-digest', severity: 'info' })]);
    expect(failing(found, 'medium')).toEqual([]);
  });

  it('a candidate tag that is the current release proves nothing', () => {
    const found = check(demoTaskDefinition('v1.0.0'), { candidateTag: 'v1.0.0', currentImage: 'firedrill/demo-app:v1.0.0' });
    expect(found).toEqual([expect.objectContaining({ id: 'candidate-tag-unchanged', severity: 'high' })]);
  });
});

describe('container hardening', () => {
  it('privileged (ECS.4)', () => {
    expect(check(withContainer((c) => (c.privileged = true)))).toEqual([expect.objectContaining({ id: 'privileged-container', severity: 'high', control: 'ECS.4', location: { container: 'web', field: 'privileged' } })]);
  });

  it.each([[undefined], ['root'], ['0'], ['0:0']])('the root user (%s) (ECS.20)', (user) => {
    const found = check(withContainer((c) => (c.user = user)));
    expect(found).toEqual([expect.objectContaining({ id: 'root-user', severity: 'medium', control: 'ECS.20', location: { container: 'web', field: 'user' } })]);
  });

  it('not on Windows, where ECS.20 does not apply', () => {
    expect(check(withContainer((c) => (c.user = undefined), { runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' } }))).toEqual([]);
  });

  it('a writable root filesystem (ECS.5)', () => {
    expect(check(withContainer((c) => (c.readonlyRootFilesystem = false)))).toEqual([expect.objectContaining({ id: 'writable-root-filesystem', severity: 'high', control: 'ECS.5' })]);
  });

  it('host network mode (ECS.17), and with the root user ECS.1', () => {
    expect(check(withContainer(() => undefined, { networkMode: 'host' }))).toEqual([expect.objectContaining({ id: 'host-network-mode', severity: 'medium', control: 'ECS.17', location: { field: 'networkMode' } })]);
    const rooted = check(withContainer((c) => (c.user = 'root'), { networkMode: 'host' }));
    expect(rooted.find((f) => f.id === 'root-user')).toMatchObject({ severity: 'high', control: 'ECS.1, ECS.20' });
  });

  it('host PID mode (ECS.3)', () => {
    expect(check(withContainer(() => undefined, { pidMode: 'host' }))).toEqual([expect.objectContaining({ id: 'host-pid-mode', severity: 'high', control: 'ECS.3', location: { field: 'pidMode' } })]);
    expect(check(withContainer(() => undefined, { pidMode: 'task' }))).toEqual([]);
  });

  it('added capabilities, high when they amount to root', () => {
    const add = (caps: string[]) => check(withContainer((c) => (c.linuxParameters = { capabilities: { add: caps } })));
    expect(add(['NET_BIND_SERVICE'])).toEqual([expect.objectContaining({ id: 'added-capabilities', severity: 'medium', location: { container: 'web', field: 'linuxParameters.capabilities.add' } })]);
    expect(add(['CAP_SYS_ADMIN'])[0]).toMatchObject({ severity: 'high', title: expect.stringMatching(/CAP_SYS_ADMIN amount to root/) });
  });
});

describe('logging and health', () => {
  it('no log configuration (ECS.9), on any container', () => {
    expect(check(withContainer((c) => delete c.logConfiguration))).toEqual([expect.objectContaining({ id: 'no-log-configuration', severity: 'high', control: 'ECS.9' })]);
  });

  it('no health check on the essential container, but a sidecar needs none', () => {
    expect(check(withContainer((c) => delete c.healthCheck))).toEqual([expect.objectContaining({ id: 'no-health-check', severity: 'medium', location: { container: 'web', field: 'healthCheck' } })]);
    const td = demoTaskDefinition('v1.0.0');
    const web = td.containerDefinitions![0]!;
    td.containerDefinitions!.push({ ...web, name: 'log-router', essential: false, healthCheck: undefined, portMappings: [] });
    expect(check(td)).toEqual([]);
  });
});

describe('the rollback path', () => {
  const td = demoTaskDefinition('v1.0.0');

  it('fires without a circuit breaker that rolls back or alarms that do', () => {
    const off = check(td, { service: { deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false } } }, timing: undefined });
    expect(off).toEqual([expect.objectContaining({ id: 'no-rollback-path', severity: 'high', title: expect.stringMatching(/the circuit breaker is off/) })]);
    const noRollback = check(td, { service: { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } }, timing: undefined });
    expect(noRollback[0]!.title).toMatch(/on without rollback/);
    const alarms = { deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false }, alarms: { alarmNames: ['demo-5xx'], enable: true, rollback: true } } };
    expect(check(td, { service: alarms, timing: undefined })).toEqual([]);
  });

  it('fires when the settings let a rollback take longer than 10 minutes, naming the costliest', () => {
    const slow: ServiceTiming = { ...demoTiming, healthCheckGracePeriodSeconds: 300, targetGroups: [{ name: 'web', intervalSeconds: 30, healthyThreshold: 5, unhealthyThreshold: 2, deregistrationDelaySeconds: 300 }] };
    const found = check(td, { timing: slow });
    expect(found).toEqual([expect.objectContaining({ id: 'rollback-over-budget', severity: 'high', location: { field: 'deploymentConfiguration' } })]);
    expect(found[0]!.title).toMatch(/takes about \d+ s, over the 600 s budget; most of it: healthCheckGracePeriodSeconds \(300 s\) 600 s/);
  });
});

describe('findings', () => {
  const f = (id: string, severity: Finding['severity'], container?: string): Finding => ({ id, severity, title: id, location: { container, field: 'x' }, fix: 'fix it' });

  it('fail at or above --fail-on, and never with none', () => {
    const all = [f('a', 'high'), f('b', 'medium'), f('c', 'low'), f('d', 'info')];
    expect(ids(failing(all, 'high'))).toEqual(['a']);
    expect(ids(failing(all, 'medium'))).toEqual(['a', 'b']);
    expect(failing(all, 'none')).toEqual([]);
  });

  it('sort most severe first and read as one line with the fix under it', () => {
    expect(ids(sortFindings([f('info', 'info'), f('web-medium', 'medium', 'web'), f('high', 'high', 'web')]))).toEqual(['high', 'web-medium', 'info']);
    expect(formatFinding({ ...f('root-user', 'medium', 'web'), control: 'ECS.20' })).toBe('MEDIUM root-user (ECS.20) container web, x: root-user\n         fix: fix it');
    expect(countBySeverity([f('a', 'high'), f('b', 'high'), f('c', 'info')])).toBe('2 high, 1 info');
    expect(countBySeverity([])).toBe('no findings');
  });
});
