import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, USER } from './fixtures.js';
import { MemoryHooks } from './memoryHooks.js';
import { loginAt, makeTls, run, sleep, startServer, waitFor } from './support.js';
import type { RunningServer, TestTls } from './support.js';

const MB = 1024 * 1024;
const SIZE = 25 * MB;

let tls: TestTls;
let running: RunningServer;
let hooks: MemoryHooks;
let big: Buffer;
/** The exact bytes the server must send after "+OK": dot-stuffed and terminated (own implementation). */
let expectedWireSha: string;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** ~25 MB: a header, then base64 lines of 76 characters, every 1000th line starting with ".". */
function bigMessage(): Buffer {
  const header = 'From: labor@labor.kim.telematik\r\nSubject: large\r\n\r\n';
  const lines: string[] = [];
  let size = header.length;
  const random = randomBytes(57 * 1000)
    .toString('base64')
    .match(/.{76}/g)!;
  for (let i = 0; size < SIZE - 80; i++) {
    const line = i % 1000 === 0 ? `.${random[i % random.length]!.slice(1)}` : random[i % random.length]!;
    lines.push(line);
    size += line.length + 2;
  }
  const body = Buffer.from(`${header}${lines.join('\r\n')}\r\n`, 'latin1');
  return body;
}

beforeAll(async () => {
  tls = await makeTls();
  hooks = new MemoryHooks();
  const account = hooks.addUser(USER, PASSWORD);
  big = bigMessage();
  hooks.addMessage(account, big);
  hooks.addMessage(account, 'Subject: small\r\n\r\nwarm-up\r\n');
  const stuffed = `${big.toString('latin1').replace(/\r\n\./g, '\r\n..')}.\r\n`;
  expectedWireSha = sha256(Buffer.from(stuffed, 'latin1'));
  running = await startServer(hooks, tls);
});

afterAll(async () => {
  await running?.server.close();
  await tls?.cleanup();
});

describe('a 25 MB message', () => {
  /** Downloads message `msg` into `file` (read it only after sampling stopped). */
  async function curlRetr(msg: number, file: string): Promise<void> {
    const result = await run('curl', [
      '-sS',
      '--cacert',
      tls.certPath,
      '-u',
      `${USER}:${PASSWORD}`,
      '-o',
      file,
      `pop3s://127.0.0.1:${running.port}/${msg}`,
    ]);
    expect(result.code).toBe(0);
    await waitFor(() => running.server.connections === 0);
  }

  it('is streamed byte-exact to curl; RSS growth stays under 2 × 25 MB', async () => {
    expect(big.length).toBeGreaterThan(SIZE - 100);
    await curlRetr(2, join(tls.dir, 'warmup.eml'));
    gc();
    const baseline = process.memoryUsage().rss;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss - baseline);
    }, 5);
    const started = performance.now();
    await curlRetr(1, join(tls.dir, 'timed.eml'));
    const elapsed = performance.now() - started;
    clearInterval(sampler);
    const received = await readFile(join(tls.dir, 'timed.eml'));
    console.info(
      `25 MB RETR via curl: ${elapsed.toFixed(0)} ms, server RSS growth ${(peak / MB).toFixed(1)} MB (uncollected garbage included)`,
    );
    expect(received.length).toBe(big.length);
    expect(sha256(received)).toBe(sha256(big));
    expect(peak).toBeLessThan(50 * MB);
    expect(hooks.fetches.map((f) => f.uid)).toContain(1);
  });

  it('holds only a few chunks of it in memory while streaming (live buffers after GC)', async () => {
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peakLive = 0;
    let samples = 0;
    // A GC before each sample: what is left is what the server really holds at that moment.
    const sampler = setInterval(() => {
      gc();
      peakLive = Math.max(peakLive, process.memoryUsage().arrayBuffers - baseline);
      samples++;
    }, 10);
    await curlRetr(1, join(tls.dir, 'sampled.eml'));
    clearInterval(sampler);
    const received = await readFile(join(tls.dir, 'sampled.eml'));
    console.info(`25 MB RETR, live buffers at most ${(peakLive / MB).toFixed(1)} MB (${samples} samples)`);
    expect(sha256(received)).toBe(sha256(big));
    expect(samples).toBeGreaterThan(5);
    expect(peakLive).toBeLessThan(12 * MB); // buffering the message or ignoring drain: > 20 MB
  });

  it('is read from the store only as fast as the client reads (backpressure)', async () => {
    const client = await loginAt(running.port, tls, USER, PASSWORD);
    try {
      const socket = client.socket;
      // take over the socket: count and hash what arrives after the status line
      socket.removeAllListeners('data');
      const hash = createHash('sha256');
      let status = '';
      let received = 0;
      let tail = Buffer.alloc(0);
      const done = new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          let data = chunk;
          if (status === '' || !status.endsWith('\r\n')) {
            const at = data.indexOf('\r\n');
            status += data.subarray(0, at + 2).toString();
            data = data.subarray(at + 2);
          }
          hash.update(data);
          received += data.length;
          tail = Buffer.concat([tail, data]).subarray(-5);
          if (tail.toString() === '\r\n.\r\n') resolve();
        });
      });
      socket.write('RETR 1\r\n');
      await waitFor(() => received > MB, 10_000, 'first megabyte');
      socket.pause();
      const stream = hooks.streams.at(-1)!;
      await sleep(500);
      const pulledAfterPause = stream.pulled;
      await sleep(500);
      console.info(
        `paused client: ${(received / MB).toFixed(1)} MB received, ${(stream.pulled / MB).toFixed(1)} MB pulled from the store`,
      );
      expect(stream.pulled).toBe(pulledAfterPause); // nothing more is read while the client does not read
      expect(stream.pulled).toBeLessThan(SIZE / 2);
      socket.resume();
      await done;
      expect(status).toBe(`+OK ${big.length} octets\r\n`);
      expect(hash.digest('hex')).toBe(expectedWireSha);
      expect(stream.pulled).toBe(big.length);
    } finally {
      client.close();
      await waitFor(() => running.server.connections === 0);
    }
  });

  it('a client that stops reading is disconnected after idleTimeoutMs; nothing recorded', async () => {
    const stalling = await startServer(hooks, tls, { idleTimeoutMs: 500 });
    try {
      const before = { fetches: hooks.fetches.length, releases: hooks.releases.length };
      const client = await loginAt(stalling.port, tls, USER, PASSWORD);
      client.socket.pause();
      client.send('RETR 1');
      await waitFor(() => stalling.server.connections === 0, 5_000, 'the stalled session to be closed');
      expect(hooks.fetches.length).toBe(before.fetches);
      expect(hooks.releases.length).toBe(before.releases + 1);
      expect(hooks.streams.at(-1)!.destroyed).toBe(true);
      client.close();
    } finally {
      await stalling.server.close();
    }
  });
});
