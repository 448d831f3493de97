/**
 * A local stand-in for every rate API and venue: a plain node:http server serving the walk's prices for the minute of
 * an injected clock, with faults queued per source and a record of every response it sent, so tests can compare
 * what the pipeline stored with what it was actually given.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { floorToMinute } from '../common/clock.ts';
import type { SourceName } from '../common/types.ts';
import { applyFault, jsonReply, parseFaultRequest, type Fault, type Reply } from './faults.ts';
import { candleReply, candleSourceOfPath } from './candles.ts';
import { normalReply, sourceOfPath } from './routes.ts';

/** One response the fake actually wrote to a client. */
export type ServedResponse = {
  source: SourceName;
  /** The minute whose prices were served (floor of the clock at arrival), epoch ms. */
  minute: number;
  status: number;
  /** The headers the fake set (lower case); Node adds Date and Connection on the wire. */
  headers: Record<string, string>;
  /** The body exactly as sent. */
  body: string;
  /** True when the body is a rate payload the client should accept. */
  valid: boolean;
  /** Clock time when it was written, epoch ms. */
  at: number;
  /** The injected fault that shaped it, if any. */
  fault: Fault['kind'] | null;
};

export type FakeApiLog = {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
};

export type FakeApiDeps = {
  seed: number;
  clock: { now(): number };
  /** Oldest records are dropped beyond this many, so a long demo does not grow without bound. */
  maxServed?: number;
  log?: FakeApiLog;
};

export type FakeApi = {
  /** Listen (port 0 picks a free one); resolves to the base URL, e.g. http://127.0.0.1:8099. */
  start(port: number, host?: string): Promise<string>;
  /** Close the server and every connection, hanging and slow ones included. */
  stop(): Promise<void>;
  served: ServedResponse[];
  /** Queue `count` copies of `fault`; each request to `source` consumes one. */
  inject(source: SourceName, fault: Fault, count?: number): void;
  /** Requests taken but not answered yet (slow or hanging) whose clients are still there. */
  inFlight(): number;
};

/** Build the fake; nothing listens until `start`. */
export function makeFakeApi({ seed, clock, maxServed = Infinity, log }: FakeApiDeps): FakeApi {
  const served: ServedResponse[] = [];
  const queues = new Map<SourceName, Fault[]>();
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<ServerResponse>();

  const inject = (source: SourceName, fault: Fault, count = 1) => {
    const q = queues.get(source) ?? [];
    for (let i = 0; i < count; i++) q.push(fault);
    queues.set(source, q);
    log?.info({ source, fault, count, queued: q.length }, 'fault injected');
  };

  /** Write `reply` with a content-length of its actual bytes; returns the headers set. */
  const send = (res: ServerResponse, reply: Reply): Record<string, string> => {
    const headers = { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) };
    res.writeHead(reply.status, headers);
    res.end(reply.body);
    return headers;
  };

  const serveRate = (source: SourceName, url: URL, req: IncomingMessage, res: ServerResponse) => {
    const minute = floorToMinute(clock.now());
    const fault = queues.get(source)?.shift() ?? null;
    const reply = fault
      ? applyFault(fault, normalReply(source, url, minute, seed))
      : normalReply(source, url, minute, seed);
    const write = () => {
      // A client that gave up (timeout during `slow`) was sent nothing: keep `served` to what really went out.
      if (res.destroyed || req.socket.destroyed) return;
      const headers = send(res, reply);
      served.push({
        source,
        minute,
        status: reply.status,
        headers,
        body: reply.body,
        valid: reply.valid,
        at: clock.now(),
        fault: fault?.kind ?? null,
      });
      if (served.length > maxServed) served.splice(0, served.length - maxServed);
      log?.debug(
        { source, minute, status: reply.status, bytes: headers['content-length'], fault: fault?.kind },
        'served',
      );
    };
    if (fault?.kind !== 'slow' && fault?.kind !== 'hang') return write();
    pending.add(res);
    res.on('close', () => pending.delete(res));
    if (fault.kind === 'hang') return; // never answered; stop() destroys the socket
    const timer = setTimeout(() => {
      timers.delete(timer);
      pending.delete(res);
      write();
    }, fault.ms);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };

  const control = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    if (url.pathname === '/_control/served' && req.method === 'GET') {
      const since = Number(url.searchParams.get('since') ?? '-Infinity');
      return void send(res, jsonReply(200, JSON.stringify(served.filter((s) => s.at > since)), false));
    }
    if (url.pathname === '/_control/fault' && req.method === 'POST') {
      let input: unknown;
      try {
        input = JSON.parse(await readBody(req));
      } catch (err) {
        return send(
          res,
          jsonReply(400, JSON.stringify({ error: `body is not JSON: ${(err as Error).message}` }), false),
        );
      }
      const r = parseFaultRequest(input);
      if (!r.ok) return send(res, jsonReply(400, JSON.stringify({ error: r.error }), false));
      inject(r.value.source, r.value.fault, r.value.count);
      return send(
        res,
        jsonReply(200, JSON.stringify({ queued: queues.get(r.value.source)?.length ?? 0 }), false),
      );
    }
    send(
      res,
      jsonReply(404, JSON.stringify({ error: `no control endpoint ${req.method} ${url.pathname}` }), false),
    );
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    if (url.pathname.startsWith('/_control/'))
      return void control(url, req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, jsonReply(500, JSON.stringify({ error: String(err) }), false));
      });
    const candles = candleSourceOfPath(url.pathname);
    if (candles !== null) return void send(res, candleReply(candles, url, clock.now(), seed));
    const source = sourceOfPath(url.pathname);
    if (source === null)
      return send(res, jsonReply(404, JSON.stringify({ error: `not found: ${url.pathname}` }), false));
    if (req.method !== 'GET') return send(res, jsonReply(405, JSON.stringify({ error: 'GET only' }), false));
    serveRate(source, url, req, res);
  });

  return {
    served,
    inject,
    inFlight: () => pending.size,
    start(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const { port: bound } = server.address() as AddressInfo;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
        });
      });
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const MAX_CONTROL_BODY = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONTROL_BODY) throw new Error(`control body over ${MAX_CONTROL_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
