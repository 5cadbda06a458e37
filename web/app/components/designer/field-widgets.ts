// Custom editors for config fields the generated form cannot edit well, keyed by node type and
// field. Everything else about a node type's form still comes from its JSON Schema (ADR 015).
import { AgentToolsField } from './agent-tools.tsx';
import type { FieldWidget } from './schema-form.tsx';

const FIELD_WIDGETS: Record<string, Partial<Record<string, FieldWidget>>> = {
  agent: { tools: AgentToolsField },
};

/** The widgets of one node type's form (none for most types). */
export function widgetsFor(nodeType: string): Partial<Record<string, FieldWidget>> {
  return FIELD_WIDGETS[nodeType] ?? {};
}
