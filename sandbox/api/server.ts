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
//
// The same port also answers STS GetCallerIdentity (sts.ts), the ELBv2 reads of the target
// groups (elbv2.ts), and two admin endpoints:
//   GET | PUT | DELETE /_firedrill/faults   API fault injection (faults.ts; JSON: { seed, operations: { <Op>|*: {...} } })
//   GET /_firedrill/timing                  the timing profile, so a harness can scale ECS's seconds to this sandbox's
// Every call is an `api.call` event naming the client (the user-agent's leading product token)
// and whether firedrill made it; every injected fault is also an `api.fault` event.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { EcsError } from '../control/errors.ts';
import { portInUse } from '../shared/port-in-use.ts';
import type { ApiCaller, ApiFaultKind, SandboxEventBody } from '../control/events.ts';
import type { EventSink } from '../control/ports.ts';
import type { SandboxState } from '../control/state.ts';
import { ECS_FAULTS, FaultInjector, STS_FAULTS, faultConfigSchema, type FaultDecision, type RenderedFault } from './faults.ts';
import { ApiError, ecsOperations } from './operations.ts';
import type { Operation } from './operations.ts';
import { STS_JSON_PREFIX, STS_OPERATIONS, StsError, callerIdentity, queryAction, queryError, queryResult } from './sts.ts';
import { ELBV2_OPERATIONS, ELBV2_VERSION, ElbError, elbv2Answer, elbv2Error, type TargetGroupDirectory } from './elbv2.ts';
import type { TimingProfile } from '../control/timing.ts';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const STS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
export const FAULTS_PATH = '/_firedrill/faults';
export const TIMING_PATH = '/_firedrill/timing';
/** Far above any real ECS request; a bigger body is refused instead of buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface ApiServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  state: SandboxState;
  events: EventSink;
  /** Called after each successful mutating operation, so the controller reconciles promptly. */
  onMutation?: () => void;
  /** Injected API faults; the admin endpoint changes them at run time. None by default. */
  faults?: FaultInjector;
  /** The account STS GetCallerIdentity reports; the one in the ARNs the sandbox hands out. */
  accountId?: string;
  /** The target groups ELBv2's reads describe; none without it. */
  targetGroups?: TargetGroupDirectory;
  /** What GET /_firedrill/timing answers. */
  timing?: TimingProfile;
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

/** An injected fault on its way to the client; rendered like any other error. */
class FaultError extends Error {
  constructor(
    readonly failure: Failure,
    readonly kind: ApiFaultKind,
  ) {
    super(failure.message);
  }
}

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
    // A client that goes away mid-body is its own mistake, not the sandbox's: no api.exception.
    req.on('error', () => reject(failure(400, 'SerializationException', 'The request body was cut off: the connection closed before Content-Length bytes arrived.')));
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

type Protocol = 'ecs' | 'sts-json' | 'sts-query' | 'elbv2-query';

