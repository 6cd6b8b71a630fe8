// Smoke checks against a real demo app process (and tiny loopback servers for the failure
// modes the demo app cannot show): HTTP checks, browser checks in Chromium, and the shipped
// hand-written smoke spec through Playwright Test.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserCheckSchema, httpCheckSchema, smokeSchema } from '../../harness/config/scenario.ts';
import { chromiumSearchList, findChromium, runBrowserChecks, SharedChromium } from '../../harness/smoke/browser.ts';
import { runHttpCheck } from '../../harness/smoke/http-check.ts';
import { PlaceholderError } from '../../harness/smoke/placeholders.ts';
import { runSmoke } from '../../harness/smoke/run-smoke.ts';
import { runSmokeSpecs, SpecFileError } from '../../harness/smoke/specs.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const demoSpec = join(root, 'drills/smoke/demo.smoke.spec.ts');
const values = { baselineTag: 'v1.0.0', service: 'demo' };
/** A search list that finds nothing, as on a machine without Chromium. */
const noChromium = chromiumSearchList({ FIREDRILL_CHROMIUM: '/nonexistent/chromium' }, []);

const http = (check: unknown) => httpCheckSchema.parse(check);
const browser = (check: unknown) => browserCheckSchema.parse(check);

interface Running {
  url: string;
  stop: () => Promise<void>;
}

const freePort = async (): Promise<number> => {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
};

/** The demo app as a real process, ready once it says it is listening. */
async function startDemoApp(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(root, 'sandbox/demo-app/server.mjs')], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo app did not start within 30 s: ${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`demo app exited with ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A throwaway loopback server for pages and behaviours the demo app does not have. */
async function serve(handler: RequestListener): Promise<Running> {
  const server: Server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let app: Running;
let artifactsDir: string;

beforeAll(async () => {
  app = await startDemoApp({ APP_VERSION: 'v1.0.0' });
  artifactsDir = await mkdtemp(join(tmpdir(), 'firedrill-smoke-'));
});

afterAll(async () => {
  await app?.stop();
  await rm(artifactsDir, { recursive: true, force: true });
});

describe('HTTP checks', () => {
  it('pass when status, body, JSON paths and headers hold, with evidence', async () => {
    const result = await runHttpCheck(
      app.url,
      http({
        path: '/api/version',
        bodyContains: '"version"',
        json: { version: '{baselineTag}' },
        headers: { 'x-app-version': '{baselineTag}', 'content-type': '/^application\\/json/' },
      }),
      values,
    );
    expect(result).toMatchObject({ kind: 'http', name: 'GET /api/version', status: 'passed', failures: [] });
    expect(result.evidence).toMatchObject({ status: 200, url: `${app.url}/api/version` });
    expect(result.evidence?.bodyExcerpt).toContain('"version":"v1.0.0"');
    expect(result.evidence?.latencyMs).toEqual(expect.any(Number));
  });

  it('list every failure, not only the first', async () => {
    const result = await runHttpCheck(
      app.url,
      http({
        name: 'orders',
        path: '/api/orders',
        status: 201,
        bodyContains: 'ord-99999',
        json: { 'orders[0].status': 'delivered', 'orders[1].items[1].sku': 'CAP-WAX', 'orders.length': 5, 'orders[9].id': 'x', 'orders..id': 'x' },
        headers: { 'x-app-version': '/^v2\\./', 'x-request-id': 'anything' },
      }),
      values,
    );
    expect(result.status).toBe('failed');
    expect(result.failures).toEqual([
      'status: expected 201, got 200',
      'body: does not contain "ord-99999"',
      'json orders[0].status: expected "delivered", got "shipped"',
      'json orders[9].id: not found (orders[9] is absent)',
      'json orders..id: not a valid path; use dots and [n], as in orders[0].status',
      'header x-app-version: expected to match /^v2\\./, got "v1.0.0"',
      'header x-request-id: missing, expected anything',
    ]);
    expect(result.summary).toBe('7 problems: status: expected 201, got 200');
    expect((result.evidence?.bodyExcerpt as string).length).toBe(500);
  });

  it('fail the JSON check when the app answers 5xx', async () => {
    const failing = await startDemoApp({ APP_VERSION: 'v1.0.0', FAIL_HTTP_5XX: '1' });
    try {
      const result = await runHttpCheck(failing.url, http({ path: '/api/orders', json: { 'orders[0].id': 'ord-10231' } }), values);
      expect(result.status).toBe('failed');
      expect(result.failures).toEqual(['status: expected 200, got 500', 'json orders[0].id: not found (orders is absent)']);
      expect(result.evidence).toMatchObject({ status: 500, bodyExcerpt: expect.stringContaining('internal server error') });
    } finally {
      await failing.stop();
    }
  });

  it('say why when there is no answer: refused, or too slow', async () => {
    const silent = await serve(() => undefined); // accepts, never answers
    const closedPort = await freePort();
    try {
      const slow = await runHttpCheck(silent.url, http({ path: '/', timeoutMs: 300 }), values);
      expect(slow).toMatchObject({ status: 'failed', failures: ['no response within 300 ms'] });
      const refused = await runHttpCheck(`http://127.0.0.1:${closedPort}`, http({ path: '/' }), values);
      expect(refused.status).toBe('failed');
      expect(refused.failures[0]).toMatch(/^request failed: .*ECONNREFUSED/);
    } finally {
      await silent.stop();
    }
  });

  it('reject an unknown placeholder before sending anything', async () => {
    const check = http({ path: '/api/version', json: { version: '{baselineTg}' } });
    await expect(runHttpCheck(app.url, check, values)).rejects.toThrow(PlaceholderError);
    await expect(runHttpCheck(app.url, check, values)).rejects.toThrow('unknown placeholder {baselineTg}');
  });
});

