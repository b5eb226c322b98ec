#!/usr/bin/env node
// The CLI is shipped as TypeScript. tsx's loader (ESM and CommonJS hooks both, as `node --import tsx` does) lets it,
// and users' .ts agent files in any kind of package, run without a build step.
import 'tsx';

const { main } = await import('../src/cli/main.ts');
await main(process.argv);
