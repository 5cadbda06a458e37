// Saved workflows that a graph starts as child runs (subworkflow nodes, map nodes with a
// workflowId, inline map sub-graphs included), and the save-time check that a workflow cannot
// start itself through them. What this check cannot see (two saves racing, graphs saved before
// it existed) the plan's run depth limit stops at run time (core/usage/admission.ts).

export interface WorkflowReference {
  workflowId: string;
  /** Pinned version; the latest when absent. */
  version?: number;
  /** Where in the graph, as validation problems name it: `graph.nodes.2.config.workflowId`. */
  path: string;
}

/** Stored graphs followed at most per save: beyond this, the run-time depth limit takes over. */
export const MAX_WORKFLOWS_FOLLOWED = 500;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every saved workflow a graph (already validated) starts, with where it says so. */
export function workflowReferences(graph: unknown, prefix = 'graph'): WorkflowReference[] {
  if (!isRecord(graph) || !Array.isArray(graph.nodes)) return [];
  const found: WorkflowReference[] = [];
  graph.nodes.forEach((node: unknown, index: number) => {
    if (!isRecord(node) || !isRecord(node.config)) return;
    const { config } = node;
    const at = `${prefix}.nodes.${index}.config`;
    if ((node.type === 'subworkflow' || node.type === 'map') && typeof config.workflowId === 'string') {
      found.push({ workflowId: config.workflowId, ...(typeof config.version === 'number' ? { version: config.version } : {}), path: `${at}.workflowId` });
    }
    if (node.type === 'map' && config.graph !== undefined) found.push(...workflowReferences(config.graph, `${at}.graph`));
  });
  return found;
}

export interface SelfStart {
  path: string;
  /** The chain of workflow ids, from the saved workflow back to itself. */
  chain: string[];
}

/**
 * The references of a graph about to become version `version` of workflow `self` through which
 * the workflow can start itself. `load` gives the references of a stored graph (latest version when
 * `version` is undefined), or undefined for a workflow that does not exist in the team.
 */
export async function findSelfStarts(
  self: string,
  version: number,
  references: WorkflowReference[],
  load: (workflowId: string, version?: number) => Promise<WorkflowReference[] | undefined>,
): Promise<SelfStart[]> {
  const cache = new Map<string, Promise<WorkflowReference[] | undefined>>();
  const refsOf = (ref: { workflowId: string; version?: number }) => {
    const key = `${ref.workflowId}@${ref.version ?? ''}`;
    if (!cache.has(key)) cache.set(key, cache.size < MAX_WORKFLOWS_FOLLOWED ? load(ref.workflowId, ref.version) : Promise.resolve(undefined));
    return cache.get(key) as Promise<WorkflowReference[] | undefined>;
  };
  // The graph being saved is reached again by a reference to `self` that is not pinned to another version.
  const closes = (ref: { workflowId: string; version?: number }) => ref.workflowId === self && (ref.version === undefined || ref.version === version);

  const found: SelfStart[] = [];
  for (const start of references) {
    if (closes(start)) {
      found.push({ path: start.path, chain: [self, self] });
      continue;
    }
    // Breadth first, so the chain reported is a shortest one.
    const parent = new Map<string, string | null>([[`${start.workflowId}@${start.version ?? ''}`, null]]);
    const names = new Map<string, string>([[`${start.workflowId}@${start.version ?? ''}`, start.workflowId]]);
    let frontier = [start as { workflowId: string; version?: number }];
    let closing: string | undefined;
    while (frontier.length > 0 && closing === undefined) {
      const next: { workflowId: string; version?: number }[] = [];
      for (const ref of frontier) {
        const from = `${ref.workflowId}@${ref.version ?? ''}`;
        for (const onward of (await refsOf(ref)) ?? []) {
          if (closes(onward)) {
            closing = from;
            break;
          }
          const key = `${onward.workflowId}@${onward.version ?? ''}`;
          if (parent.has(key)) continue;
          parent.set(key, from);
          names.set(key, onward.workflowId);
          next.push(onward);
        }
        if (closing !== undefined) break;
      }
      frontier = next;
    }
    if (closing === undefined) continue;
    const chain = [self];
    for (let key: string | null = closing; key !== null; key = parent.get(key) ?? null) chain.splice(1, 0, names.get(key) as string);
    chain.push(self);
    found.push({ path: start.path, chain });
  }
  return found;
}
