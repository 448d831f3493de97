import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PartialDelivery } from '../../../ingest/archive/firehose.ts';
import { makeDelivery } from '../../../ingest/delivery.ts';
import { makeSpool, type Spool } from '../../../ingest/spool.ts';
import { recordingLog } from './helpers.ts';

type B = string[];

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function spoolOf(maxBytes = 1_000_000): { spool: Spool; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-unit-'));
  const spool = makeSpool({ dir, maxBytes });
  cleanup.push(() => {
    spool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { spool, dir };
}

/**
 * A target that records what it received and fails while `down` is above zero (counting down per call);
 * `partial` makes the next failure a PartialDelivery owing all but the first item.
 */
function target() {
  const t = {
    received: [] as B[],
    calls: 0,
    down: 0,
    partial: false,
    send: async (b: B) => {
      t.calls++;
      await new Promise((r) => setTimeout(r, 1));
      if (t.down > 0) {
        t.down--;
        if (t.partial) {
          t.received.push(b.slice(0, 1));
          throw new PartialDelivery('some records failed', b.slice(1));
        }
        throw new Error('connect ECONNREFUSED');
      }
      t.received.push(b);
    },
  };
  return t;
}

const queued = async (spool: Spool) =>
  Promise.all(spool.list('archive').map(async (f) => JSON.parse(await spool.read('archive', f)) as B));

describe('delivery', () => {
  it('sends straight through while the target answers', async () => {
    const { spool } = spoolOf();
    const t = target();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log: recordingLog().log });
    expect(await d.deliver(['a'])).toBe('sent');
    expect(await d.deliver(['b'])).toBe('sent');
    expect(t.received).toEqual([['a'], ['b']]);
    expect(spool.list('archive')).toEqual([]);
  });

  it('spools while the target is down, then sends the queue in order before anything new', async () => {
    const { spool } = spoolOf();
    const t = target();
    const { log, lines } = recordingLog();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log });
    // b1's own try fails, then the drains b2 and b3 start (a batch behind a queue is not tried on its own).
    t.down = 3;
    expect(await d.deliver(['b1'])).toBe('spooled');
    expect(await d.deliver(['b2'])).toBe('spooled');
    expect(await d.deliver(['b3'])).toBe('spooled');
    expect(await queued(spool)).toEqual([['b1'], ['b2'], ['b3']]);
    expect(t.received).toEqual([]);
    expect(lines.some((l) => l.msg === 'delivery failed; spooling' && l.level === 40)).toBe(true);
    expect(await d.deliver(['b4'])).toBe('sent');
    expect(t.received).toEqual([['b1'], ['b2'], ['b3'], ['b4']]);
    expect(spool.list('archive')).toEqual([]);
  });

  it('a new batch waits behind the queue while the queue cannot be sent', async () => {
    const { spool } = spoolOf();
    const t = target();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log: recordingLog().log });
    t.down = 1;
    expect(await d.deliver(['old'])).toBe('spooled');
    t.down = 1; // the drain's try fails; the new batch must not overtake the queue
    expect(await d.deliver(['new'])).toBe('spooled');
    expect(t.received).toEqual([]);
    expect(await queued(spool)).toEqual([['old'], ['new']]);
    expect(await d.drain()).toBe(2);
    expect(t.received).toEqual([['old'], ['new']]);
  });

  it('spools only what a partial delivery still owes', async () => {
    const { spool } = spoolOf();
    const t = target();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log: recordingLog().log });
    t.down = 1;
    t.partial = true;
    expect(await d.deliver(['x1', 'x2', 'x3'])).toBe('spooled');
    expect(t.received).toEqual([['x1']]);
    expect(await queued(spool)).toEqual([['x2', 'x3']]);
    expect(await d.drain()).toBe(1);
    expect(t.received).toEqual([['x1'], ['x2', 'x3']]);
  });

  it('a partial delivery while draining requeues only the rest of that batch', async () => {
    const { spool } = spoolOf();
    const t = target();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log: recordingLog().log });
    t.down = 2;
    await d.deliver(['a1', 'a2']);
    await d.deliver(['b1']);
    t.down = 1;
    t.partial = true;
    expect(await d.drain()).toBe(0);
    expect(await queued(spool)).toEqual([['b1'], ['a2']]);
    t.partial = false;
    expect(await d.drain()).toBe(2);
    expect(t.received).toEqual([['a1'], ['b1'], ['a2']]);
  });

  it('a batch the spool cannot hold is lost, loudly: onLost gets what was not delivered', async () => {
    const { spool } = spoolOf(30);
    const t = target();
    const { log, lines } = recordingLog();
    const lost: B[] = [];
    const d = makeDelivery<B>({
      channel: 'archive',
      spool,
      send: t.send,
      log,
      onLost: (b, err) => {
        expect(err.name).toBe('SpoolFull');
        lost.push(b);
      },
    });
    t.down = 10;
    expect(await d.deliver(['fits'])).toBe('spooled');
    expect(await d.deliver(['this one does not fit'])).toBe('lost');
    expect(lost).toEqual([['this one does not fit']]);
    expect(lines.find((l) => l.level === 50)?.msg).toMatch(/SPOOL FULL/);
  });

  it('of a partly delivered batch that cannot be spooled, only the undelivered part is reported lost', async () => {
    const { spool } = spoolOf(30);
    const t = target();
    const lost: B[] = [];
    const d = makeDelivery<B>({
      channel: 'archive',
      spool,
      send: t.send,
      log: recordingLog().log,
      onLost: (b) => lost.push(b),
    });
    t.down = 1;
    t.partial = true;
    expect(await d.deliver(['delivered', 'x'.repeat(40)])).toBe('lost');
    expect(t.received).toEqual([['delivered']]);
    expect(lost).toEqual([['x'.repeat(40)]]);
  });

  it('never throws when the rest of a partly drained batch does not fit the spool', async () => {
    const { spool } = spoolOf(40);
    const t = target();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log: recordingLog().log });
    t.down = 1;
    expect(await d.deliver(['aaaaaaaaaa', 'bbbbbbbbbb'])).toBe('spooled'); // 27 bytes of 40
    t.down = 1;
    t.partial = true;
    // The rest (14 bytes) does not fit beside the batch it replaces: keep that batch, deliver the new one after.
    await expect(d.deliver(['c'])).resolves.toBe('spooled');
    t.partial = false;
    expect(await d.drain()).toBe(2);
    expect(t.received).toEqual([['aaaaaaaaaa'], ['aaaaaaaaaa', 'bbbbbbbbbb'], ['c']]);
  });

  it('concurrent deliveries send every batch once, the queue first', async () => {
    const { spool } = spoolOf();
    const t = target();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log: recordingLog().log });
    t.down = 3;
    for (const b of ['q1', 'q2', 'q3']) expect(await d.deliver([b])).toBe('spooled');
    const fresh = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const outcomes = await Promise.all([...fresh.map((b) => d.deliver([b])), d.drain(), d.drain()]);
    expect(outcomes.slice(0, 5)).toEqual(Array(5).fill('sent'));
    const got = t.received.map((b) => b[0]);
    expect(got.slice(0, 3)).toEqual(['q1', 'q2', 'q3']);
    expect([...got].sort()).toEqual(['n1', 'n2', 'n3', 'n4', 'n5', 'q1', 'q2', 'q3']);
    expect(spool.list('archive')).toEqual([]);
  });

  it('sets an unreadable spool file aside instead of letting it hold up the queue', async () => {
    const { spool, dir } = spoolOf();
    const t = target();
    const { log, lines } = recordingLog();
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log });
    t.down = 1;
    await d.deliver(['before']);
    const damaged = `${String(Date.now() + 60_000).padStart(15, '0')}-000000000.json`;
    writeFileSync(join(dir, 'archive', damaged), '{"torn');
    expect(await d.deliver(['after'])).toBe('sent');
    expect(t.received).toEqual([['before'], ['after']]);
    expect(spool.list('archive')).toEqual([]);
    // Kept for a human to look at, out of the queue.
    expect(readdirSync(join(dir, 'archive'))).toEqual([`${damaged}.damaged`]);
    expect(lines.find((l) => l.level === 50)).toMatchObject({ file: damaged });
    expect(await d.deliver(['later'])).toBe('sent');
  });

  it('still sends, or spools, a batch after the spool folder was removed under it', async () => {
    const { spool, dir } = spoolOf();
    const t = target();
    const { log, lines } = recordingLog();
    const lost: B[] = [];
    const d = makeDelivery<B>({ channel: 'archive', spool, send: t.send, log, onLost: (b) => lost.push(b) });
    t.down = 1;
    expect(await d.deliver(['queued'])).toBe('spooled');
    rmSync(join(dir, 'archive'), { recursive: true }); // removed under a running poller
    expect(await d.deliver(['a'])).toBe('sent');
    expect(t.received).toEqual([['a']]);
    t.down = 1; // and with the target away too, the folder is made again to keep it
    expect(await d.deliver(['b'])).toBe('spooled');
    expect(await d.deliver(['c'])).toBe('sent');
    expect(t.received).toEqual([['a'], ['b'], ['c']]);
    expect(lost).toEqual([]);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('still sends, or reports lost, a batch when the spool folder cannot be listed', async () => {
    const { spool } = spoolOf();
    const t = target();
    const { log, lines } = recordingLog();
    const lost: B[] = [];
    const broken: Spool = {
      ...spool,
      list: () => {
        throw new Error('EIO: i/o error, scandir');
      },
    };
    const d = makeDelivery<B>({
      channel: 'archive',
      spool: broken,
      send: t.send,
      log,
      onLost: (b) => lost.push(b),
    });
    expect(await d.deliver(['a'])).toBe('sent');
    expect(t.received).toEqual([['a']]);
    // Logged once for the batch, not once per look at the queue.
    expect(lines.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({ msg: 'spool unusable', err: 'EIO: i/o error, scandir' }),
    ]);
    // With the target away and the disk refusing writes too, nowhere is left to keep it: lost, not thrown.
    t.down = 1;
    broken.append = () => {
      throw new Error('EIO: i/o error, open');
    };
    expect(await d.deliver(['b'])).toBe('lost');
    expect(lost).toEqual([['b']]);
  });

  describe('a batch its target refuses for good', () => {
    /** Refuses every batch holding 'bad' the way QuestDB answers a batch it will never take. */
    const refusing = (t: ReturnType<typeof target>) => async (b: B) => {
      if (b.includes('bad') && t.down === 0) throw new Error('HTTP request failed, statusCode=400, error=');
      return t.send(b);
    };
    const refusal = (err: unknown) => (/statusCode=400/.test((err as Error).message) ? 'HTTP 400' : null);

    it('is set aside from the queue, and the batches behind it go on', async () => {
      const { spool, dir } = spoolOf();
      const t = target();
      const lost: B[] = [];
      const { log, lines } = recordingLog();
      const d = makeDelivery<B>({
        channel: 'archive',
        spool,
        send: refusing(t),
        refusal,
        log,
        onLost: (b) => lost.push(b),
      });
      t.down = 3; // QuestDB away: all three are spooled, the bad one among them
      for (const b of [['q1'], ['bad'], ['q2']]) expect(await d.deliver(b)).toBe('spooled');
      expect(await d.deliver(['new'])).toBe('sent');
      expect(t.received).toEqual([['q1'], ['q2'], ['new']]);
      expect(spool.list('archive')).toEqual([]);
      const [aside] = readdirSync(join(dir, 'archive'));
      expect(aside).toMatch(/\.json\.refused$/);
      expect(JSON.parse(readFileSync(join(dir, 'archive', aside!), 'utf8'))).toEqual(['bad']);
      expect(lost).toEqual([['bad']]);
      expect(lines.find((l) => l.level === 50)).toMatchObject({ why: 'HTTP 400', file: aside });
    });

    it('is not spooled when refused at once: kept beside the queue, counted lost, the next goes straight on', async () => {
      const { spool, dir } = spoolOf();
      const t = target();
      const lost: B[] = [];
      const d = makeDelivery<B>({
        channel: 'archive',
        spool,
        send: refusing(t),
        refusal,
        log: recordingLog().log,
        onLost: (b) => lost.push(b),
      });
      expect(await d.deliver(['bad', 'x'])).toBe('refused');
      expect(spool.list('archive')).toEqual([]);
      expect(readdirSync(join(dir, 'archive'))).toEqual([expect.stringMatching(/\.json\.refused$/)]);
      expect(await d.deliver(['ok'])).toBe('sent');
      expect(lost).toEqual([['bad', 'x']]);
      // Without a refusal rule the same failure is retried: spooled, and it holds the queue.
      const plain = makeDelivery<B>({ channel: 'store', spool, send: refusing(t), log: recordingLog().log });
      expect(await plain.deliver(['bad'])).toBe('spooled');
      expect(await plain.deliver(['ok'])).toBe('spooled');
    });
  });
});
