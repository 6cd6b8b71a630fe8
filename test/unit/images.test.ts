import { describe, expect, it } from 'vitest';
import type { ImageConfig } from '../../sandbox/types/config.ts';
import { parseImageRef, resolveImage } from '../../sandbox/data/images.ts';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('parseImageRef', () => {
  it.each([
    ['firedrill/demo-app:v1.0.0', { repository: 'firedrill/demo-app', tag: 'v1.0.0' }],
    ['firedrill/demo-app', { repository: 'firedrill/demo-app', tag: 'latest' }],
    ['nginx', { repository: 'nginx', tag: 'latest' }],
    [
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/firedrill/demo-app:v1.0.0',
      { registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', repository: 'firedrill/demo-app', tag: 'v1.0.0' },
    ],
    ['localhost:5000/demo', { registry: 'localhost:5000', repository: 'demo', tag: 'latest' }],
    ['localhost/demo:v2', { registry: 'localhost', repository: 'demo', tag: 'v2' }],
    ['docker.io/library/nginx:1.27', { registry: 'docker.io', repository: 'nginx', tag: '1.27' }],
    ['library/nginx', { repository: 'nginx', tag: 'latest' }],
    ['docker.io/bitnami/redis:7', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7' }],
    [`firedrill/demo-app@${digest}`, { repository: 'firedrill/demo-app', tag: digest, digest }],
    [`firedrill/demo-app:v1.0.0@${digest}`, { repository: 'firedrill/demo-app', tag: 'v1.0.0', digest }],
  ])('%s', (reference, expected) => {
    expect(parseImageRef(reference)).toEqual(expected);
  });

  it('keeps a first segment without a dot, colon or localhost as part of the repository', () => {
    expect(parseImageRef('team/app:v1')).toEqual({ repository: 'team/app', tag: 'v1' });
  });

  it.each(['', 'demo app', 'demo:', 'a//b', '/demo', 'demo@sha256:xyz'])('rejects %j', (reference) => {
    expect(parseImageRef(reference)).toBeUndefined();
  });
});

describe('resolveImage', () => {
  const demo: ImageConfig = { entryPoint: ['node', 'server.mjs'], command: [], tags: ['v1.0.0', 'v1.1.0'], environment: {} };
  const anyTag: ImageConfig = { ...demo, tags: [] };
  const images = { 'firedrill/demo-app': demo, 'firedrill/any': anyTag };

  it('finds a known tag, also behind an ECR registry host', () => {
    const ecr = resolveImage('123456789012.dkr.ecr.us-east-1.amazonaws.com/firedrill/demo-app:v1.1.0', images);
    expect(ecr).toMatchObject({ ok: true, image: demo, tag: 'v1.1.0' });
  });

  it('fails to pull a tag the repository does not have, naming the reference', () => {
    expect(resolveImage('firedrill/demo-app:v9.9.9', images)).toEqual({
      ok: false,
      reason:
        'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref firedrill/demo-app:v9.9.9: not found',
    });
  });

  it('fails to pull latest when only other tags exist', () => {
    expect(resolveImage('firedrill/demo-app', images).ok).toBe(false);
  });

  it('fails to pull an unknown repository', () => {
    const result = resolveImage('firedrill/nope:v1.0.0', images);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^CannotPullContainerError: .*firedrill\/nope:v1.0.0: not found$/);
  });

  it('does not mistake Object.prototype keys for repositories', () => {
    expect(resolveImage('constructor:v1', images).ok).toBe(false);
  });

  it('accepts any tag when the tag list is empty', () => {
    expect(resolveImage('firedrill/any:whatever', images)).toMatchObject({ ok: true, tag: 'whatever' });
  });

  it('explains a malformed reference', () => {
    const result = resolveImage('demo:', images);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('invalid reference format');
  });
});
