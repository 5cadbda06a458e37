/**
 * @jest-environment jsdom
 * @lane unit
 */
// The agent's tool picker inside the generated node form: the `tools` field gets its widget (no
// JSON box), a workflow tool is filled from the chosen workflow, an MCP server's tools are listed
// (through the designer's lister) and ticked into `allow`, and problems land on their tool.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { DesignerResourcesContext, type DesignerResources } from '../../web/app/components/designer/designer-context.ts';
import { widgetsFor } from '../../web/app/components/designer/field-widgets.ts';
import { SchemaForm, type JsonSchema } from '../../web/app/components/designer/schema-form.tsx';

const schema: JsonSchema = { type: 'object', properties: { prompt: { type: 'string' }, tools: { type: 'array', items: {} } }, required: ['prompt'] };
const base: Omit<DesignerResources, 'listMcpTools'> = {
  teamId: 'team_1',
  workflowId: 'wf_self',
  workflows: [
    { id: 'wf_self', name: 'This agent', description: null, tool: null },
    { id: 'wf_lookup', name: 'Look up order', description: null, tool: { name: 'lookup_order', description: 'Order status by id', inputSchema: { type: 'object' } } },
    { id: 'wf_plain', name: 'Notify', description: 'Sends a note', tool: null },
  ],
  credentials: [
    { id: 'cred_bearer', name: 'MCP token', type: 'http_bearer' },
    { id: 'cred_ai', name: 'OpenAI', type: 'openai' },
  ],
};

function setup(initial: Record<string, unknown>, problems: Record<string, { path: string; message: string }[]> = {}) {
  const seen: Record<string, unknown>[] = [];
  const listed: unknown[] = [];
  const resources: DesignerResources = {
    ...base,
    listMcpTools: async (server) => {
      listed.push(server);
      return { tools: [{ name: 'search', description: 'Searches the docs', inputSchema: { type: 'object' } }, { name: 'fetch', description: '', inputSchema: { type: 'object' } }] };
    },
  };
  function Harness() {
    const [value, setValue] = useState(initial);
    return (
      <DesignerResourcesContext value={resources}>
        <SchemaForm
          schema={schema}
          value={value}
          onChange={(next) => {
            setValue(next);
            seen.push(next);
          }}
          expressionFields={[]}
          templateFields={['prompt']}
          variables={['input']}
          widgets={widgetsFor('agent')}
          problemsUnder={problems}
        />
      </DesignerResourcesContext>
    );
  }
  render(<Harness />);
  return { seen, listed, tools: () => seen.at(-1)?.tools as Record<string, unknown>[] };
}

