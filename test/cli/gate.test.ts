import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Results } from '../../harness/core/results.ts';
import { fakeGitHub, type FakeGitHub } from '../helpers/fake-github.ts';
import { smallProject, suiteYaml, writeSmallModel, type TempProject } from '../helpers/project.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const TOKEN = 'ghs_GateActionSecret0987654321';
/** Dozens of real runner processes: minutes on a busy 2-core machine. */
const RUNS_TIMEOUT = 900_000;

let project: TempProject;
let github: FakeGitHub;
beforeAll(async () => {
  project = await smallProject();
  github = await fakeGitHub();
  // A much larger model: a pull request that made inference several times slower.
  await writeSmallModel(project, 'models/big/model.onnx', { shape: { embeddingSize: 512, hiddenSize: 4096 } });
  const variants = [
    '  - {name: main, precision: fp32, file: ../models/small/model.onnx}',
    '  - {name: same, precision: fp32, file: ../models/small/model.onnx}',
    '  - {name: pr, precision: fp32, file: ../models/big/model.onnx}',
  ].join('\n');
  await project.write('suites/gate.yaml', suiteYaml({ iterations: 40, warmup: 5, variants }));
  // One variant name in two suites: a stored run of main's model, and the pull request's model under the same name.
  // Six processes a side, every one run: between-process tests need the degrees of freedom on a loaded machine.
  const stored = { iterations: 40, warmup: 5, repeats: 6, extra: 'adaptiveRepeats:\n  enabled: false' };
  await project.write('suites/one.yaml', suiteYaml(stored));
  await project.write('suites/one-slow.yaml', suiteYaml({ ...stored, variants: '  - {name: fp32, precision: fp32, file: ../models/big/model.onnx}' }));
  await project.write('event.json', JSON.stringify({ number: 12, pull_request: { number: 12 } }));
});
afterAll(async () => {
  await github.close();
  await project.cleanup();
});

const edgebench = (args: string[]) =>
  execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' } });
const readRun = async (id: string) => Results.parse(JSON.parse(await readFile(project.path(`reports/${id}/results.json`), 'utf8')));

/**
 * Runs one step of action.yml the way a runner does: its env map evaluated (only the expressions the action
 * uses), its script through bash, with the variables a GitHub Actions runner sets.
 */
async function runActionStep(id: string, inputs: Record<string, string>, outputs: Record<string, string>, runner: Record<string, string>) {
  const action = parse(await readFile(`${ROOT}/action.yml`, 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { steps: { id?: string; name?: string; run?: string; env?: Record<string, string> }[] };
  };
  const step = action.runs.steps.find((s) => s.id === id || s.name === id)!;
  const evaluate = (text: string) =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
      if (expression === 'github.action_path') return ROOT;
      const input = /^inputs\.([\w-]+)$/.exec(expression);
      if (input) return inputs[input[1]!] ?? action.inputs[input[1]!]?.default ?? '';
      const output = /^steps\.gate\.outputs\.([\w-]+)$/.exec(expression);
      if (output) return outputs[output[1]!] ?? '';
      throw new Error(`the test does not evaluate \${{ ${expression} }}`);
    });
  const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, evaluate(v)]));
  return execa('bash', ['-e', '-c', step.run!], { cwd: project.dir, reject: false, env: { ...runner, ...env }, extendEnv: true });
}

