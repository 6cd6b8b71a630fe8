// A port the sandbox needs that something else holds is a user mistake: `firedrill sandbox
// start` and `firedrill demo` say in one line which port, what it is for and how to move it,
// exit 2, print no stack trace, and start nothing. Each test holds a free loopback port with a
// plain TCP server and points the command's flag or file at it; none of them starts a drill.

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { cleanUpFiredrill, ROOT, runFiredrill, tempDir, type FinishedCli } from '../support/firedrill-cli.ts';

// Each command answers in about 2 s (one more for the ECS check on the API port); a loaded
// 2-core machine can make that ten times as long.
const CLI_DEADLINE_MS = 60_000;

const servers: Server[] = [];

afterEach(async () => {
  await cleanUpFiredrill();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A port on 127.0.0.1 held by something that is not a sandbox: it accepts and hangs up. */
const heldPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      servers.push(server);
      resolve((server.address() as AddressInfo).port);
    });
  });

/** A loopback port nothing listens on: bound, then released. */
const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** A sandbox config with the demo target group's listener on `listenerPort` and the data in `dir`. */
const sandboxConfig = (dir: string, listenerPort: number): string => {
  const file = join(dir, 'sandbox.yaml');
  writeFileSync(file, `targetGroups:\n  - name: demo-web\n    listenerPort: ${listenerPort}\ndataDir: ${JSON.stringify(join(dir, 'data'))}\n`);
  return file;
};

/** environments/sandbox.yaml with its endpoint and the demo service's URL on these ports. */
const sandboxEnvironment = (dir: string, apiPort: number, demoPort: number): string => {
  const doc = parseDocument(readFileSync(join(ROOT, 'environments', 'sandbox.yaml'), 'utf8'));
  doc.set('endpoint', `http://127.0.0.1:${apiPort}`);
  doc.setIn(['services', 'demo', 'url'], `http://127.0.0.1:${demoPort}`);
  const file = join(dir, 'ports.yaml');
  writeFileSync(file, doc.toString());
  return file;
};

/** Exit 2, nothing on stdout, and on stderr exactly one line of firedrill's, with no stack trace. */
const refusedWith = (r: FinishedCli): string => {
  const output = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(r.code, output).toBe(2);
  expect(r.stdout, output).toBe('');
  expect(r.stderr.split('\n').filter((l) => /^\s+at /.test(l)), output).toEqual([]);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('firedrill:'));
  expect(lines, output).toHaveLength(1);
  return lines[0]!;
};

describe('a port the sandbox needs is held by something else', () => {
  it('sandbox start: the ECS API port names the port and --port', async () => {
    const dir = tempDir('firedrill-ports-');
    const port = await heldPort();
    const r = await runFiredrill(['sandbox', 'start', '--port', String(port), '--config', sandboxConfig(dir, 0)], CLI_DEADLINE_MS);
    expect(refusedWith(r)).toBe(
      `firedrill: cannot start the sandbox: 127.0.0.1:${port}, the port of its ECS API, is already in use. ` +
        'Stop what listens there (another sandbox? `firedrill sandbox status` shows it), or pass --port N for another port (0 picks a free one).',
    );
  });

  it("sandbox start: the load balancer's port names the port, the target group and --config", async () => {
    const dir = tempDir('firedrill-ports-');
    const port = await heldPort();
    const r = await runFiredrill(['sandbox', 'start', '--port', '0', '--config', sandboxConfig(dir, port)], CLI_DEADLINE_MS);
    expect(refusedWith(r)).toBe(
      `firedrill: cannot start the sandbox: 127.0.0.1:${port}, the port of the load balancer for target group demo-web, is already in use. ` +
        'Stop what listens there, or pass --config FILE with another listenerPort for demo-web (0 picks a free one).',
    );
  });

  it("demo: the load balancer's port names the port and the environment's services.demo.url, before any drill starts", async () => {
    const dir = tempDir('firedrill-ports-');
    const port = await heldPort();
    const env = sandboxEnvironment(dir, await closedPort(), port);
    const r = await runFiredrill(['demo', '--env', env, '--report-dir', join(dir, 'reports')], CLI_DEADLINE_MS);
    expect(refusedWith(r)).toBe(
      `firedrill: cannot start the built-in sandbox: 127.0.0.1:${port}, the port of its load balancer for the demo service, is already in use. ` +
        `Stop what listens there, or pass --env with a copy of ${env} whose services.demo.url uses a free port.`,
    );
  });

  it("demo: the ECS API port, held by something that is not ECS, names the port and the environment's endpoint", async () => {
    const dir = tempDir('firedrill-ports-');
    const port = await heldPort();
    const env = sandboxEnvironment(dir, port, await closedPort());
    const r = await runFiredrill(['demo', '--env', env, '--report-dir', join(dir, 'reports')], CLI_DEADLINE_MS);
    expect(refusedWith(r)).toBe(
      `firedrill: cannot start the built-in sandbox: 127.0.0.1:${port}, the port of its ECS API, is in use by something that does not answer as ECS. ` +
        `Stop what listens there, or pass --env with a copy of ${env} whose endpoint uses a free port.`,
    );
  });
});
