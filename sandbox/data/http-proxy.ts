// A listener's forwarding, as an ALB does it: every request goes to a target that is healthy
// at the moment it is sent, round-robin; bodies stream both ways; an upstream failure becomes
// a 502 and no healthy target a 503. Nothing here throws: failures go to the event log.

import http from 'node:http';
import type { EventSink } from '../control/ports.ts';
import type { TargetGroup } from './target-group.ts';

// Headers that describe one connection, not the message (RFC 9110 7.6.1). `expect` is
// answered by the listener itself (Node sends 100 Continue), so it must not reach the target.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

export const createProxyHandler =
  (group: TargetGroup, events: EventSink): http.RequestListener =>
  (req, res) => {
    const withBody = hasBody(req);
    let upstream: http.ClientRequest | undefined;
    let clientGone = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      upstream?.destroy();
    });
    res.on('error', () => upstream?.destroy());

    const send = (mayRetry: boolean): void => {
      const target = group.pick();
      if (!target) {
        reply(res, 503, `No healthy targets in target group ${group.name}`);
        return;
      }
      const headers = requestHeaders(req);
      if (withBody && headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
      const up = http.request({
        host: '127.0.0.1',
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent: target.agent,
      });
      upstream = up;

      up.on('response', (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, responseHeaders(upRes.rawHeaders));
        upRes.on('error', (err) => {
          if (clientGone) return;
          events.emit({ kind: 'proxy.error', targetGroup: group.name, target: target.id, error: err.message });
          // The status line is gone already; a cut connection is how the client learns.
          res.destroy();
        });
        upRes.pipe(res);
      });

      up.on('error', (err: NodeJS.ErrnoException) => {
        if (clientGone) return;
        // A pooled socket the target closed just as it was reused: nothing reached the
        // target, so a request without a body is safe to send again (Node's own advice).
        if (mayRetry && !withBody && up.reusedSocket && err.code === 'ECONNRESET' && !res.headersSent) {
          send(false);
          return;
        }
        events.emit({ kind: 'proxy.error', targetGroup: group.name, target: target.id, error: err.message });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // Keep the client's connection usable: read and drop what it still sends of the body.
        if (withBody) req.resume();
        reply(res, 502, `The target ${target.id} in target group ${group.name} failed to answer: ${err.message}`);
      });

      if (withBody) req.pipe(up);
      else up.end();
    };

    send(true);
  };

const hasBody = (req: http.IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** Names a `Connection` header adds to the hop-by-hop set for this one message. */
const connectionListed = (connection: string | string[] | undefined): Set<string> =>
  new Set(
    [connection ?? []]
      .flat()
      .flatMap((value) => value.split(','))
      .map((name) => name.trim().toLowerCase()),
  );

const requestHeaders = (req: http.IncomingMessage): http.OutgoingHttpHeaders => {
  const dropped = connectionListed(req.headers.connection);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !dropped.has(name)) headers[name] = value;
  }
  const client = req.socket.remoteAddress ?? '';
  const forwardedFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${[forwardedFor].flat().join(', ')}, ${client}` : client;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  return headers;
};

/** The target's headers as it sent them (names, order, repeats), minus hop-by-hop ones. */
const responseHeaders = (raw: string[]): string[] => {
  const names: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'connection') names.push(raw[i + 1] ?? '');
  const dropped = connectionListed(names);
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !dropped.has(lower)) kept.push(name, raw[i + 1] as string);
  }
  return kept;
};

const reply = (res: http.ServerResponse, status: number, message: string): void => {
  const body = `${JSON.stringify({ message })}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};
