/**
 * The head start a replay worker gets: whatever part of the listing and of the first bodies the starting thread
 * handed over, and in whatever order the messages arrive relative to the worker's own reading, the worker reads
 * exactly what it would have read alone, and asks S3 only for what it was not handed.
 */
import { describe, expect, it } from 'vitest';
import { headStore, standalone, startHead, type HeadMessage } from '../../../ingest/replay/head-start.ts';
import { listingWindow } from '../../../ingest/replay/keys.ts';
import { readArchive, type ArchiveObject, type ArchiveStore } from '../../../ingest/replay/reader.ts';
import { envelope } from '../ingest/helpers.ts';
import { body, keyAt, memoryStore } from './archive-store.ts';

const MIN = 60_000;
const T = Date.UTC(2031, 6, 1, 10, 0);
const FROM = T;
const TO = T + 150 * MIN;
const SLACK = 10 * MIN;
const WINDOW = { prefix: 'raw/', arrival: listingWindow(FROM, TO, SLACK) };

/** An object every 5 minutes for 2.5 hours (three hour folders), each holding its 5 minutes. */
function archive(): Map<string, string> {
  const objects = new Map<string, string>();
  for (let m = 0; m < 150; m += 5) {
    const envs = [0, 1, 2, 3, 4].map((k) => envelope('coindesk', T + (m + k) * MIN));
    objects.set(keyAt(T + (m + 5) * MIN + 1_000, `o${m}`), body(...envs));
  }
  return objects;
}

/** The listed size of the first `n` objects read. */
const sizeOf = (objects: ArchiveObject[], n: number) =>
  objects.slice(0, n).reduce((sum, o) => sum + o.bytes, 0);

const read = async (store: ArchiveStore) => {
  const out: ArchiveObject[] = [];
  for await (const o of readArchive(store, { ...WINDOW, from: FROM, to: TO, slackMs: SLACK, concurrency: 3 }))
    out.push(o);
  return out;
};

/** Messages cross threads asynchronously: deliver each after `delayMs`, in order, as a port would. */
function channel(receive: (m: HeadMessage) => void, delayMs: number) {
  let last = Promise.resolve();
  const sent: HeadMessage['kind'][] = [];
  const send = (m: HeadMessage) => {
    sent.push(m.kind);
    last = last.then(() => new Promise((r) => setTimeout(() => (receive(m), r()), delayMs)));
  };
  return { send, sent };
}

