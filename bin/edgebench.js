#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step), so `npx edgebench` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli.ts');
