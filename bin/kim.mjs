#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
// Both settings keep the peak RSS of ten parallel 25 MB messages well under 200 MB (their
// buffers are short-lived), measured by `npm run bench` (ADR 0004): --max-semi-space-size=2, a
// small young generation; MALLOC_ARENA_MAX=2, two glibc malloc arenas instead of one per thread
// (up to 16 here), whose freed buffers stayed resident: peak 186-199 MB -> 124-140 MB.
// Both take effect only at process start, so `npm start` passes them too.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('kim: not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(main);