interface Target {
  protocol: Protocol;
  /** The operation as the event log names it; for unknown operations, what the client sent. */
  name: string;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Which API a request is for: `x-amz-target` names ECS (JSON 1.1) or STS (JSON 1.0); without it,
 * a form-encoded body is STS's awsQuery protocol. Anything else names no operation.
 */
const targetOf = (req: IncomingMessage): Target => {
  const value = header(req, 'x-amz-target');
  if (!value || value.trim() === '') {
    const contentType = (header(req, 'content-type') ?? '').toLowerCase();
    if (contentType.startsWith('application/x-www-form-urlencoded')) return { protocol: 'sts-query', name: '(query)' };
    throw failure(
      400,
      'UnknownOperationException',
      `The request names no operation: set x-amz-target: ${ECS_TARGET_PREFIX}.<Operation> (AWS JSON 1.1).`,
    );
  }
  const dot = value.lastIndexOf('.');
  const prefix = dot === -1 ? '' : value.slice(0, dot);
  const name = dot === -1 ? value : value.slice(dot + 1);
  if (prefix === ECS_TARGET_PREFIX) return { protocol: 'ecs', name };
  if (prefix === STS_JSON_PREFIX) return { protocol: 'sts-json', name };
  throw failure(
    400,
    'UnknownOperationException',
    `The operation ${printable(value)} is not supported by the firedrill sandbox: it answers ${ECS_TARGET_PREFIX}.<Operation> (Amazon ECS).`,
  );
};

/** Client text in a message or the event log: bounded, printable. */
const printable = (text: string, max = 200): string => {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
};

/** Who made a call, as every api.call and api.fault event names it. */
export type CallerInfo = ApiCaller;

const FIREDRILL_TOKEN = /(^|\s)firedrill\/\S/;

export const callerOf = (req: IncomingMessage): CallerInfo => {
  const ua = header(req, 'user-agent') ?? '';
  const amzUa = header(req, 'x-amz-user-agent') ?? '';
  const first = ua.trim().split(/\s+/)[0] ?? '';
  const info: CallerInfo = { client: first === '' ? '(none)' : printable(first, 80), firedrill: FIREDRILL_TOKEN.test(ua) || FIREDRILL_TOKEN.test(amzUa) };
  const invocation = header(req, 'amz-sdk-invocation-id');
  if (invocation) info.invocationId = printable(invocation, 64);
  const attempt = /attempt=(\d{1,4})/.exec(header(req, 'amz-sdk-request') ?? '');
  if (attempt) info.attempt = Number(attempt[1]);
  return info;
};

const sendText = (res: ServerResponse, status: number, contentType: string, text: string, requestId: string, extraHeaders: Record<string, string> = {}): void => {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...extraHeaders,
  });
  res.end(text);
};

const send = (res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}, contentType = CONTENT_TYPE): void =>
  sendText(res, status, contentType, JSON.stringify(body), randomUUID(), extraHeaders);

const sendError = (res: ServerResponse, f: Failure, contentType = CONTENT_TYPE): void =>
  send(res, f.status, { __type: f.code, message: f.message }, { 'x-amzn-errortype': f.code }, contentType);

/** The awsQuery error document of STS or ELBv2; x-amzn-errortype too, so every sandbox error is found the same way. */
const sendQueryError = (res: ServerResponse, f: Failure, service: 'sts' | 'elbv2' = 'sts'): void => {
  const requestId = randomUUID();
  const type = f.status >= 500 ? 'Receiver' : 'Sender';
  const xml = service === 'elbv2' ? elbv2Error(f.code, f.message, type, requestId) : queryError(f.code, f.message, type, requestId);
  sendText(res, f.status, 'text/xml', xml, requestId, { 'x-amzn-errortype': f.code });
};

/** ELBv2 when the request says its version or names one of its actions; STS otherwise (its errors name the action). */
const queryProtocolOf = (params: URLSearchParams): Protocol =>
  params.get('Version') === ELBV2_VERSION || ELBV2_OPERATIONS.has(params.get('Action') ?? '') ? 'elbv2-query' : 'sts-query';

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    // Unref'd: a slowed-down call must not keep a stopping sandbox's process alive.
    setTimeout(resolve, ms).unref();
  });

