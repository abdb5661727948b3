import { describe, expect, it } from 'vitest';
import { bytesInMemory, readHead } from '../../../src/clientmodul/message/byteSource.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

async function rest(iterator: AsyncIterator<Buffer>): Promise<string> {
  const parts: string[] = [];
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
    parts.push(next.value.toString('latin1'));
  return parts.join('|');
}

describe('readHead', () => {
  const source = bytesInMemory([b('Subject: a\r\n'), b('\r\nbody one'), b(' and two')]);

  it('copies the start up to the limit and leaves the rest, the cut chunk first', async () => {
    const head = await readHead(source.chunks(), 15);
    expect(head.head.toString('latin1')).toBe('Subject: a\r\n\r\nb');
    expect(head.complete).toBe(false);
    expect(await rest(head.rest)).toBe('ody one| and two');
  });

  it('stops after the chunk that satisfies `enough`, and says when it read everything', async () => {
    const head = await readHead(source.chunks(), 1000, (start) => start.includes('\r\n\r\n'));
    expect(head.head.toString('latin1')).toBe('Subject: a\r\n\r\nbody one');
    expect(await rest(head.rest)).toBe(' and two');
    const all = await readHead(source.chunks(), 1000);
    expect(all).toMatchObject({ complete: true });
    expect(all.head.toString('latin1')).toBe('Subject: a\r\n\r\nbody one and two');
  });
});
