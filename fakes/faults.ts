/**
 * The faults the fake can inject, and what each does to a normal reply. Pure; the server owns the timing
 * faults (`slow`, `hang`), which cannot be expressed as a body.
 */
import { z } from 'zod';
import { SOURCE_NAMES, type SourceName } from '../common/types.ts';

const FaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('status'), status: z.number().int().min(100).max(599) }),
  z.object({ kind: z.literal('rate_limit'), retryAfterSeconds: z.number().int().min(0).max(86_400) }),
  z.object({ kind: z.literal('slow'), ms: z.number().int().min(0).max(600_000) }),
  z.object({ kind: z.literal('hang') }),
  z.object({ kind: z.literal('truncated') }),
  z.object({ kind: z.literal('malformed') }),
  z.object({ kind: z.literal('html'), status: z.union([z.literal(200), z.literal(502)]).optional() }),
  z.object({
    kind: z.literal('huge'),
    bytes: z
      .number()
      .int()
      .min(16)
      .max(512 * 1024 * 1024),
  }),
]);

/** One injected misbehaviour, consumed by one request to its source. */
export type Fault = z.output<typeof FaultSchema>;

const ControlSchema = z.object({
  source: z.enum(SOURCE_NAMES),
  fault: FaultSchema,
  count: z.number().int().min(1).max(100_000).default(1),
});

/** The body of `POST /_control/fault`. */
export type FaultRequest = { source: SourceName; fault: Fault; count: number };

/** Parse a control request, naming every problem. */
export function parseFaultRequest(
  input: unknown,
): { ok: true; value: FaultRequest } | { ok: false; error: string } {
  const r = ControlSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    error: r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
  };
}

/** A response before it is sent. `valid` says whether its body is a rate payload a client should accept. */
export type Reply = { status: number; headers: Record<string, string>; body: string; valid: boolean };

const JSON_TYPE = 'application/json; charset=utf-8';

/** A reply with a JSON body and the headers every reply carries. */
export function jsonReply(status: number, body: string, valid: boolean): Reply {
  return { status, headers: { 'content-type': JSON_TYPE }, body, valid };
}

const errorBody = (id: string, message: string) => JSON.stringify({ errors: [{ id, message }] });

const HTML_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

/** What a body-shaping fault turns the normal reply into (timing faults return the normal reply). */
export function applyFault(fault: Fault, normal: Reply): Reply {
  switch (fault.kind) {
    case 'status':
      return jsonReply(fault.status, errorBody('injected_error', `injected HTTP ${fault.status}`), false);
    case 'rate_limit': {
      const reply = jsonReply(429, errorBody('rate_limit_exceeded', 'Too many requests'), false);
      reply.headers['retry-after'] = String(fault.retryAfterSeconds);
      return reply;
    }
    case 'truncated':
      // Cut on a UTF-16 boundary of an ASCII-or-BMP body, so the recorded string is exactly what was sent.
      return { ...normal, body: normal.body.slice(0, Math.floor(normal.body.length / 2)), valid: false };
    case 'malformed':
      // `=` for the first `:` keeps brackets and quotes balanced: broken JSON, not a cut-off one.
      return { ...normal, body: normal.body.replace(':', '='), valid: false };
    case 'html':
      return {
        status: fault.status ?? 502,
        headers: { 'content-type': 'text/html' },
        body: HTML_PAGE,
        valid: false,
      };
    case 'huge': {
      const frame = '{"padding":""}';
      return jsonReply(normal.status, `{"padding":"${'x'.repeat(fault.bytes - frame.length)}"}`, false);
    }
    case 'slow':
    case 'hang':
      return normal;
  }
}
