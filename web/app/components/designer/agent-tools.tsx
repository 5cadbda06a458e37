// The agent node's tool picker (the `tools` field's widget, see field-widgets.ts): a saved workflow
// of the team, an HTTP endpoint, or a remote MCP server whose tools are listed and ticked; any of
// them may require a person's approval before each call.
import { useState } from 'react';
import {
  credentialsFor,
  newTool,
  pickWorkflow,
  problemsByTool,
  TOOL_TYPE_LABELS,
  toggleAllowed,
  toolTitle,
  usedNames,
  workflowOptionLabel,
  type ToolDraft,
  type ToolType,
} from '../../lib/agent-tools.ts';
import { Alert, Button } from '../ui.tsx';
import { useDesignerResources, type McpToolsAnswer } from './designer-context.ts';
import type { FieldWidgetProps } from './schema-form.tsx';
import { CheckboxInput, CredentialInput, JsonInput, SelectInput, TemplateInput, TextInput } from './tool-inputs.tsx';

type Update = (patch: Record<string, unknown>) => void;

export function AgentToolsField({ label, value, onChange, problems, readOnly }: FieldWidgetProps) {
  const tools = (Array.isArray(value) ? value : []) as ToolDraft[];
  const { byTool, general } = problemsByTool(problems);
  const replace = (index: number, tool: ToolDraft | null) => {
    const next = tools.slice();
    if (tool) next[index] = tool;
    else next.splice(index, 1);
    onChange(next);
  };
  return (
    <section className="space-y-3" aria-label={label}>
      <div>
        <p className="text-sm font-medium text-slate-700 dark:text-slate-300">{label}</p>
        <p className="text-xs text-slate-500 dark:text-slate-400">What the model may call. Each call is its own durable step of the run.</p>
      </div>
      {general.map((message) => (
        <p key={message} className="text-xs text-red-600 dark:text-red-400" role="alert">
          {message}
        </p>
      ))}
      {tools.length === 0 && <p className="text-xs text-slate-500">No tools: the model only answers.</p>}
      {tools.map((tool, index) => (
        <fieldset key={index} className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <legend className="px-1 text-xs font-semibold text-slate-600 dark:text-slate-300">
            Tool {index + 1}: {toolTitle(tool)}
          </legend>
          {(byTool.get(index) ?? []).map((message) => (
            <p key={message} className="text-xs text-red-600 dark:text-red-400" role="alert">
              {message}
            </p>
          ))}
          <ToolEditor tool={tool} index={index} tools={tools} readOnly={readOnly} onChange={(next) => replace(index, next)} />
          <CheckboxInput
            label="Requires approval"
            hint="The run waits for a person to approve each call, showing the tool and its arguments."
            checked={tool.requiresApproval === true}
            readOnly={readOnly}
            onChange={(checked) => replace(index, { ...tool, requiresApproval: checked })}
          />
          {!readOnly && (
            <Button variant="danger-ghost" size="sm" onClick={() => replace(index, null)}>
              Remove tool {index + 1}
            </Button>
          )}
        </fieldset>
      ))}
      {!readOnly && (
        <div className="flex flex-wrap gap-1.5">
          {(Object.keys(TOOL_TYPE_LABELS) as ToolType[]).map((type) => (
            <Button key={type} variant="secondary" size="sm" onClick={() => onChange([...tools, newTool(type)])}>
              Add {TOOL_TYPE_LABELS[type]}
            </Button>
          ))}
        </div>
      )}
    </section>
  );
}

function ToolEditor({ tool, index, tools, readOnly, onChange }: { tool: ToolDraft; index: number; tools: ToolDraft[]; readOnly?: boolean; onChange: (tool: ToolDraft) => void }) {
  const update: Update = (patch) => {
    const next: ToolDraft = { ...tool, ...patch };
    // An emptied optional field is left out, not saved as "".
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
    onChange(next);
  };
  switch (tool.type) {
    case 'workflow':
      return <WorkflowToolEditor tool={tool} taken={usedNames(tools, index)} readOnly={readOnly} update={update} onChange={onChange} />;
    case 'http':
      return <HttpToolEditor tool={tool} readOnly={readOnly} update={update} />;
    case 'mcp':
      return <McpToolEditor tool={tool} readOnly={readOnly} update={update} />;
    default:
      return <Alert>Unknown tool type {String((tool as { type: unknown }).type)}</Alert>;
  }
}

