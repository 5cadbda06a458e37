// The single bundle entry: every workflow type the worker registers.
export { runGraph } from './run-graph.ts';
export { mailDelivery } from './mail.ts';
export { startScheduledRun } from './scheduled-run.ts';
export { notificationDelivery } from './notify.ts';
export { retentionSweep } from './retention.ts';
