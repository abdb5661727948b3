import { describe, expect, it } from 'vitest';
import { assertPatchable } from '../../../src/mail/smtp/patchGuard.js';

describe('assertPatchable', () => {
  it('lets a patch go on while the replaced code still holds the statement it exists for', () => {
    expect(() =>
      assertPatchable('demo', 'function f() { setTimeout(g, 100); }', 'setTimeout(g, 100)', 'f'),
    ).not.toThrow();
  });

  it('stops start-up when the replaced code changed, naming the version, the patch and where to look', () => {
    expect(() =>
      assertPatchable('demo', 'function f() { g(); }', 'setTimeout(g, 100)', 'f in demo.ts'),
    ).toThrow(/^smtp-server 3\.21\.6: the demo patch was verified against 3\.21\.6; re-check f in demo\.ts$/);
  });
});
