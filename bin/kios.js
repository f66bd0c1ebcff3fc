#!/usr/bin/env node
// The CLI is compiled from src/cli by `npm run build` (run automatically by `npm install`).
import { main } from '../dist/cli/index.js';

main(process.argv).catch((err) => {
  process.stderr.write(`kios: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
