import { z } from 'zod';
import { printableText } from './printable-text.ts';

/**
 * Energy and thermal settings: per device (devices.yaml) where they describe
 * the hardware, per suite where they describe the benchmark's protocol.
 */

export const PowerModel = z
  .strictObject({
    name: printableText(z.string().min(1)).describe(
      'Name shown in the label of every figure computed with it: "estimated (CPU time x <name>)", e.g. "pi5-datasheet".',
    ),
    idleWatts: z.number().nonnegative().describe('Power the device draws while idle, in W; counted for the whole timed phase.'),
    activeWattsPerCore: z.number().positive().describe('Extra power of one fully busy core, in W; multiplied by the CPU time the runner used.'),
  })
  .describe("A power model for devices without an energy counter: energy is estimated from the runner's CPU time and always labelled as an estimate.");
export type PowerModel = z.infer<typeof PowerModel>;

export const PowerMeter = z
  .strictObject({
    command: z
      .union([z.array(z.string().min(1)).min(1), z.string()])
      .superRefine((command, ctx) => {
        if (typeof command !== 'string') return;
        const words = command.split(/\s+/).filter(Boolean);
        ctx.addIssue({
          code: 'custom',
          message: 'the command must be a list of arguments: it runs without a shell',
          params: {
            fix: `write it as a list, e.g. [${words.map((w) => JSON.stringify(w)).join(', ')}]; pipes and redirections belong in a script of their own`,
          },
        });
      })
      .transform((command) => command as string[])
      .describe(
        'Command and arguments (run without a shell) that keeps printing one reading per line while the cell runs, e.g. ["python3", "tools/read-usb-meter.py", "--follow"]. edgebench stops it when the cell ends.',
      ),
    reports: z
      .enum(['joules', 'watts'])
      .describe('joules: each line is a cumulative energy counter; watts: each line is the power at that moment, integrated over time.'),
  })
  .describe('An external power meter (USB meter, smart plug, lab supply): its readings are measured energy of the whole device.');
export type PowerMeter = z.infer<typeof PowerMeter>;

export const ProbeOptions = z
  .strictObject({
    root: z
      .string()
      .min(1)
      // A board's reader takes the paths one a line: a root holding a line break would split every path in two.
      .refine((root) => !/[\n\r\0]/.test(root), {
        message: 'the directory cannot hold a line break or a NUL character',
        params: { fix: 'rename the directory (or copy the tree to one) whose name has no line break' },
      })
      .optional()
      .describe(
        "Directory the device's /sys and /proc are read under. Default \"/\": the device's own files. For devices on this machine, relative to the directory edgebench runs in; for an SSH board or an Android phone, a path on the device (relative to its login directory), e.g. a copy of another machine's tree.",
      ),
    rateHz: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .describe(
        'Probe samples per second, taken in the edgebench process beside the runner (default 10). 0 turns sampling off: energy and temperatures are then unavailable, except a powerModel estimate.',
      ),
  })
  .describe('Where and how often energy and thermal probes read this device.');
export type ProbeOptions = z.infer<typeof ProbeOptions>;

export const DEFAULT_PROBE_ROOT = '/';
export const DEFAULT_PROBE_RATE_HZ = 10;

export const ThermalGate = z
  .strictObject({
    ceilingC: z.number().min(0).max(150).default(70).describe('Start a runner process only when the hottest CPU sensor reads at most this, in °C.'),
    orWithinCOfIdle: z
      .number()
      .positive()
      .optional()
      .describe(
        "Or when it is within this many °C of the device's idle temperature, read before its first cell of the run (for devices that idle above the ceiling).",
      ),
    timeoutSeconds: z.number().min(0).max(3600).default(120).describe('Longest wait; a process started after it is marked "thermally ungated: timed out".'),
    pollSeconds: z.number().min(0.01).max(60).default(1).describe('How often the temperature is read while waiting.'),
  })
  .describe('Wait before each runner process until the device has cooled down.');
export type ThermalGate = z.infer<typeof ThermalGate>;

export const ThermalOptions = z
  .strictObject({
    gate: z
      .union([z.literal('off'), ThermalGate])
      .optional()
      .describe(
        'The thermal gate before each runner process; "off" to start at once. Default: ceiling 70 °C or within 5 °C of idle, 120 s timeout. On a device without a temperature sensor the gate never waits: its cells are marked "thermally ungated: no thermal sensor".',
      ),
    cooldownSeconds: z
      .number()
      .min(0)
      .max(3600)
      .default(0)
      .describe("Fixed pause before every runner process after a device's first, so one variant's heat does not carry into the next."),
  })
  .describe('Thermal protocol of the suite. compare refuses to compare cells whose gating or throttling state differs.');
export type ThermalOptions = z.infer<typeof ThermalOptions>;

export const DEFAULT_THERMAL_GATE: ThermalGate = { ceilingC: 70, orWithinCOfIdle: 5, timeoutSeconds: 120, pollSeconds: 1 };
