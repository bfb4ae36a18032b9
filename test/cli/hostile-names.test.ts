import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inertWorkflowCommands, oneLine, safeLines, forTerminal } from '../../harness/report/terminal-text.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';
import { latencies, results } from '../helpers/results.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
/** Anything a terminal or the Actions runner would act on: C0/C1 controls but newline, DEL, bidi overrides. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
});
afterAll(() => project.cleanup());

const edgebench = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', ...env } });

describe('names with control characters in a config are refused at load', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'suite name with ESC (window title)',
      'suites/esc.yaml',
      suiteYaml().replace('name: small', 'name: "small\\e]0;pwned\\a"'),
      /name: contains the control character U\+001B at position 5/,
    ],
    [
      'budget name with a newline and a workflow command',
      'suites/newline.yaml',
      suiteYaml({ extra: 'budgets:\n  - {name: "p50\\n::stop-commands::tok", metric: latency.p50, max: 100}' }),
      /budgets\[0\]\.name: contains the control character U\+000A/,
    ],
    [
      'baseline model with a bidi override',
      'suites/bidi.yaml',
      suiteYaml({ extra: 'classification:\n  labels: [a, b, c, d]\nbaseline:\n  provider: openai-compatible\n  model: "gpt\\u202Eevil"' }),
      /baseline\.model: contains the control character U\+202E/,
    ],
    [
      'class label with DEL',
      'suites/del.yaml',
      suiteYaml({ extra: 'classification:\n  labels: [a, "b\\x7f", c, d]' }),
      /classification\.labels\[1\]: contains the control character U\+007F/,
    ],
  ];
  for (const [what, file, yaml, expected] of cases) {
    it(what, async () => {
      await project.write(file, yaml);
      const result = await edgebench(['validate', '--suite', file]);
      expect(result.exitCode, result.stdout + result.stderr).toBe(2);
      expect(result.stderr).toMatch(expected);
      expect(result.stderr).toMatch(/fix: remove the character/);
      expect(result.stderr).not.toMatch(RAW_CONTROL);
    });
  }

  it('a device class with a line separator in devices.yaml', async () => {
    await project.write('devices-bad.yaml', 'devices:\n  - id: host\n    kind: local\n    class: "mid\\u2028::error::x"\n');
    const result = await edgebench(['validate', '--suite', 'suites/small.yaml', '--devices', 'devices-bad.yaml']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/devices\[0\]\.class: contains the control character U\+2028/);
  });
});

describe('names from a results file are printed escaped (the real CLI)', () => {
  const hostileVariant = 'int8\u001b[2J\n::stop-commands::tok\r::error::forged\u0007';
  beforeAll(async () => {
    const budgets = { budgets: [{ metric: 'latency.p50', max: 0.001 }] };
    const cells = (scale: number) => [{ variant: hostileVariant, deviceId: 'host', samples: latencies(60, 10 * scale, 1), repeats: 3 }];
    await project.write('baseline.json', JSON.stringify(results(cells(1), { runId: 'b', suite: budgets })));
    await project.write('candidate.json', JSON.stringify(results(cells(1.5), { runId: 'c', suite: budgets })));
  });

  it('compare under GitHub Actions: no raw control character, no line the runner would read as a command but its own annotations', async () => {
    const result = await edgebench(['compare', 'baseline.json', 'candidate.json', '--all'], { GITHUB_ACTIONS: 'true' });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout + result.stderr).not.toMatch(RAW_CONTROL);
    const commands = result.stdout.split('\n').filter((line) => line.trimStart().startsWith('::') || line.includes('##['));
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) expect(line).toMatch(/^::(error|warning) title=edgebench /);
    expect(result.stdout).toContain('int8\\u001b[2J\\u000a::stop-commands::tok\\u000d::error::forged\\u0007');
    // In an annotation the newline is escaped the way the runner decodes it.
    expect(commands.find((line) => line.startsWith('::error'))).toContain('int8\\u001b[2J%0A%3A%3Astop-commands%3A%3Atok%0D%3A%3Aerror%3A%3Aforged\\u0007');
  });

  it('compare on a terminal: escapes the same characters', async () => {
    const result = await edgebench(['compare', 'baseline.json', 'candidate.json', '--all']);
    expect(result.stdout + result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stdout.split('\n').some((line) => line.trimStart().startsWith('::'))).toBe(false);
  });
});

describe('terminal text', () => {
  it('escapes control characters visibly, keeping newlines only in multi-line text', () => {
    expect(oneLine('a\u001b[31mb\nc\u009b\u202e\u2066')).toBe('a\\u001b[31mb\\u000ac\\u009b\\u202e\\u2066');
    expect(safeLines('a\u0007\nb\r')).toBe('a\\u0007\nb\\u000d');
    expect(oneLine('plain ASCII, é, 中文, emoji 🙂')).toBe('plain ASCII, é, 中文, emoji 🙂');
  });

  it('makes workflow commands inert under GitHub Actions only', () => {
    expect(inertWorkflowCommands('ok\n::error::x\n  ::warning title=a::b\nnot :: here\n##[error]y')).toBe(
      'ok\n\\u003a:error::x\n  \\u003a:warning title=a::b\nnot :: here\n#\\u0023[error]y',
    );
    expect(forTerminal('::set-output name=a::b', { GITHUB_ACTIONS: 'true' })).toBe('\\u003a:set-output name=a::b');
    expect(forTerminal('::set-output name=a::b', {})).toBe('::set-output name=a::b');
  });
});
