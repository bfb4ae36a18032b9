import { z } from 'zod';

/**
 * Every reporter, by the name --reporter takes. The registry in harness/report/reporters/registry.ts
 * holds one entry per name, so a name added here fails to compile until its reporter exists.
 */
export const ReporterName = z.enum(['console', 'verdict', 'html', 'json', 'markdown', 'junit', 'github', 'step-summary', 'benchmark-json', 'bencher-json']);
export type ReporterName = z.infer<typeof ReporterName>;
