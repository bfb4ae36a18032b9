/**
 * Fault injection against real runs of the CLI: for each fault, the error the
 * run reports, what it kept on disk, and whether `run --resume` completes it.
 * Every fault is real: processes are killed, a disk fills, a model file is
 * rewritten under the run. Prints a Markdown table.
 *
 *   npm run faults                  (as root: the OOM and disk-full scenarios need cgroups and mount)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { readJournal } from '../harness/results/journal.ts';
import { Results } from '../harness/core/results.ts';
import { smallProject, suiteYaml, writeSmallModel, type TempProject } from '../test/helpers/project.ts';
import { SSHD_BINARY, startSshd } from '../test/helpers/sshd.ts';

const BIN = fileURLToPath(new URL('../bin/edgebench.js', import.meta.url));
const project: TempProject = await smallProject();
const TWO_VARIANTS = '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/copy.onnx}';
await copyFile(project.path('models/small/model.onnx'), project.path('models/small/copy.onnx'));
await project.write('suites/two.yaml', suiteYaml({ iterations: 300_000, repeats: 2, variants: TWO_VARIANTS }));
await project.write('suites/long-two.yaml', suiteYaml({ iterations: 300_000, repeats: 2, variants: TWO_VARIANTS }));
await project.write('suites/small-two.yaml', suiteYaml({ iterations: 3000, repeats: 2, variants: TWO_VARIANTS }));
await project.write('suites/hang.yaml', suiteYaml({ iterations: 100_000, repeats: 2, variants: TWO_VARIANTS, extra: 'timeoutSeconds: 8' }));

interface Row {
  fault: string;
  error: string;
  kept: string;
  resume: string;
}
const rows: Row[] = [];

const cli = (args: string[]) => execa(process.execPath, [BIN, ...args, '--no-report'], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

/** Starts a run and calls `inject` once the journal shows timed samples of the given process (1-based). */
function runWithFault(args: string[], runDir: string, inject: (journal: string, child: ResultPromise) => void, atProcess = 1): ResultPromise {
  const child = execa(process.execPath, [BIN, ...args, '--no-report'], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
  const journal = project.path(`${runDir}/journal.jsonl`);
  let done = false;
  const poll = setInterval(() => {
    if (done || !existsSync(journal)) return;
    const text = readFileSync(journal, 'utf8');
    const starts = text.split('\n').filter((l) => l.startsWith('{"type":"start"')).length;
    const current = text.slice(text.lastIndexOf('{"type":"start"'));
    // Mid-process: its timed samples are streaming and it has not ended.
    if (starts >= atProcess && current.includes('"phase":"timed"') && !current.includes('"type":"done"') && !current.includes('{"type":"end"')) {
      try {
        inject(text, child);
      } catch (error) {
        // The process ended between the read and the fault: catch the next one.
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
        throw error;
      }
      done = true;
      clearInterval(poll);
    }
  }, 25);
  void child.finally(() => clearInterval(poll));
  return child;
}

/** The pid of the runner the journal's last hello names. */
const lastRunnerPid = (journal: string) =>
  (
    JSON.parse(
      journal
        .split('\n')
        .filter((l) => l.includes('"type":"hello"'))
        .at(-1)!,
    ) as { event: { pid: number } }
  ).event.pid;

async function summarize(
  fault: string,
  runDir: string,
  first: { exitCode?: number; stderr?: unknown },
  resumeArgs: string[] | undefined,
  before?: () => Promise<void> | void,
) {
  const errorLine =
    String(first.stderr ?? '')
      .split('\n')
      .find((l) => /FAILED|cannot write|error/.test(l))
      ?.trim() ?? `(exit ${first.exitCode})`;
  const kept = await readJournal(project.path(`${runDir}/journal.jsonl`)).then(
    (j) =>
      `${j.completed.length} runner process(es) in the journal; results.json ${existsSync(project.path(`${runDir}/results.json`)) ? 'present' : 'missing'}`,
    (e: Error) => `journal unreadable: ${e.message}`,
  );
  let resume = 'not needed';
  if (resumeArgs) {
    await before?.();
    const resumed = await cli(resumeArgs);
    const results = Results.parse(JSON.parse(await readFile(project.path(`${runDir}/results.json`), 'utf8')));
    resume = `exit ${resumed.exitCode}, status ${results.status}, cells ${results.cells.map((c) => `${c.deviceId}/${c.variant.name} ${c.status}${c.error ? ` ${c.error.code}` : ''} (${c.repeats?.length ?? 0} proc.)`).join(', ')}`;
  }
  rows.push({ fault, error: `exit ${first.exitCode}: ${errorLine.slice(0, 160)}`, kept, resume });
  console.error(`${fault}: done`);
}

// 1. A runner killed from outside (SIGKILL), mid-cell.
{
  const run = runWithFault(['run', '--suite', 'suites/two.yaml', '--run-id', 'sigkill'], 'reports/sigkill', (journal) =>
    process.kill(lastRunnerPid(journal), 'SIGKILL'),
  );
  await summarize('runner SIGKILL', 'reports/sigkill', await run, ['run', '--resume', 'reports/sigkill']);
}

// 2. A runner that hangs (SIGSTOP): the suite's timeout ends it.
{
  let stopped = 0;
  const run = runWithFault(['run', '--suite', 'suites/hang.yaml', '--run-id', 'hung'], 'reports/hung', (journal) => {
    stopped = lastRunnerPid(journal);
    process.kill(stopped, 'SIGSTOP');
  });
  await summarize('hung runner (SIGSTOP, timeoutSeconds 8)', 'reports/hung', await run, ['run', '--resume', 'reports/hung']);
}

// 3. Ctrl-C to the CLI.
{
  const run = runWithFault(['run', '--suite', 'suites/two.yaml', '--run-id', 'sigint'], 'reports/sigint', (_j, child) => child.kill('SIGINT'), 2);
  await summarize('SIGINT to the CLI', 'reports/sigint', await run, ['run', '--resume', 'reports/sigint']);
}

// 4. A variant file rewritten under the run, then restored.
{
  const original = await readFile(project.path('models/small/copy.onnx'));
  const run = runWithFault(['run', '--suite', 'suites/two.yaml', '--run-id', 'swapped'], 'reports/swapped', () => {
    const changed = Buffer.from(original);
    changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 1, changed.length - 1);
    void writeFile(project.path('models/small/copy.onnx'), changed);
  });
  await summarize('variant file rewritten mid-run (then restored)', 'reports/swapped', await run, ['run', '--resume', 'reports/swapped'], () =>
    writeFile(project.path('models/small/copy.onnx'), original),
  );
}

