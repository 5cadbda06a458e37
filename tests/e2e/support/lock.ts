// One e2e run at a time per checkout: every run's stack serves the web app from the same
// web/build/, which infra/scripts/start.ts rebuilds when the sources changed, and a rebuild
// deletes the assets a running stack's pages still load. A second run waits for the first.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../../infra/scripts/services.ts';

const LOCK_FILE = join(tmpdir(), `trellis-e2e-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);

function holder(): number | undefined {
  try {
    const pid = Number(readFileSync(LOCK_FILE, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the checkout's e2e lock, waiting up to `timeoutMs` for another run to finish. */
export async function acquireE2eLock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      process.once('exit', releaseE2eLock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = holder();
    if (pid !== undefined && !alive(pid)) {
      rmSync(LOCK_FILE, { force: true }); // left by a run that was killed
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another e2e run (pid ${pid ?? '?'}) still holds ${LOCK_FILE} after ${timeoutMs / 1000} s`);
    if (!announced) console.log(`\nwaiting for another e2e run of this checkout (pid ${pid ?? '?'}) to finish…`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export function releaseE2eLock(): void {
  if (holder() === process.pid) rmSync(LOCK_FILE, { force: true });
  process.off('exit', releaseE2eLock);
}