describe('head start', () => {
  const objects = archive();

  it('reads the same objects with any part of the archive handed over, and fetches only the rest', async () => {
    const alone = await read(memoryStore(objects, new Set(), 4));
    expect(alone).toHaveLength(30);
    for (const handed of [0, 1, 7, 30])
      for (const delayMs of [0, 3]) {
        const starter = memoryStore(objects, new Set(), 4);
        const inner = memoryStore(objects, new Set(), 4);
        const worker = headStore(inner);
        const { send } = channel(worker.receive, delayMs);
        const head = startHead(starter, WINDOW, { concurrency: 2, maxBytes: sizeOf(alone, handed) }, send);
        const got = await read(worker.store);
        await head.done;
        expect(got, `${handed} handed over, ${delayMs} ms apart`).toEqual(alone);
        // Nothing is fetched twice: what the starter fetched, the worker did not.
        expect(starter.opened).toHaveLength(handed);
        expect(inner.opened.filter((k) => starter.opened.includes(k))).toEqual([]);
        expect([...starter.opened, ...inner.opened].sort()).toEqual(alone.map((o) => o.key).sort());
      }
  });

  it('transfers each body as a buffer of its own, never a pool other buffers share', async () => {
    const pooled = Buffer.from('small body'); // a view of Node's shared 8 KB pool
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    const own = standalone(pooled);
    expect(own.buffer.byteLength).toBe(pooled.byteLength);
    expect(Buffer.from(own).toString()).toBe('small body');
    const whole = new Uint8Array(16);
    expect(standalone(whole)).toBe(whole); // already its own: not copied

    const transferred: [Uint8Array, ArrayBuffer[]][] = [];
    const worker = headStore(memoryStore(objects));
    await startHead(
      memoryStore(objects),
      WINDOW,
      { concurrency: 2, maxBytes: Infinity },
      (m, transfer = []) => {
        if (m.kind === 'head:body' && m.bytes) transferred.push([m.bytes, transfer]);
        worker.receive(m);
      },
    ).done;
    expect(transferred).toHaveLength(30);
    for (const [bytes, transfer] of transferred) expect(transfer).toEqual([bytes.buffer]);
    for (const [bytes] of transferred) expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
  });

  it('lists on from the last key handed over when the head start stopped within the listing', async () => {
    const starter = memoryStore(objects, new Set(), 4);
    const inner = memoryStore(objects, new Set(), 4);
    const worker = headStore(inner);
    const { send, sent } = channel(worker.receive, 0);
    const alone = await read(memoryStore(objects));
    const head = startHead(starter, WINDOW, { concurrency: 1, maxBytes: sizeOf(alone, 5) }, send);
    await head.done;
    expect(sent).not.toContain('head:listed');
    const handed = starter.pages.length;
    expect(await read(worker.store)).toEqual(alone);
    // The worker's own listing starts after the last key of the pages it was handed.
    const keys = [...objects.keys()].sort();
    expect(inner.pages[0]).toBe(keys[handed * 4]);
  });

  it('stops fetching when told, and still delivers what was under way', async () => {
    const starter = memoryStore(objects, new Set(), 100);
    const worker = headStore(memoryStore(objects, new Set(), 100));
    const sent: HeadMessage['kind'][] = [];
    const head = startHead(starter, WINDOW, { concurrency: 3, maxBytes: Infinity }, (m) => {
      sent.push(m.kind);
      worker.receive(m);
      if (m.kind === 'head:body') head.stop(); // as on the worker's `ready`
    });
    await head.done;
    expect(starter.opened.length).toBeGreaterThanOrEqual(1);
    expect(starter.opened.length).toBeLessThanOrEqual(3);
    expect(sent.filter((k) => k === 'head:body')).toHaveLength(starter.opened.length);
    expect(sent.at(-1)).toBe('head:end');
  });

  it('leaves an object it could not fetch to the worker, whose own failure names the key', async () => {
    const key = [...objects.keys()].sort()[2]!;
    const fixed = headStore(memoryStore(objects));
    const h1 = startHead(
      memoryStore(objects, new Set([key])),
      WINDOW,
      { concurrency: 2, maxBytes: Infinity },
      (m) => fixed.receive(m),
    );
    expect(await read(fixed.store)).toEqual(await read(memoryStore(objects)));
    await h1.done;

    const down = memoryStore(objects, new Set([key]));
    const broken = headStore(down);
    const h2 = startHead(
      memoryStore(objects, new Set([key])),
      WINDOW,
      { concurrency: 2, maxBytes: Infinity },
      (m) => broken.receive(m),
    );
    await expect(read(broken.store)).rejects.toThrow(`reading s3 object ${key}: connect ECONNREFUSED`);
    expect(down.opened).toEqual([key]);
    await h2.done;
  });

  it('lists for itself when the head start could not list, or listed another window', async () => {
    const failing: ArchiveStore = {
      // eslint-disable-next-line require-yield
      async *list() {
        throw new Error('connect ECONNREFUSED');
      },
      open: () => Promise.reject(new Error('not listed')),
    };
    const a = headStore(memoryStore(objects));
    await startHead(failing, WINDOW, { concurrency: 2, maxBytes: Infinity }, (m) => a.receive(m)).done;
    expect(await read(a.store)).toEqual(await read(memoryStore(objects)));

    const inner = memoryStore(objects);
    const b = headStore(inner);
    const other = { prefix: 'raw/', arrival: listingWindow(FROM + 120 * MIN, TO, SLACK) };
    await startHead(memoryStore(objects), other, { concurrency: 2, maxBytes: Infinity }, (m) => b.receive(m))
      .done;
    const got = await read(b.store);
    expect(got).toEqual(await read(memoryStore(objects)));
    expect(inner.pages).toHaveLength(1); // its own listing, from its own first folder
    // Bodies handed over for the other window were still used where the keys match.
    expect(inner.opened.length).toBeLessThan(got.length);
  });
});
