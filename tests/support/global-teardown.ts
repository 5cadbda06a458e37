// Stops what global-setup.ts started, then frees its folder's data (databases, builds: over a
// gigabyte a run) and keeps the logs; TEST_KEEP_DATA=1 keeps everything for a look after a failure.
import { removeDataKeepLogs } from '../../infra/scripts/services.ts';

export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.trellisTestServices ?? []).map((service) => service.stop()));
  const dir = process.env.TEST_DIR;
  if (dir && process.env.TEST_KEEP_DATA !== '1') removeDataKeepLogs(dir);
}
