// Stops what global-setup.ts started. The data folder (logs, databases) is removed unless
// E2E_KEEP_DATA=1 asks to keep it for a look after a failure.
import { rmSync } from 'node:fs';
import { stopStack } from './global-setup.ts';
import { releaseE2eLock } from './lock.ts';

export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.trellisE2eStack;
  if (!stack) return;
  await stopStack(stack);
  releaseE2eLock();
  globalThis.trellisE2eStack = undefined;
  if (process.env.E2E_KEEP_DATA === '1') console.log(`e2e data and logs kept in ${stack.dataDir}`);
  else rmSync(stack.dataDir, { recursive: true, force: true });
}
