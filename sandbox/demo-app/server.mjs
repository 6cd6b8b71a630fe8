// @ts-check
// firedrill demo service: the "container image" that drills deploy, break and roll back.
// Runs as a bare `node server.mjs` with no dependencies, so a task starts in milliseconds.
//
// Configuration (environment):
//   PORT          port to listen on, on 127.0.0.1 (default 8080)
//   APP_VERSION   the release it reports (default "dev"); the sandbox sets it from the image tag
//
// Failure modes, one per kind of bad release a drill can inject:
//   FAIL_CRASH_ON_START=1           exit 1 at once, with a message on stderr
//   FAIL_CRASH_AFTER_SECONDS=N      exit 1 after N real seconds
//   FAIL_HTTP_5XX=1                 every route except /health answers 500
//   FAIL_HTTP_5XX_RATE=R            the same for a share R (0..1) of requests
//   FAIL_LATENCY_MS=N               add N ms to every route except /health
//   FAIL_HEALTH=1                   /health answers 503
//   FAIL_START_DELAY_MS=N           wait N ms before listening
//   FAIL_MEMORY_GROW_MB_PER_SEC=N   allocate and hold N MB per second, so RSS grows
//   REQUIRED_ENV=NAME1,NAME2        exit 1 at start when one of them is unset
//                                   (a missing environment variable or secret)
//
// On SIGTERM it stops accepting connections, finishes in-flight requests and exits 0.

import { createServer } from 'node:http';

const env = process.env;
const version = env.APP_VERSION || 'dev';
const startedAt = new Date().toISOString();

/** @param {string} message */
const die = (message) => {
  process.stderr.write(`demo-app: ${message}\n`);
  process.exit(1);
};

/**
 * @param {string} name
 * @returns {number | undefined}
 */
const numberEnv = (name) => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) die(`${name} must be a non-negative number, got "${raw}"`);
  return value;
};

if (env.FAIL_CRASH_ON_START === '1') die('crashing on start (FAIL_CRASH_ON_START=1)');

for (const name of (env.REQUIRED_ENV ?? '').split(',').map((n) => n.trim())) {
  if (name !== '' && env[name] === undefined) die(`missing required environment variable ${name}`);
}

const port = numberEnv('PORT') ?? 8080;
if (!Number.isInteger(port) || port > 65535) die(`PORT must be a TCP port, got "${env.PORT}"`);
const errorRate = env.FAIL_HTTP_5XX === '1' ? 1 : Math.min(1, numberEnv('FAIL_HTTP_5XX_RATE') ?? 0);
const latencyMs = numberEnv('FAIL_LATENCY_MS') ?? 0;
const healthFails = env.FAIL_HEALTH === '1';
const startDelayMs = numberEnv('FAIL_START_DELAY_MS') ?? 0;
const crashAfterSeconds = numberEnv('FAIL_CRASH_AFTER_SECONDS');
const growMbPerSecond = numberEnv('FAIL_MEMORY_GROW_MB_PER_SEC') ?? 0;

if (crashAfterSeconds !== undefined) {
  setTimeout(() => die(`crashing after ${crashAfterSeconds} s (FAIL_CRASH_AFTER_SECONDS)`), crashAfterSeconds * 1000);
}

if (growMbPerSecond > 0) {
  /** @type {Buffer[]} */
  const held = [];
  const chunk = Math.max(1, Math.round((growMbPerSecond * 1024 * 1024) / 10));
  // Filled with a non-zero byte: zeroed pages can stay unmapped and would not show in RSS.
  setInterval(() => held.push(Buffer.alloc(chunk, 1)), 100);
}

const orders = [
  { id: 'ord-10231', customer: 'Aino Virtanen', items: [{ sku: 'MUG-ENAMEL-BLU', qty: 2 }], total: 31.8, status: 'shipped' },
  { id: 'ord-10232', customer: 'Rafael Souza', items: [{ sku: 'TEE-ORG-M', qty: 1 }, { sku: 'CAP-WAX', qty: 1 }], total: 57.5, status: 'processing' },
  { id: 'ord-10233', customer: 'Mei Tanaka', items: [{ sku: 'BOTTLE-750', qty: 3 }], total: 74.85, status: 'delivered' },
  { id: 'ord-10234', customer: 'Kwame Mensah', items: [{ sku: 'NOTEBOOK-A5', qty: 4 }], total: 39.6, status: 'pending' },
  { id: 'ord-10235', customer: 'Lena Fischer', items: [{ sku: 'TOTE-CANVAS', qty: 1 }, { sku: 'MUG-ENAMEL-RED', qty: 1 }], total: 42.4, status: 'shipped' },
];

/** @param {string} text */
const escapeHtml = (text) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>firedrill demo</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; color: #1f2933; }
  header { display: flex; align-items: baseline; justify-content: space-between; }
  #version { font-size: 2rem; font-weight: 700; color: #0b6e4f; }
  .card { border: 1px solid #d9e2ec; border-radius: 8px; padding: 1rem; margin-top: 1rem; }
</style>
</head>
<body>
<header>
  <h1>Acme Outfitters orders</h1>
  <span>release <span id="version">${escapeHtml(version)}</span></span>
</header>
<div class="card">
  <p>Open orders: <strong id="orders-count">…</strong></p>
  <p>Orders ship within two business days. Questions? Write to support@example.com.</p>
</div>
<script>
  fetch('/api/orders')
    .then((r) => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then((body) => { document.getElementById('orders-count').textContent = String(body.orders.length); })
    .catch(() => { document.getElementById('orders-count').textContent = 'unavailable'; });
</script>
</body>
</html>
`;

let shuttingDown = false;

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} contentType
 * @param {string} body
 */
const send = (res, status, contentType, body) => {
  // Decided when the response is written, so a request that was in flight at SIGTERM also
  // tells its keep-alive client to reconnect elsewhere.
  if (shuttingDown) res.setHeader('connection', 'close');
  res.writeHead(status, { 'content-type': contentType, 'x-app-version': version });
  res.end(body);
};

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
const sendJson = (res, status, body) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

/** @type {Record<string, (res: import('node:http').ServerResponse) => void>} */
const routes = {
  '/': (res) => send(res, 200, 'text/html; charset=utf-8', page),
  '/api/version': (res) => sendJson(res, 200, { version, startedAt, pid: process.pid }),
  '/api/orders': (res) => sendJson(res, 200, { orders }),
};

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;

  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  if (path === '/health') {
    if (healthFails) sendJson(res, 503, { status: 'failing', version });
    else sendJson(res, 200, { status: 'ok', version });
    return;
  }
  if (latencyMs > 0) await sleep(latencyMs);
  if (errorRate > 0 && Math.random() < errorRate) {
    sendJson(res, 500, { error: 'internal server error', version });
    return;
  }
  const route = routes[path];
  if (route) route(res);
  else sendJson(res, 404, { error: 'not found', path });
});

// Longer than a load balancer's idle timeout (ALB: 60 s), so the balancer closes idle
// connections first and never sends a request on a socket the app is closing.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

process.on('SIGTERM', () => {
  shuttingDown = true;
  process.stdout.write('demo-app: SIGTERM, draining\n');
  // close() waits for in-flight requests; idle keep-alive sockets are closed at once.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});

const listen = () =>
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`demo-app ${version} listening on http://127.0.0.1:${port} (pid ${process.pid})\n`);
  });

server.on('error', (err) => die(`cannot listen on 127.0.0.1:${port}: ${err.message}`));

if (startDelayMs > 0) setTimeout(listen, startDelayMs);
else listen();
