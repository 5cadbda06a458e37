// React Router framework-mode settings. Paths are relative to this folder (the project dir).
import type { Config } from '@react-router/dev/config';

export default {
  ssr: true,
  appDirectory: 'app',
  buildDirectory: 'build',
} satisfies Config;