// 5. OOM under a memory cap (an emulated device, real cgroups).
{
  await writeSmallModel(project, 'models/big/model.onnx', { shape: { vocabularySize: 200_000, embeddingSize: 64 } });
  await project.write('suites/big.yaml', suiteYaml({ iterations: 50, variants: '  - {name: big, precision: fp32, file: ../models/big/model.onnx}' }));
  await project.write('capped.yaml', 'devices:\n  - id: capped\n    kind: emulated\n    cpus: [0]\n    memoryMiB: 40\n');
  const run = await cli(['run', '--suite', 'suites/big.yaml', '--devices', 'capped.yaml', '--run-id', 'oom']);
  await summarize('OOM under a 40 MiB cgroup cap', 'reports/oom', run, ['run', '--resume', 'reports/oom']);
}

// 6. The results folder fills up (a 96 KiB tmpfs), then gets space.
{
  await mkdir(project.path('full'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'edgebench-faults', project.path('full')]);
  try {
    const run = await cli(['run', '--suite', 'suites/small-two.yaml', '--out', 'full', '--run-id', 'disk']);
    await summarize(
      'results folder full (96 KiB tmpfs, then 64 MiB)',
      'full/disk',
      run,
      ['run', '--resume', 'full/disk'],
      () => void execFileSync('mount', ['-o', 'remount,size=64m', project.path('full')]),
    );
  } finally {
    execFileSync('umount', [project.path('full')]);
  }
}

// 7. The SSH board's sshd dies mid-run, and comes back (the same server: its config, port and host key).
{
  const sshd = await startSshd();
  let again: ResultPromise | undefined;
  await project.write(
    'board.yaml',
    `devices:\n  - id: board\n    kind: ssh\n    host: 127.0.0.1\n    port: ${sshd.port}\n    user: ${sshd.user}\n    identityFile: ${sshd.identityFile}\n    sshConfig: ${sshd.clientConfig}\n`,
  );
  try {
    let killed = false;
    const run = runWithFault(['run', '--suite', 'suites/long-two.yaml', '--devices', 'board.yaml', '--run-id', 'sshd'], 'reports/sshd', () => {
      killed = true;
      void sshd.killSshd();
    });
    const first = await run;
    await summarize(
      `sshd killed mid-run (then restarted)${killed ? '' : ': NOT INJECTED (no process was caught mid-run)'}`,
      'reports/sshd',
      first,
      ['run', '--resume', 'reports/sshd'],
      async () => {
        if (!killed) return;
        again = execa(SSHD_BINARY, ['-D', '-e', '-f', join(sshd.dir, 'sshd_config')], { reject: false, stdin: 'ignore', stdout: 'ignore', buffer: false });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the restarted sshd did not listen within 10 s')), 10_000);
          again!.stderr?.on('data', (chunk: Buffer) => /Server listening/.test(chunk.toString()) && (clearTimeout(timer), resolve()));
        });
      },
    );
  } finally {
    again?.kill('SIGKILL');
    await sshd.stop();
  }
}

console.log('\n| fault | error reported | kept on disk | `run --resume` |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.fault} | ${r.error.replace(/\|/g, '\\|')} | ${r.kept} | ${r.resume.replace(/\|/g, '\\|')} |`);
await project.cleanup();
