// STS GetCallerIdentity on the sandbox's port, for account guards written for AWS: the SDK's
// STS client (awsQuery), the AWS CLI, the JSON 1.0 protocol, STS-shaped errors and faults.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeClustersCommand, CreateClusterCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ofKind, readEventLog } from '../../sandbox/index.ts';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.ts';
import { isolatedAwsEnv } from '../support/aws-cli.ts';

const execFileAsync = promisify(execFile);
// Not the default 000000000000: the answer must come from the sandbox's config.
const ACCOUNT = '123456789012';

let t: TestSandbox;
let dir: string;
let sts: STSClient;

beforeAll(async () => {
  t = await startTestSandbox({ overrides: { accountId: ACCOUNT } });
  dir = mkdtempSync(join(tmpdir(), 'firedrill-sts-'));
  sts = new STSClient({ region: t.sandbox.region, endpoint: t.sandbox.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

afterAll(async () => {
  sts?.destroy();
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('STS GetCallerIdentity', () => {
  it('answers the AWS SDK with the account the ECS ARNs carry', async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(ACCOUNT);
    expect(identity.Account).toBe(t.sandbox.accountId);
    expect(identity.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/firedrill-sandbox`);
    expect(identity.UserId).toMatch(/^AIDA/);
    const created = await t.ecs.send(new CreateClusterCommand({ clusterName: 'sts-account' }));
    expect(created.cluster?.clusterArn?.split(':')[4]).toBe(identity.Account);
    const call = ofKind(readEventLog(t.sandbox.eventLogPath), 'api.call').find((e) => e.service === 'sts');
    expect(call).toMatchObject({ operation: 'GetCallerIdentity', status: 200, firedrill: false });
    expect(call?.client).toMatch(/^aws-sdk-js\//);
  });

  it('answers the AWS CLI', async () => {
    const env: NodeJS.ProcessEnv = isolatedAwsEnv(dir);
    const { stdout } = await execFileAsync('aws', ['sts', 'get-caller-identity', '--endpoint-url', t.sandbox.endpoint, '--output', 'json'], { env, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ UserId: 'AIDAFIREDRILLSANDBOX0', Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/firedrill-sandbox` });
    const call = ofKind(readEventLog(t.sandbox.eventLogPath), 'api.call').filter((e) => e.service === 'sts').at(-1);
    expect(call?.client).toMatch(/^aws-cli\//);
  });

  it('answers the query protocol with the XML STS writes', async () => {
    const res = await fetch(t.sandbox.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const xml = await res.text();
    expect(xml).toMatch(/^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(xml).toContain(`<Account>${ACCOUNT}</Account>`);
    expect(xml).toMatch(/<ResponseMetadata>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ResponseMetadata>/);
  });

  it('answers the JSON 1.0 protocol too', async () => {
    const res = await fetch(t.sandbox.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSSecurityTokenServiceV20110615.GetCallerIdentity' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/firedrill-sandbox`, UserId: 'AIDAFIREDRILLSANDBOX0' });
    const unknown = await fetch(t.sandbox.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSSecurityTokenServiceV20110615.AssumeRole' },
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });

  it('answers other actions with an STS error, never an ECS one', async () => {
    for (const [body, code] of [
      ['Action=AssumeRole&Version=2011-06-15&RoleArn=x', 'InvalidAction'],
      ['Action=%3Cscript%3E&Version=2011-06-15', 'InvalidAction'],
      ['Version=2011-06-15', 'MissingAction'],
      ['', 'MissingAction'],
    ] as const) {
      const res = await fetch(t.sandbox.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect(res.status, body).toBe(400);
      const xml = await res.text();
      expect(xml, body).toMatch(/^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
      expect(xml, body).toContain('<Type>Sender</Type>');
      expect(xml, body).toContain(`<Code>${code}</Code>`);
      expect(xml, body).not.toContain('<script>');
    }
    await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: ACCOUNT });
  });

  it('can be throttled like ECS, in STS error shape, without touching ECS', async () => {
    const put = await fetch(t.sandbox.faultsUrl, { method: 'PUT', body: JSON.stringify({ operations: { GetCallerIdentity: { throttle: 1 } } }) });
    expect(put.status).toBe(200);
    try {
      await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
      await expect(t.ecs.send(new DescribeClustersCommand({}))).resolves.toBeDefined();
      expect(ofKind(readEventLog(t.sandbox.eventLogPath), 'api.fault')).toEqual([
        expect.objectContaining({ service: 'sts', operation: 'GetCallerIdentity', fault: 'throttle', errorCode: 'Throttling' }),
      ]);
    } finally {
      await fetch(t.sandbox.faultsUrl, { method: 'DELETE' });
    }
  });
});
