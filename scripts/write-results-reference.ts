// Regenerates docs/results-reference.md from the zod schema's descriptions. Usage: npm run docs:results
import { writeFile } from 'node:fs/promises';
import { renderResultsReference } from '../harness/results/results-reference.ts';

const RESULTS_REFERENCE_FILE = 'docs/results-reference.md';

await writeFile(RESULTS_REFERENCE_FILE, renderResultsReference());
console.log(RESULTS_REFERENCE_FILE);
