#!/usr/bin/env node
// The CLI is compiled from src/cli by `npm run build` (run automatically by `npm install`).
import '../dist/cli/bin.js';
