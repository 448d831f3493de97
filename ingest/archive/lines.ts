/** The lines of an archive object as its body streams in; a gzip body (by its magic bytes) is inflated on the way. */
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];

/** Each line of `chunks` (LF or CRLF), without its terminator; a last line without one is yielded too. */
export async function* splitLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let tail = '';
  for await (const chunk of chunks) {
    const text = tail + (typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk)));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl);
      start = nl + 1;
    }
    tail = text.slice(start);
  }
  tail += decoder.end();
  if (tail) yield tail;
}

/** The body's chunks, inflated when the body is gzip. */
export async function* maybeGunzip(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  let head = Buffer.alloc(0); // its first two bytes, however the body is cut
  for (let r; head.length < 2 && !(r = await it.next()).done;) head = Buffer.concat([head, r.value]);
  if (head.length === 0) return;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) return yield* all();
  // pipeline() destroys both streams on an error in either, so a corrupt gzip throws here, not later.
  yield* pipeline(Readable.from(all()), createGunzip(), () => {}) as AsyncIterable<Uint8Array>;
}
