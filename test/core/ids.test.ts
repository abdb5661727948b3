import { describe, expect, it } from 'vitest';
import { uuidv5 } from '../../src/core/ids.js';

describe('uuidv5', () => {
  it('matches the RFC 4122 test vector (DNS namespace, www.example.com)', () => {
    expect(uuidv5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('is deterministic and differs for different names', () => {
    expect(uuidv5('deleted:m1:7')).toBe(uuidv5('deleted:m1:7'));
    expect(uuidv5('deleted:m1:7')).not.toBe(uuidv5('deleted:m1:8'));
  });
});
