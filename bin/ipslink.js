#!/usr/bin/env node
// Installed entry point. After `make build` it runs the compiled CLI
// (dist/src/cli/main.js) and loads no TypeScript tooling at all, so it starts
// fast. In a checkout without a build (no dist/) it falls back to registering
// tsx and running the sources, as `npm run ipslink` does in development.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);

if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