describe('agent tools field', () => {
  it('replaces the JSON box with the picker and fills a workflow tool from the chosen workflow', async () => {
    const { tools } = setup({ prompt: 'Hi', tools: [] });
    await screen.findByText('No tools: the model only answers.');
    expect(screen.getAllByRole('textbox').map((box) => box.id)).toHaveLength(1); // the prompt only
    act(() => void fireEvent.click(screen.getByRole('button', { name: 'Add Workflow tool' })));
    const group = screen.getByRole('group', { name: /Tool 1/ });
    const select = within(group).getByLabelText('Workflow') as HTMLSelectElement;
    // The workflow being edited is not offered; the others say whether they have tool settings.
    expect([...select.options].map((o) => o.text)).toEqual(['Choose a workflow…', 'Look up order — tool “lookup_order”', 'Notify (no tool settings)']);
    act(() => void fireEvent.change(select, { target: { value: 'wf_lookup' } }));
    expect(tools()).toEqual([{ type: 'workflow', workflowId: 'wf_lookup', name: 'lookup_order', description: 'Order status by id', requiresApproval: false }]);
    act(() => void fireEvent.change(select, { target: { value: 'wf_plain' } }));
    expect(tools()[0]).toMatchObject({ workflowId: 'wf_plain', name: 'notify', description: 'Sends a note' });
    expect(within(group).getByText(/has no tool settings/)).toBeTruthy();
    act(() => void fireEvent.click(within(group).getByLabelText('Requires approval')));
    expect(tools()[0]!.requiresApproval).toBe(true);
    act(() => void fireEvent.click(within(group).getByRole('button', { name: 'Remove tool 1' })));
    expect(tools()).toEqual([]);
  });

  it('lists an MCP server\'s tools through the route action and ticks them into allow', async () => {
    const { tools, listed } = setup({ prompt: 'Hi', tools: [] });
    await screen.findByRole('button', { name: 'Add MCP server' });
    act(() => void fireEvent.click(screen.getByRole('button', { name: 'Add MCP server' })));
    const group = screen.getByRole('group', { name: /Tool 1/ });
    const credential = within(group).getByLabelText('Credential') as HTMLSelectElement;
    // Only credentials an MCP server can take (not the openai key).
    expect([...credential.options].map((o) => o.value)).toEqual(['', 'cred_bearer']);
    act(() => void fireEvent.change(within(group).getByLabelText('Server URL'), { target: { value: 'https://mcp.example.com/mcp' } }));
    act(() => void fireEvent.change(credential, { target: { value: 'cred_bearer' } }));
    act(() => void fireEvent.click(within(group).getByRole('button', { name: 'List tools' })));
    const allowed = await within(group).findByRole('group', { name: 'Allowed tools' });
    expect(listed).toEqual([{ url: 'https://mcp.example.com/mcp', credentialId: 'cred_bearer' }]);
    expect(within(allowed).getByText('Searches the docs')).toBeTruthy();
    act(() => void fireEvent.click(within(allowed).getByLabelText('fetch')));
    act(() => void fireEvent.click(within(allowed).getByLabelText('search')));
    await waitFor(() => expect(tools()).toEqual([{ type: 'mcp', url: 'https://mcp.example.com/mcp', credentialId: 'cred_bearer', allow: ['search', 'fetch'], requiresApproval: false }]));
    expect(screen.getByRole('group', { name: /Tool 1: MCP server mcp\.example\.com · 2 tools/ })).toBeTruthy();
  });

  it('edits an HTTP tool, refusing broken JSON without losing the text, and shows problems on their tool', async () => {
    const http = { type: 'http', name: 'weather', description: 'Weather', method: 'GET', url: 'https://api.test/{{ args.city }}', inputSchema: { type: 'object' } };
    const { tools } = setup({ prompt: 'Hi', tools: [{ type: 'workflow', workflowId: 'wf_lookup', name: 'lookup_order' }, http] }, { tools: [{ path: '1.name', message: 'duplicate tool name "weather"' }] });
    const group = await screen.findByRole('group', { name: /Tool 2: HTTP tool · weather/ });
    expect(within(group).getByRole('alert').textContent).toBe('name: duplicate tool name "weather"');
    expect(within(screen.getByRole('group', { name: /Tool 1/ })).queryByRole('alert')).toBeNull();
    const schemaBox = within(group).getByLabelText('Input schema') as HTMLTextAreaElement;
    act(() => void fireEvent.change(schemaBox, { target: { value: '{"type": "object", "properties": {' } }));
    expect(schemaBox.value).toBe('{"type": "object", "properties": {');
    expect(within(group).getAllByRole('alert').map((a) => a.textContent)).toContainEqual(expect.stringMatching(/^not valid JSON/));
    act(() => void fireEvent.change(schemaBox, { target: { value: '{"type": "object", "properties": {"city": {"type": "string"}}}' } }));
    expect(tools()[1]!.inputSchema).toEqual({ type: 'object', properties: { city: { type: 'string' } } });
    const url = within(group).getByLabelText('URL');
    act(() => void fireEvent.change(url, { target: { value: 'https://api.test/{{ args.city + }}' } }));
    expect(within(group).getAllByRole('alert').map((a) => a.textContent)).toContainEqual(expect.stringMatching(/in \{\{ args\.city \+ \}\}/));
  });
});
