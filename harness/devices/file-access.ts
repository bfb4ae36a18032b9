import { accessSync, constants } from 'node:fs';

/** Whether this process may read, write or execute a file (fs.constants R_OK, W_OK, X_OK), without opening it. */
export function canAccess(file: string, mode: number = constants.R_OK): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}