const toFailure = (err: unknown): Failure | undefined => {
  if (err instanceof RequestError) return err.failure;
  if (err instanceof EcsError) return { status: err.httpStatus, code: err.code, message: err.message };
  if (err instanceof ApiError) return { status: err.httpStatus, code: err.code, message: err.message };
  if (err instanceof StsError) return { status: err.httpStatus, code: err.code, message: err.message };
  if (err instanceof ElbError) return { status: err.httpStatus, code: err.code, message: err.message };
  return undefined;
};

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { state, events, onMutation } = options;
  const operations: Map<string, Operation> = ecsOperations();
  const ctx = { state, events };
  const faults = options.faults ?? new FaultInjector();
  const identity = callerIdentity(options.accountId ?? '000000000000');

  const emit = (event: SandboxEventBody): void => {
    try {
      events.emit(event);
    } catch {
      // An event sink that fails must not take the API down with it.
    }
  };

  const adminFaults = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (req.method === 'GET') return send(res, 200, faults.get(), {}, 'application/json');
    if (req.method === 'DELETE') {
      faults.clear();
      emit({ kind: 'faults.cleared' });
      return send(res, 200, faults.get(), {}, 'application/json');
    }
    if (req.method === 'PUT') {
      let input: unknown;
      try {
        input = JSON.parse(body);
      } catch (err) {
        throw failure(400, 'SerializationException', `The fault configuration is not valid JSON: ${(err as Error).message}`);
      }
      const parsed = faultConfigSchema.safeParse(input);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw failure(400, 'InvalidParameterException', `Invalid fault configuration: ${printable(issues, 1000)}`);
      }
      faults.set(parsed.data);
      emit({ kind: 'faults.set', faults: faults.get() });
      return send(res, 200, faults.get(), {}, 'application/json');
    }
    throw failure(405, 'UnknownOperationException', `${printable(req.method ?? '')} ${FAULTS_PATH} is not supported: use GET, PUT or DELETE.`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let operation = '(none)';
    let protocol: Protocol = 'ecs';
    const caller = callerOf(req);
    const service = (): 'ecs' | 'sts' | 'elbv2' => (protocol === 'ecs' ? 'ecs' : protocol === 'elbv2-query' ? 'elbv2' : 'sts');
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path === FAULTS_PATH) {
        operation = '(admin)';
        await adminFaults(req, res);
        return;
      }
      if (path === TIMING_PATH && req.method === 'GET') {
        operation = '(admin)';
        req.resume();
        return send(res, 200, options.timing ?? {}, {}, 'application/json');
      }
      if (req.method !== 'POST' || path !== '/') {
        // Drain whatever was sent so the connection stays usable.
        req.resume();
        throw failure(
          404,
          'UnknownOperationException',
          `${printable(req.method ?? 'GET')} ${printable(path ?? '/')} is not an ECS API call: the firedrill sandbox answers POST / with x-amz-target: ${ECS_TARGET_PREFIX}.<Operation>.`,
        );
      }
      const body = await readBody(req);
      const target = targetOf(req);
      // A form-encoded body is read once: it says which query service it is for, and the ELBv2 read's parameters.
      const query = target.protocol === 'sts-query' ? new URLSearchParams(body) : undefined;
      protocol = query ? queryProtocolOf(query) : target.protocol;
      operation = printable(target.name, 128);
      if (protocol === 'sts-query') operation = queryAction(body);
      if (protocol === 'elbv2-query') operation = printable(query!.get('Action') ?? '', 128);
      const op = protocol === 'ecs' ? operations.get(target.name) : undefined;
      if (protocol === 'ecs' && !op) {
        throw failure(400, 'UnknownOperationException', `The operation ${operation} is not supported by the firedrill sandbox.`);
      }
      if (protocol === 'sts-json' && !STS_OPERATIONS.has(target.name)) {
        throw failure(400, 'UnknownOperationException', `The operation ${operation} is not supported by the firedrill sandbox's STS.`);
      }

      // Faults strike before the operation runs, as ECS's front door throttles: state is untouched.
      // Except `applied`: the operation runs, and only its reply is lost.
      const fault: FaultDecision = faults.decide(operation);
      if (fault.latencyMs > 0) await delay(fault.latencyMs);
      // `fault`, not `kind`: the event log's own `kind` field is the event's type.
      if (fault.kind) {
        const rendered: RenderedFault = (protocol === 'ecs' ? ECS_FAULTS : STS_FAULTS)[fault.kind];
        const latency = fault.latencyMs > 0 ? { latencyMs: fault.latencyMs } : {};
        emit({ kind: 'api.fault', service: service(), operation, fault: fault.kind, status: rendered.status, errorCode: rendered.code, ...latency, ...caller });
        if (fault.kind !== 'applied') throw new FaultError(rendered, fault.kind);
      } else if (fault.latencyMs > 0) {
        emit({ kind: 'api.fault', service: service(), operation, fault: 'latency', latencyMs: fault.latencyMs, ...caller });
      }
      const lostReply = fault.kind === 'applied' ? new FaultError((protocol === 'ecs' ? ECS_FAULTS : STS_FAULTS).applied, 'applied') : undefined;

      if (lostReply && protocol !== 'ecs') throw lostReply; // STS changes nothing: a lost reply is just an error
      if (protocol === 'sts-query') {
        const requestId = randomUUID();
        sendText(res, 200, 'text/xml', queryResult(identity, requestId), requestId);
      } else if (protocol === 'elbv2-query') {
        const requestId = randomUUID();
        sendText(res, 200, 'text/xml', elbv2Answer(operation, query!, options.targetGroups ?? { targetGroups: () => [] }, requestId), requestId);
      } else if (protocol === 'sts-json') {
        send(res, 200, identity, {}, STS_JSON_CONTENT_TYPE);
      } else {
        const input = parseInput(body);
        const output = op!.handle(input, ctx);
        if (lostReply) {
          if (op!.mutating) onMutation?.();
          throw lostReply;
        }
        send(res, 200, output ?? {});
      }
      emit({ kind: 'api.call', service: service(), operation, status: 200, ...caller });
      if (op?.mutating && onMutation) {
        try {
          onMutation();
        } catch (err) {
          emit({ kind: 'api.exception', operation, where: 'onMutation', message: String((err as Error)?.message ?? err) });
        }
      }
    } catch (err) {
      const known = err instanceof FaultError ? err.failure : toFailure(err);
      const f = known ?? {
        status: 500,
        code: 'ServerException',
        message: `The firedrill sandbox failed while handling ${operation}: ${String((err as Error)?.message ?? err)}`,
      };
      if (!known) {
        emit({ kind: 'api.exception', operation, message: String((err as Error)?.message ?? err), stack: (err as Error)?.stack });
      }
      if (protocol === 'sts-query' || protocol === 'elbv2-query') sendQueryError(res, f, protocol === 'elbv2-query' ? 'elbv2' : 'sts');
      else sendError(res, f, protocol === 'sts-json' ? STS_JSON_CONTENT_TYPE : CONTENT_TYPE);
      if (operation === '(admin)') return;
      emit({
        kind: 'api.call',
        service: service(),
        operation,
        status: f.status,
        errorCode: f.code,
        ...(err instanceof FaultError ? { fault: err.kind } : {}),
        ...caller,
      });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // handle() catches everything it can; this is the last line of defence.
      emit({ kind: 'api.exception', operation: '(unknown)', message: String((err as Error)?.message ?? err) });
      if (!res.headersSent) sendError(res, { status: 500, code: 'ServerException', message: 'Internal error.' });
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Even a request Node's HTTP parser refuses gets an AWS-shaped answer, so clients report it sensibly.
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const code = 'SerializationException';
    const body = JSON.stringify({ __type: code, message: tooLarge ? 'The request headers are too large.' : `The request is not valid HTTP/1.1 (${printable(err.code ?? 'parse error', 64)}).` });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nconnection: close\r\ncontent-type: ${CONTENT_TYPE}\r\n` +
        `x-amzn-errortype: ${code}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    emit({ kind: 'api.call', service: 'ecs', operation: '(unparseable)', status: tooLarge ? 431 : 400, errorCode: code });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(portInUse(err, options.port, { kind: 'api' }) ?? err);
    server.once('error', onError);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => emit({ kind: 'api.exception', operation: '(server)', message: err.message }));

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
