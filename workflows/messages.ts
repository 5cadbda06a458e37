// Signals, updates and queries of runGraph, defined once and shared by the workflow and the api.
import { defineQuery } from '@temporalio/workflow';
import type { RunState } from './interpreter/state.ts';

export const getRunState = defineQuery<RunState>('getRunState');
