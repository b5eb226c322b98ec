#!/usr/bin/env node
// The CLI is shipped as TypeScript; tsx's loader lets it (and users' .ts agent files) run without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
