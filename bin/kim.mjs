#!/usr/bin/env -S node --max-semi-space-size=2
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
// --max-semi-space-size=2: a small young generation keeps the peak RSS of ten parallel 25 MB
// messages under 200 MB (their buffers are short-lived); measured by `npm run bench` (ADR 0004).
// V8 takes this flag only at start-up, so `npm start` passes it too.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('kim: not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(main);
