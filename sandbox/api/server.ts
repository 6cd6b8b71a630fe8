// The sandbox's ECS API: AWS JSON 1.1 over HTTP on 127.0.0.1, so the AWS SDK v3 and the AWS CLI
// (`aws --endpoint-url`) drive the sandbox exactly as they drive ECS.
//
//   POST /   x-amz-target: AmazonEC2ContainerServiceV20141113.<Operation>
//            content-type: application/x-amz-json-1.1
//
// SigV4 headers are ignored (any credentials are accepted). Errors are ECS-shaped:
// `{"__type": "<Code>", "message": "..."}` with `x-amzn-errortype: <Code>`, HTTP 400, or 500 for
// ServerException. Nothing a client sends can crash the server: an unexpected exception becomes
// a 500 ServerException and an `api.exception` event.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { EcsError } from '../control/errors.ts';
import type { EventSink } from '../control/ports.ts';
import type { SandboxState } from '../control/state.ts';
import { ApiError, ecsOperations } from './operations.ts';
import type { Operation } from './operations.ts';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Far above any real ECS request; a bigger body is refused instead of buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface ApiServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  state: SandboxState;
  events: EventSink;
  /** Called after each successful mutating operation, so the controller reconciles promptly. */
  onMutation?: () => void;
}

export interface ApiServer {
  /** `http://127.0.0.1:<port>`, the endpoint to give the SDK or `aws --endpoint-url`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Failure {
  status: number;
  code: string;
  message: string;
}

class RequestError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

const failure = (status: number, code: string, message: string): RequestError => new RequestError({ status, code, message });

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(failure(413, 'SerializationException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });

const parseInput = (body: string): Record<string, unknown> => {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw failure(400, 'SerializationException', `The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw failure(400, 'SerializationException', 'The request body must be a JSON object (AWS JSON 1.1 input structure).');
  }
  return parsed as Record<string, unknown>;
};

/** The operation named by `x-amz-target`, or the reason there is none. */
const operationName = (req: IncomingMessage): string => {
  const target = req.headers['x-amz-target'];
  const value = Array.isArray(target) ? target[0] : target;
  if (!value || value.trim() === '') {
    throw failure(
      400,
      'UnknownOperationException',
      `The request names no operation: set x-amz-target: ${ECS_TARGET_PREFIX}.<Operation> (AWS JSON 1.1).`,
    );
  }
  const dot = value.lastIndexOf('.');
  const prefix = dot === -1 ? '' : value.slice(0, dot);
  const name = dot === -1 ? value : value.slice(dot + 1);
  if (prefix !== ECS_TARGET_PREFIX) {
    throw failure(
      400,
      'UnknownOperationException',
      `The operation ${value} is not supported by the firedrill sandbox: it answers ${ECS_TARGET_PREFIX}.<Operation> (Amazon ECS).`,
    );
  }
  return name;
};

const send = (res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void => {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(json),
    'x-amzn-requestid': randomUUID(),
    ...extraHeaders,
  });
  res.end(json);
};

const sendError = (res: ServerResponse, f: Failure): void =>
  send(res, f.status, { __type: f.code, message: f.message }, { 'x-amzn-errortype': f.code });

const toFailure = (err: unknown): Failure | undefined => {
  if (err instanceof RequestError) return err.failure;
  if (err instanceof EcsError) return { status: err.httpStatus, code: err.code, message: err.message };
  if (err instanceof ApiError) return { status: err.httpStatus, code: err.code, message: err.message };
  return undefined;
};

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { state, events, onMutation } = options;
  const operations: Map<string, Operation> = ecsOperations();
  const ctx = { state, events };

  const emit = (kind: string, data: Record<string, unknown>): void => {
    try {
      events.emit(kind, data);
    } catch {
      // An event sink that fails must not take the API down with it.
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let operation = '(none)';
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'POST' || path !== '/') {
        // Drain whatever was sent so the connection stays usable.
        req.resume();
        throw failure(
          404,
          'UnknownOperationException',
          `${req.method ?? 'GET'} ${path} is not an ECS API call: the firedrill sandbox answers POST / with x-amz-target: ${ECS_TARGET_PREFIX}.<Operation>.`,
        );
      }
      const body = await readBody(req);
      operation = operationName(req);
      const op = operations.get(operation);
      if (!op) {
        throw failure(400, 'UnknownOperationException', `The operation ${operation} is not supported by the firedrill sandbox.`);
      }
      const input = parseInput(body);
      const output = op.handle(input, ctx);
      send(res, 200, output ?? {});
      emit('api.call', { operation, status: 200 });
      if (op.mutating && onMutation) {
        try {
          onMutation();
        } catch (err) {
          emit('api.exception', { operation, where: 'onMutation', message: String((err as Error)?.message ?? err) });
        }
      }
    } catch (err) {
      const known = toFailure(err);
      const f = known ?? {
        status: 500,
        code: 'ServerException',
        message: `The firedrill sandbox failed while handling ${operation}: ${String((err as Error)?.message ?? err)}`,
      };
      if (!known) {
        emit('api.exception', { operation, message: String((err as Error)?.message ?? err), stack: (err as Error)?.stack });
      }
      sendError(res, f);
      emit('api.call', { operation, status: f.status, errorCode: f.code });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // handle() catches everything it can; this is the last line of defence.
      emit('api.exception', { operation: '(unknown)', message: String((err as Error)?.message ?? err) });
      if (!res.headersSent) sendError(res, { status: 500, code: 'ServerException', message: 'Internal error.' });
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => emit('api.exception', { operation: '(server)', message: err.message }));

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from SDK clients would hold close() open until they time out.
        server.closeIdleConnections();
        setImmediate(() => server.closeAllConnections());
      });
      return closing;
    },
  };
}
