import type { Command } from 'commander';
import { buildPlan } from '../plan/plan.ts';
import { ConfigError, ConfigErrors } from '../config/errors.ts';
import { configOptions } from './common.ts';
import { print } from '../report/terminal-text.ts';

export function validateCommand(program: Command): void {
  configOptions(program.command('validate'))
    .description('Check devices.yaml, the suite, its models and its dataset without running anything.')
    .action(async (opts: { suite: string; devices: string; device?: string[] }) => {
      const plan = await buildPlan({ suiteFile: opts.suite, devicesFile: opts.devices, deviceIds: opts.device });
      // run records a broken model as its cells' failure and goes on; validate is the place to refuse it.
      const broken = plan.variants.filter((v) => v.problem);
      if (broken.length)
        throw new ConfigErrors(
          broken.map(
            (v) => new ConfigError(opts.suite, `variants (${v.variant.name})`, `${v.problem!.code}: ${v.problem!.message}`, 'see the fix in the message'),
          ),
        );
      print(`${opts.suite}: ok (${plan.dataset.examples.length} examples)`);
      print(`${opts.devices}: ok (${plan.devices.map((d) => `${d.id} [${d.kind}]`).join(', ')})`);
      for (const { variant } of plan.variants)
        print(`  ${variant.name.padEnd(16)} ${(variant.precision ?? '?').padEnd(5)} ${String(variant.diskBytes).padStart(12)} bytes  sha256 ${variant.sha256}`);
      for (const warning of plan.warnings) print(`warning: ${warning}`);
    });
}
