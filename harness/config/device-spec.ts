import { z } from 'zod';

/** Fields every device has, whatever drives it. */
const deviceBase = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'device id must start with a letter or digit and use only letters, digits, ".", "_" or "-"')
    .describe('Unique name of the device, used in results and on the command line.'),
  class: z
    .string()
    .min(1)
    .optional()
    .describe('Performance class such as "low", "mid" or "high"; budgets can target a class.'),
  description: z.string().optional().describe('Free text shown in reports.'),
};

export const LocalDeviceSpec = z
  .strictObject({
    ...deviceBase,
    kind: z.literal('local').describe('The machine edgebench runs on; each cell runs in its own child process.'),
  })
  .describe('The local host.');

/**
 * Device kinds edgebench knows of. Only those with a driver are accepted;
 * the rest are named so that a devices.yaml written for them gets a clear
 * "not implemented yet" instead of "unknown kind".
 */
export const IMPLEMENTED_DEVICE_KINDS = ['local'] as const;
export const PLANNED_DEVICE_KINDS = ['emulated', 'qemu-arm64', 'browser', 'appium', 'ssh'] as const;

export const DeviceSpec = z.discriminatedUnion('kind', [LocalDeviceSpec]);
export type DeviceSpec = z.infer<typeof DeviceSpec>;
export const DeviceKind = z.enum(IMPLEMENTED_DEVICE_KINDS);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const DevicesFile = z
  .strictObject({
    $schema: z.string().optional(),
    devices: z.array(DeviceSpec).min(1, 'devices.yaml must list at least one device'),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.devices.forEach((device, index) => {
      const first = seen.get(device.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', index, 'id'],
          message: `duplicate device id "${device.id}" (also used by devices[${first}])`,
        });
      } else seen.set(device.id, index);
    });
  })
  .describe('edgebench device inventory (devices.yaml).');
export type DevicesFile = z.infer<typeof DevicesFile>;
