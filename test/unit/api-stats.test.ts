// The harness's API counting and its retry-until-deadline helper: what a shared client's
// counter gives one drill, which errors count as transient, and when persist() gives up.

import { describe, expect, it } from 'vitest';
import { ApiCounter, errorCodeOf } from '../../harness/ecs/api-stats.ts';
import { isTransientError, persist } from '../../harness/ecs/transient.ts';

const serviceError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('ApiCounter', () => {
  it('counts calls, attempts, retries, failures and error codes per operation', () => {
    const c = new ApiCounter();
    const first = {};
    const second = {};
    c.call('DescribeServices');
    c.attempt('DescribeServices', first);
    c.error('DescribeServices', 'ThrottlingException');
    c.attempt('DescribeServices', first);
    c.call('UpdateService');
    c.attempt('UpdateService', second);
    c.error('UpdateService', 'ClientException');
    c.failedCall('UpdateService');
    expect(c.snapshot()).toEqual({
      calls: 2,
      attempts: 3,
      retries: 1,
      failed: 1,
      errors: { ThrottlingException: 1, ClientException: 1 },
      byOperation: {
        DescribeServices: { calls: 1, attempts: 2, retries: 1, failed: 0, errors: { ThrottlingException: 1 } },
        UpdateService: { calls: 1, attempts: 1, retries: 0, failed: 1, errors: { ClientException: 1 } },
      },
    });
  });

  it("gives one drill its own share of a client other drills used before", () => {
    const c = new ApiCounter();
    c.call('DescribeServices');
    c.attempt('DescribeServices', {});
    c.error('DescribeServices', 'ServerException');
    const before = c.snapshot();
    const call = {};
    c.call('DescribeServices');
    c.attempt('DescribeServices', call);
    c.attempt('DescribeServices', call);
    c.error('DescribeServices', 'ThrottlingException');
    c.call('ListTasks');
    c.attempt('ListTasks', {});
    expect(c.since(before)).toEqual({
      calls: 2,
      attempts: 3,
      retries: 1,
      failed: 0,
      errors: { ThrottlingException: 1 },
      byOperation: {
        DescribeServices: { calls: 1, attempts: 2, retries: 1, failed: 0, errors: { ThrottlingException: 1 } },
        ListTasks: { calls: 1, attempts: 1, retries: 0, failed: 0, errors: {} },
      },
    });
    expect(c.since(c.snapshot())).toEqual({ calls: 0, attempts: 0, retries: 0, failed: 0, errors: {}, byOperation: {} });
  });
});

describe('transient errors', () => {
  it('are throttling, 5xx and dropped connections; not bad requests or nobody listening', () => {
    expect(isTransientError(serviceError('ThrottlingException', 400))).toBe(true);
    expect(isTransientError(serviceError('ServerException', 500))).toBe(true);
    expect(isTransientError(serviceError('ServiceUnavailableException', 503))).toBe(true);
    expect(isTransientError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientError(serviceError('ClientException', 400))).toBe(false);
    expect(isTransientError(serviceError('ServiceNotFoundException', 400))).toBe(false);
    expect(isTransientError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
  });

  it('persist() retries them until the body succeeds', async () => {
    let calls = 0;
    const retried: number[] = [];
    const out = await persist(
      async () => {
        calls++;
        if (calls < 3) throw serviceError('ThrottlingException', 400);
        return 'done';
      },
      { deadline: Date.now() + 30_000, onRetry: (_e, attempt) => retried.push(attempt) },
    );
    expect(out).toBe('done');
    expect(calls).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  it('persist() throws anything else at once, and the last transient error once the deadline is near', async () => {
    let calls = 0;
    await expect(
      persist(
        async () => {
          calls++;
          throw serviceError('ClientException', 400);
        },
        { deadline: Date.now() + 30_000 },
      ),
    ).rejects.toMatchObject({ name: 'ClientException' });
    expect(calls).toBe(1);
    // A deadline closer than the next pause: no point waiting for it.
    await expect(persist(async () => Promise.reject(serviceError('ServerException', 500)), { deadline: Date.now() + 100 })).rejects.toMatchObject({ name: 'ServerException' });
  });
});