function WorkflowToolEditor({ tool, taken, readOnly, update, onChange }: { tool: ToolDraft; taken: Set<string>; readOnly?: boolean; update: Update; onChange: (tool: ToolDraft) => void }) {
  const { workflows, workflowId: current } = useDesignerResources();
  const chosen = workflows.find((w) => w.id === tool.workflowId);
  const options = [{ value: '', label: 'Choose a workflow…' }, ...workflows.filter((w) => w.id !== current).map((w) => ({ value: w.id, label: workflowOptionLabel(w) }))];
  if (typeof tool.workflowId === 'string' && tool.workflowId && !chosen) options.push({ value: tool.workflowId, label: `Workflow ${tool.workflowId}` });
  return (
    <>
      <SelectInput
        label="Workflow"
        value={typeof tool.workflowId === 'string' ? tool.workflowId : ''}
        options={options}
        readOnly={readOnly}
        hint={
          chosen && !chosen.tool
            ? 'This workflow has no tool settings: the model is told nothing about its input. Add them under Settings in its designer.'
            : 'Runs as a child run on its latest version, with the model\'s arguments as its input.'
        }
        onChange={(id) => onChange(pickWorkflow(tool, workflows.find((w) => w.id === id), taken))}
      />
      <TextInput label="Name" value={tool.name} readOnly={readOnly} hint="What the model calls it: letters, digits, _ or -." onChange={(name) => update({ name })} />
      <TextInput label="Description" value={tool.description} readOnly={readOnly} hint="When the model should use it." onChange={(description) => update({ description: description || undefined })} />
    </>
  );
}

function HttpToolEditor({ tool, readOnly, update }: { tool: ToolDraft; readOnly?: boolean; update: Update }) {
  const { credentials } = useDesignerResources();
  return (
    <>
      <TextInput label="Name" value={tool.name} readOnly={readOnly} hint="What the model calls it: letters, digits, _ or -." onChange={(name) => update({ name })} />
      <TextInput label="Description" value={tool.description} readOnly={readOnly} hint="When the model should use it." onChange={(description) => update({ description })} />
      <SelectInput
        label="Method"
        value={typeof tool.method === 'string' ? tool.method : 'GET'}
        options={['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => ({ value: m, label: m }))}
        readOnly={readOnly}
        onChange={(method) => update({ method })}
      />
      <TemplateInput label="URL" value={tool.url} readOnly={readOnly} hint={<>Templates see the model&apos;s arguments: {'{{ args.id }}'}</>} onChange={(url) => update({ url })} />
      <JsonInput label="Headers" mode="object" rows={2} value={tool.headers} readOnly={readOnly} hint='A JSON object, e.g. {"accept": "application/json"}' onChange={(headers) => update({ headers })} />
      <JsonInput label="Body" mode="loose" value={tool.body} readOnly={readOnly} hint="JSON (templates inside strings see args) or text." onChange={(body) => update({ body })} />
      <JsonInput label="Input schema" mode="object" rows={6} value={tool.inputSchema} readOnly={readOnly} hint="JSON Schema of the arguments the model gives." onChange={(inputSchema) => update({ inputSchema })} />
      <CredentialInput value={tool.credentialId} credentials={credentialsFor('http', credentials)} readOnly={readOnly} onChange={(credentialId) => update({ credentialId })} />
    </>
  );
}

function McpToolEditor({ tool, readOnly, update }: { tool: ToolDraft; readOnly?: boolean; update: Update }) {
  const { credentials, listMcpTools } = useDesignerResources();
  const [answer, setAnswer] = useState<McpToolsAnswer | undefined>();
  const [listing, setListing] = useState(false);
  const url = typeof tool.url === 'string' ? tool.url : '';
  const allow = Array.isArray(tool.allow) ? (tool.allow as string[]) : [];
  const listed = answer?.tools;
  const listedNames = (listed ?? []).map((t) => t.name);
  // Allowed tools the last listing did not show (or before any listing) stay visible and ticked.
  const shown: { name: string; description?: string }[] = [...(listed ?? []), ...allow.filter((name) => !listedNames.includes(name)).map((name) => ({ name }))];
  const list = () => {
    setListing(true);
    void listMcpTools({ url, ...(typeof tool.credentialId === 'string' ? { credentialId: tool.credentialId } : {}) })
      .then(setAnswer)
      .finally(() => setListing(false));
  };
  return (
    <>
      <TextInput label="Server URL" value={tool.url} placeholder="https://mcp.example.com/mcp" readOnly={readOnly} hint="A remote MCP server (Streamable HTTP)." onChange={(next) => update({ url: next })} />
      <CredentialInput value={tool.credentialId} credentials={credentialsFor('mcp', credentials)} readOnly={readOnly} onChange={(credentialId) => update({ credentialId })} />
      {!readOnly && (
        <Button variant="secondary" size="sm" disabled={!url || listing} onClick={list}>
          {listing ? 'Listing…' : 'List tools'}
        </Button>
      )}
      {answer?.problem && <Alert>Could not list the server&apos;s tools: {answer.problem.detail ?? answer.problem.title}</Alert>}
      {listed && listed.length === 0 && <p className="text-xs text-slate-500">The server lists no tools.</p>}
      {shown.length > 0 && (
        <div className="space-y-1.5" role="group" aria-label="Allowed tools">
          <p className="text-sm font-medium text-slate-700 dark:text-slate-300">Allowed tools</p>
          {shown.map((info) => (
            <CheckboxInput
              key={info.name}
              label={info.name}
              hint={info.description || (listed && !listedNames.includes(info.name) ? 'Not listed by the server now.' : undefined)}
              checked={allow.includes(info.name)}
              readOnly={readOnly}
              onChange={(on) => update({ allow: toggleAllowed(allow, info.name, on, listedNames) })}
            />
          ))}
        </div>
      )}
    </>
  );
}
