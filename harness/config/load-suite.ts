import { readYaml, validateYaml } from './load-yaml.ts';
import { Suite } from '../core/suite.ts';

/** Reads a suite file; paths inside it stay relative to the suite file (resolved in plan/). */
export function loadSuite(file: string): Suite {
  return validateYaml(readYaml(file, 'suite file'), Suite);
}
