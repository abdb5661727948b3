import { describe, expect, it } from 'vitest';
import { BerReader } from '../../../adapters/crypto/ber.js';
import { Tag, tlv } from '../../../adapters/crypto/der.js';
import { decodeTime } from '../../../adapters/crypto/time.js';

function timeOf(tag: number, text: string): Date {
  const reader = new BerReader(tlv(tag, Buffer.from(text, 'latin1')));
  const el = reader.root();
  return decodeTime(el, reader.content(el), 'signingTime');
}

describe('decodeTime', () => {
  it('reads UTCTime with the RFC 5280 century rule and GeneralizedTime with fractions', () => {
    expect(timeOf(Tag.utcTime, '260504030201Z')).toEqual(new Date('2026-05-04T03:02:01Z'));
    expect(timeOf(Tag.utcTime, '491231235959Z')).toEqual(new Date('2049-12-31T23:59:59Z'));
    expect(timeOf(Tag.utcTime, '500101000000Z')).toEqual(new Date('1950-01-01T00:00:00Z'));
    expect(timeOf(Tag.generalizedTime, '20500101000000Z')).toEqual(new Date('2050-01-01T00:00:00Z'));
    expect(timeOf(Tag.generalizedTime, '20260504030201.25Z')).toEqual(new Date('2026-05-04T03:02:01.250Z'));
  });

  it('refuses local times, offsets, missing seconds, impossible dates and other types', () => {
    const bad: [number, string][] = [
      [Tag.utcTime, '260504030201'],
      [Tag.utcTime, '260504030201+0200'],
      [Tag.utcTime, '2605040302Z'],
      [Tag.utcTime, '261304030201Z'],
      [Tag.utcTime, '260230030201Z'],
      [Tag.generalizedTime, '20260504030201'],
      [Tag.generalizedTime, '20260504246001Z'],
      [Tag.ia5String, '260504030201Z'],
    ];
    for (const [tag, text] of bad) {
      expect(() => timeOf(tag, text), text).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    }
  });
});
