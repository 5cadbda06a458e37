/**
 * @jest-environment jsdom
 * @lane unit
 */
// The node config form generated from a node type's JSON Schema: one field per property of the
// right kind, live expression checks, and values written back in the shape the graph needs.
import { act, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describeNodeTypes } from '../../workflows/graph/describe.ts';
import { parseLooseJson, SchemaForm, type JsonSchema } from '../../web/app/components/designer/schema-form.tsx';

const types = new Map(describeNodeTypes().map((d) => [d.type, d]));

function Harness({ type, initial, onValue }: { type: string; initial: Record<string, unknown>; onValue: (v: Record<string, unknown>) => void }) {
  const description = types.get(type as never)!;
  const [value, setValue] = useState(initial);
  return (
    <SchemaForm
      schema={description.configSchema as JsonSchema}
      value={value}
      onChange={(next) => {
        setValue(next);
        onValue(next);
      }}
      expressionFields={description.expressionFields}
      templateFields={description.templateFields}
      variables={['input', 'steps.fetch.output']}
    />
  );
}

describe('SchemaForm', () => {
  it('renders the http node: method as a select, url as a template box, and writes changes back', () => {
    const seen: Record<string, unknown>[] = [];
    render(<Harness type="http" initial={{ method: 'GET', url: 'https://example.com' }} onValue={(v) => seen.push(v)} />);
    const method = screen.getByLabelText('Method') as HTMLSelectElement;
    expect(method.tagName).toBe('SELECT');
    expect([...method.options].map((o) => o.value)).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
    act(() => void fireEvent.change(method, { target: { value: 'POST' } }));
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: 'https://example.com' });

    const url = screen.getByLabelText('Url *');
    act(() => void fireEvent.change(url, { target: { value: 'https://x.test/{{ input.id' } }));
    // An unterminated template is just text; a broken expression inside one is flagged.
    act(() => void fireEvent.change(url, { target: { value: 'https://x.test/{{ input.id + }}' } }));
    expect(screen.getByRole('alert').textContent).toMatch(/in \{\{ input\.id \+ \}\}/);
    expect(screen.getAllByText('steps.fetch.output').length).toBeGreaterThan(0);
  });

  it('flags an invalid condition expression as you type and clears it when fixed', () => {
    render(<Harness type="condition" initial={{ expression: 'true' }} onValue={() => {}} />);
    const box = screen.getByLabelText('Expression *');
    act(() => void fireEvent.change(box, { target: { value: 'input.amount >' } }));
    expect(screen.getByRole('alert').textContent).toBeTruthy();
    act(() => void fireEvent.change(box, { target: { value: 'input.amount > 100' } }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('numbers become numbers and structured fields take JSON, refusing broken JSON without losing the text', () => {
    const seen: Record<string, unknown>[] = [];
    render(<Harness type="ai" initial={{ prompt: 'Hi' }} onValue={(v) => seen.push(v)} />);
    act(() => void fireEvent.change(screen.getByLabelText('Max Tokens'), { target: { value: '256' } }));
    expect(seen.at(-1)).toMatchObject({ maxTokens: 256 });
    const schemaBox = screen.getByLabelText('Json Schema') as HTMLTextAreaElement;
    act(() => void fireEvent.change(schemaBox, { target: { value: '{"type": "object"' } }));
    expect(screen.getByRole('alert').textContent).toMatch(/not valid JSON/);
    expect(schemaBox.value).toBe('{"type": "object"');
    expect(seen.at(-1)).not.toHaveProperty('jsonSchema');
    act(() => void fireEvent.change(schemaBox, { target: { value: '{"type": "object"}' } }));
    expect(seen.at(-1)).toMatchObject({ jsonSchema: { type: 'object' } });
  });

  it('reads loose JSON: objects and scalars parse, other text stays a string', () => {
    expect(parseLooseJson('{"a": 1}')).toEqual({ value: { a: 1 } });
    expect(parseLooseJson('42')).toEqual({ value: 42 });
    expect(parseLooseJson('{{ input }}')).toEqual({ value: '{{ input }}' });
    expect(parseLooseJson('{"a": }')).toEqual({ error: expect.stringMatching(/not valid JSON/) });
    expect(parseLooseJson('Hello {{ input.name }}')).toEqual({ value: 'Hello {{ input.name }}' });
    expect(parseLooseJson('  ')).toEqual({ value: undefined });
  });
});
