// Builds the demo models into models/demo (git-ignored). Usage: npm run build:demo-models [-- --force]
import { buildDemoModels } from './demo/build.ts';

const paths = await buildDemoModels('models/demo', { force: process.argv.includes('--force'), log: (line) => console.log(line) });
for (const [what, path] of Object.entries(paths)) console.log(`${what.padEnd(16)} ${path}`);