describe('browser checks', () => {
  it('pass on the demo page: version visible, no console errors, a PNG screenshot', async () => {
    const [result] = await runBrowserChecks(app.url, [browser({ visibleText: ['{baselineTag}', 'Acme Outfitters orders'] })], values, { artifactsDir });
    expect(result).toMatchObject({ kind: 'browser', name: 'browser /', status: 'passed', failures: [] });
    expect(result?.evidence).toMatchObject({ status: 200, consoleErrors: [] });
    const [screenshot] = result?.attachments ?? [];
    expect(screenshot).toMatchObject({ contentType: 'image/png' });
    const png = await readFile(screenshot?.path ?? '');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('fail when an expected text is absent, and still keep the screenshot', async () => {
    const check = browser({ name: 'wrong release', visibleText: ['v9.9.9', 'Acme Outfitters orders'], timeoutMs: 5000 });
    const [result] = await runBrowserChecks(app.url, [check], values, { artifactsDir });
    expect(result?.status).toBe('failed');
    expect(result?.failures).toEqual(['text not visible within 5000 ms: "v9.9.9"']);
    expect(result?.attachments).toHaveLength(1);
  });

  it('report console errors and uncaught exceptions', async () => {
    const page = `<!doctype html><title>t</title><p>storefront</p>
      <script>console.error('inventory service unreachable'); setTimeout(() => { throw new Error('cart is undefined'); }, 0);</script>`;
    const noisy = await serve((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      else res.writeHead(204).end(); // no favicon 404 to muddy the console
    });
    try {
      const [result] = await runBrowserChecks(noisy.url, [browser({ visibleText: ['storefront'] })], values, { artifactsDir });
      expect(result?.status).toBe('failed');
      expect(result?.failures).toEqual([
        expect.stringMatching(/^console error: inventory service unreachable \(http:\/\/127\.0\.0\.1:\d+\/:\d+\)$/),
        'uncaught Error: cart is undefined',
      ]);
    } finally {
      await noisy.stop();
    }
  });

  it('share one browser across runs when the caller keeps it, launch it again if it went away, and the owner closes it', async () => {
    const shared = new SharedChromium();
    const check = browser({ visibleText: ['{baselineTag}'] });
    const [first] = await runBrowserChecks(app.url, [check], values, { artifactsDir, shared });
    const found = findChromium(chromiumSearchList());
    if ('missing' in found) throw new Error(found.missing);
    const open = await shared.get(found.path);
    expect(open.isConnected(), 'the browser outlives the run that launched it').toBe(true);
    const [second] = await runBrowserChecks(app.url, [check], values, { artifactsDir, shared });
    expect([first?.status, second?.status]).toEqual(['passed', 'passed']);
    expect(await shared.get(found.path), 'the second run used the same browser').toBe(open);
    // A browser that went away (a crash) is launched again for the next check, not handed out dead.
    await open.close();
    const [third] = await runBrowserChecks(app.url, [check], values, { artifactsDir, shared });
    expect(third?.status, third?.summary).toBe('passed');
    const relaunched = await shared.get(found.path);
    expect(relaunched).not.toBe(open);
    expect(relaunched.isConnected()).toBe(true);
    await shared.close();
    expect(relaunched.isConnected()).toBe(false);
  });

  it('are skipped, never passed, when no Chromium can be found', async () => {
    const lookup = findChromium(noChromium);
    expect(lookup).toEqual({ missing: expect.stringContaining('/nonexistent/chromium') });
    const results = await runBrowserChecks(app.url, [browser({}), browser({ path: '/api/orders' })], values, {
      artifactsDir,
      chromiumSearchList: noChromium,
    });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(results[0]?.summary).toMatch(/apt-get install -y chromium.*npx playwright install chromium.*FIREDRILL_CHROMIUM/);
  });
});

describe('hand-written smoke specs', () => {
  it('the shipped demo spec passes against the demo app', async () => {
    const results = await runSmokeSpecs([demoSpec], { baseUrl: app.url, values, artifactsDir: join(artifactsDir, 'pass') });
    expect(results).toEqual([
      expect.objectContaining({
        kind: 'spec',
        name: 'drills/smoke/demo.smoke.spec.ts › the demo page shows the baseline release and the open orders',
        status: 'passed',
        failures: [],
      }),
    ]);
    expect(results[0]?.attachments).toContainEqual(expect.objectContaining({ contentType: 'image/png' }));
  });

  it('fails with the assertion that did not hold', async () => {
    // The text never changes, so the expect's wait is only time spent: 2 s instead of 15 s.
    const results = await runSmokeSpecs([demoSpec], { baseUrl: app.url, values: { baselineTag: 'v1.1.0' }, artifactsDir: join(artifactsDir, 'fail'), expectTimeoutMs: 2_000 });
    expect(results).toHaveLength(1);
    expect(results[0]?.status).toBe('failed');
    expect(results[0]?.failures.join('\n')).toMatch(/toHaveText[\s\S]*v1\.1\.0[\s\S]*v1\.0\.0/);
  });

  it('are skipped without Chromium, and a missing file is bad input', async () => {
    const skipped = await runSmokeSpecs([demoSpec], { baseUrl: app.url, values, artifactsDir, chromiumSearchList: noChromium });
    expect(skipped).toMatchObject([{ kind: 'spec', status: 'skipped', summary: expect.stringContaining('FIREDRILL_CHROMIUM') }]);
    await expect(runSmokeSpecs([join(root, 'drills/smoke/nope.spec.ts')], { baseUrl: app.url, values, artifactsDir })).rejects.toThrow(SpecFileError);
  });
});

describe('runSmoke', () => {
  // Without Chromium, so the order and the spec path's resolution are checked in milliseconds;
  // the browser and spec runs themselves are covered above.
  it('runs HTTP, then browser, then specs relative to the scenario folder', async () => {
    const smoke = smokeSchema.parse({
      http: [{ path: '/health', json: { status: 'ok' } }],
      browser: [{ visibleText: ['{baselineTag}'] }],
      specs: ['../drills/smoke/demo.smoke.spec.ts'],
    });
    const results = await runSmoke(app.url, smoke, values, {
      artifactsDir: join(artifactsDir, 'all'),
      scenarioDir: join(root, 'scenarios'),
      chromiumSearchList: noChromium,
    });
    expect(results.map((r) => [r.kind, r.name, r.status])).toEqual([
      ['http', 'GET /health', 'passed'],
      ['browser', 'browser /', 'skipped'],
      ['spec', 'drills/smoke/demo.smoke.spec.ts', 'skipped'],
    ]);
  });
});