describe('edgebench gate (the real CLI)', () => {
  it(
    "runs the action's gate and comment steps: interleaved A/B stops early on the regression, exits 1, and comments once",
    async () => {
      const action = await readFile(`${ROOT}/action.yml`, 'utf8');
      // Inputs reach scripts through env only: ${{ }} inside a run: script would let an input inject shell code.
      for (const step of (parse(action) as { runs: { steps: { run?: string }[] } }).runs.steps) expect(step.run ?? '').not.toMatch(/\$\{\{/);
      await project.write('github-output', '');
      const runner = {
        GITHUB_ACTIONS: 'true',
        GITHUB_RUN_ID: '777',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_OUTPUT: project.path('github-output'),
        GITHUB_STEP_SUMMARY: project.path('step-summary.md'),
        GITHUB_REPOSITORY: 'owner/repo',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: project.path('event.json'),
        GITHUB_API_URL: github.url,
        GITHUB_SERVER_URL: 'https://github.com',
      };
      const inputs = { suite: 'suites/gate.yaml', baseline: 'main', candidate: 'pr', 'github-token': TOKEN };
      const gate = await runActionStep('gate', inputs, {}, runner);
      expect(gate.exitCode, gate.stderr).toBe(1);
      expect(gate.stderr).toMatch(/interleaved A\/B of main \(A\) and pr \(B\).*after it, both variants in one process per round/);
      expect(gate.stdout).toMatch(/^::error title=.*default gate%3A latency\.p50 not regressed/m);
      const outputs = Object.fromEntries(
        (await readFile(project.path('github-output'), 'utf8'))
          .trim()
          .split('\n')
          .map((line) => line.split('=') as [string, string]),
      );
      expect(outputs).toEqual({ 'run-dir': 'reports/gate-777-1', status: 'fail' });

      const results = await readRun('gate-777-1');
      const sequential = results.ab!.sequential!;
      expect(sequential.devices).toEqual([expect.objectContaining({ deviceId: 'host', stopped: 'regressed' })]);
      // Paired by default: the first round alone, the others in one process each.
      expect(results.ab!.pairedOn).toEqual(['host']);
      expect(results.cells.find((c) => c.variant.name === 'pr')!.repeats!.map((r) => r.pairedWith ?? 'alone')).toEqual([
        'alone',
        ...Array.from({ length: sequential.devices[0]!.rounds - 1 }, () => 'main'),
      ]);
      // Stopped well before the most rounds it could have run, and the record says how many ran.
      expect(sequential.devices[0]!.rounds).toBeLessThan(sequential.maxRounds);
      expect(results.cells.find((c) => c.variant.name === 'pr')!.repeats!.length).toBe(sequential.devices[0]!.rounds);
      const summary = await readFile(project.path('reports/gate-777-1/summary.md'), 'utf8');
      expect(summary).toMatch(/^## ❌ edgebench gate: FAIL/);
      expect(summary).toMatch(/Sequential stopping/);
      expect(summary).toMatch(/Paired rounds on host: after a first round of a runner process per variant/);
      expect(await readFile(project.path('reports/gate-777-1/junit.xml'), 'utf8')).toMatch(/<failure /);
      expect(await readFile(project.path('reports/gate-777-1/index.html'), 'utf8')).toMatch(/<html/);

      for (const attempt of [1, 2]) {
        const posted = await runActionStep('Comment on the pull request', inputs, outputs, runner);
        expect(posted.exitCode, posted.stderr).toBe(0);
        expect(posted.stderr).toMatch(attempt === 1 ? /commented on pull request #12/ : /updated the comment on pull request #12/);
        expect(posted.stdout + posted.stderr).not.toContain(TOKEN);
      }
      expect([...github.comments.values()]).toEqual([expect.objectContaining({ issue: 12, body: expect.stringMatching(/^<!-- edgebench-gate -->\n## ❌/) })]);
      expect(gate.stdout + gate.stderr).not.toContain(TOKEN);
    },
    RUNS_TIMEOUT,
  );

  it(
    'passes (exit 0) a model against a copy of itself, unpaired with --no-paired',
    async () => {
      const result = await edgebench([
        'gate',
        '--suite',
        'suites/gate.yaml',
        '--baseline',
        'main',
        '--candidate',
        'same',
        '--rounds',
        '12',
        '--run-id',
        'aa',
        '--no-paired',
      ]);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^PASS/);
      expect(result.stderr).toMatch(/each round's two processes one after the other \(--no-paired\)/);
      const run = await readRun('aa');
      expect(run.ab!.pairedOn).toBeUndefined();
      expect(run.cells.flatMap((c) => c.repeats!.filter((r) => r.pairedWith))).toEqual([]);
      const sequential = run.ab!.sequential!;
      expect(sequential.devices[0]!.stopped).not.toBe('regressed');
    },
    RUNS_TIMEOUT,
  );

  it(
    'passes a candidate several times faster, and writes its report, when the rounds stop before the 95% sequence bounds the change',
    async () => {
      const result = await edgebench(['gate', '--suite', 'suites/gate.yaml', '--baseline', 'pr', '--candidate', 'main', '--run-id', 'faster']);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/internal error/);
      // A consistent several-fold change decides "not worse" at 90% in about 9 rounds, before a 95% sequence can
      // exclude anything: its open end is said in words, and no results file or report holds an infinite bound.
      const line = result.stdout.split('\n').find((l) => /default gate: latency\.p50 not regressed/.test(l))!;
      expect(line).toMatch(/latency\.p50 (unchanged|improved) \(-[3-9]\d\.\d%\)/);
      expect(result.stdout).not.toMatch(/Infinity/);
      if (/unbounded/.test(line)) expect(line).toMatch(/\[-100\.0%, unbounded\] \(95% confidence sequence\)/);
      expect(await readFile(project.path('reports/faster/summary.md'), 'utf8')).not.toMatch(/Infinity/);
      expect(await readFile(project.path('reports/faster/index.html'), 'utf8')).toMatch(/<html/);
      expect((await readRun('faster')).ab!.sequential!.devices[0]!.stopped).not.toBe('regressed');
    },
    RUNS_TIMEOUT,
  );

  it(
    '--quick runs at most 20 rounds and its summary says what it guarantees and the smallest change its rounds resolved',
    async () => {
      const result = await edgebench(['gate', '--suite', 'suites/gate.yaml', '--baseline', 'main', '--candidate', 'same', '--quick', '--run-id', 'quick']);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      const sequential = (await readRun('quick')).ab!.sequential!;
      expect(sequential).toMatchObject({ tier: 'quick', maxRounds: 20 });
      const device = sequential.devices[0]!;
      expect(device.rounds).toBeLessThanOrEqual(20);
      const summary = await readFile(project.path('reports/quick/summary.md'), 'utf8');
      expect(summary).toMatch(/Quick tier \(--quick\): at most 20 rounds/);
      expect(summary).toMatch(/Guaranteed: a regressed verdict without a real change in at most 1\.0% of gates/);
      // A tiny model's rounds are noisy: whether 20 or fewer bound the change at the level a regressed verdict needs varies by run.
      if (device.resolves === undefined) expect(summary).toMatch(/Its rounds were too few or too spread to bound a change/);
      else {
        expect(device.resolves).toBeGreaterThanOrEqual(sequential.threshold);
        expect(summary).toContain(`Its rounds could tell a change of ${(device.resolves * 100).toFixed(1)}% or more in the median from none.`);
      }
      const both = await edgebench(['gate', '--suite', 'suites/gate.yaml', '--baseline', 'main', '--candidate', 'same', '--quick', '--rigorous']);
      expect(both.exitCode).toBe(2);
      expect(both.stderr).toMatch(/--quick.*cannot be used with.*--rigorous|--rigorous.*cannot be used with.*--quick/);
    },
    RUNS_TIMEOUT,
  );

  it(
    'against a stored baseline run, runs only the candidate and says what that costs in trust',
    async () => {
      expect((await edgebench(['run', '--suite', 'suites/one.yaml', '--run-id', 'main', '--no-report'])).exitCode).toBe(0);
      const result = await edgebench(['gate', '--suite', 'suites/one-slow.yaml', '--baseline', 'reports/main', '--candidate', 'fp32', '--run-id', 'pr']);
      expect(result.exitCode, result.stdout + result.stderr).toBe(1);
      expect(result.stderr).toMatch(/against the stored run main .*drift of the machine between the two runs is not controlled/);
      expect(await readFile(project.path('reports/pr/summary.md'), 'utf8')).toMatch(/Stored baseline: run main/);
      expect((await readRun('pr')).cells.map((c) => c.variant.name)).toEqual(['fp32']);
    },
    RUNS_TIMEOUT,
  );

  it('exits 2, running nothing, for a side that is neither a variant nor a run', async () => {
    const result = await edgebench(['gate', '--suite', 'suites/gate.yaml', '--baseline', 'main', '--candidate', 'nowhere']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--candidate.*"nowhere" is neither a variant/s);
  });
});
