import { stat, statfs } from 'node:fs/promises';
import { ConfigError } from '../config/errors.ts';

/**
 * File systems whose permission bits are made up by the mount (FAT, exFAT,
 * NTFS, SMB shares): chmod cannot make a key private there, so the check
 * would refuse every key on them. statfs(2) magic numbers.
 */
const NO_UNIX_MODES = new Set([
  0x4d44, // FAT
  0x2011bab0, // exFAT
  0x5346544e, // NTFS
  0x7366746e, // NTFS (ntfs3)
  0x517b, // SMB
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
]);

/**
 * Refuses a private key that its group or others may read or write, as ssh
 * does: a signing key anyone on the machine can copy signs for anyone. Skipped
 * on Windows and on file systems without Unix permissions.
 */
export async function checkPrivateKeyMode(file: string): Promise<void> {
  if (process.platform === 'win32') return;
  const stats = await stat(file);
  const open = stats.mode & 0o077;
  if (open === 0 || !stats.isFile()) return;
  const fs = await statfs(file).catch(() => undefined);
  if (fs && NO_UNIX_MODES.has(Number(fs.type))) return;
  const who = [open & 0o070 ? 'its group' : '', open & 0o007 ? 'all users' : ''].filter(Boolean).join(' and ');
  throw new ConfigError(
    file,
    undefined,
    `the private key is accessible to ${who} (mode ${(stats.mode & 0o777).toString(8).padStart(3, '0')}): a signing key must be private to its owner`,
    `chmod 600 ${file}`,
  );
}
