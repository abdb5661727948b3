#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('kim: not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(main);
