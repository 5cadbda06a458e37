// The side panel's config form, generated from a node type's JSON Schema (describeNodeTypes):
// enums become selects, numbers number inputs, booleans checkboxes, expression fields a code box
// checked as you type, and anything structured a JSON box. One form for every node type, so a
// new type in the registry needs no UI work. A field that needs more than that (the agent's tool
// list) gets a widget keyed by node type and field (field-widgets.ts); the form stays generic.
import { useEffect, useId, useState, type ComponentType } from 'react';
import { expressionProblem, templateExpressions } from '../../../../workflows/graph/expressions.ts';
import { cx, inputClass } from '../ui.tsx';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  [key: string]: unknown;
}

export interface SchemaFormProps {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  /** Fields holding a bare JSONata expression. */
  expressionFields: string[];
  /** Fields whose strings may hold "{{ }}" templates. */
  templateFields: string[];
  /** Variables an expression here can read (shown under expression and template fields). */
  variables: string[];
  /** Problems from graph validation, keyed by field name. */
  problems?: Record<string, string>;
  readOnly?: boolean;
  /** Custom editors by field name (see field-widgets.ts); other fields get the generated control. */
  widgets?: Partial<Record<string, FieldWidget>>;
  /** Every problem under a field, with paths relative to it ("1.name"): what widgets show. */
  problemsUnder?: Record<string, { path: string; message: string }[]>;
}

/** What a custom field editor receives: the field, its value, and the problems under it. */
export interface FieldWidgetProps {
  name: string;
  label: string;
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  problems: { path: string; message: string }[];
  variables: string[];
  readOnly?: boolean;
}
export type FieldWidget = ComponentType<FieldWidgetProps>;

type FieldKind = 'enum' | 'expression' | 'template' | 'string' | 'number' | 'boolean' | 'json';

/** How a property is edited. Exported for tests. */
export function fieldKind(name: string, schema: JsonSchema, expressionFields: string[], templateFields: string[]): FieldKind {
  if (schema.enum) return 'enum';
  if (expressionFields.includes(name)) return 'expression';
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'string') return templateFields.includes(name) ? 'template' : 'string';
  if (type === 'number' || type === 'integer') return 'number';
  if (type === 'boolean') return 'boolean';
  return 'json';
}

/** The problem with what is typed into an expression or template field, as you type. */
export function liveProblem(kind: FieldKind, text: string): string | undefined {
  if (kind === 'expression') return text.trim() === '' ? 'an expression is required' : expressionProblem(text);
  if (kind === 'template') {
    for (const expression of templateExpressions(text)) {
      const problem = expression === '' ? 'empty {{ }}' : expressionProblem(expression);
      if (problem) return `in {{ ${expression} }}: ${problem}`;
    }
  }
  return undefined;
}

/**
 * Untyped values (an HTTP body, an output value) are typed as text: text that looks like JSON
 * (starts with {, [ or ", but not a "{{ }}" template) is parsed as JSON; anything else is a string, templates and all.
 */
export function parseLooseJson(text: string): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { value: undefined };
  // "{{ input }}" is a template, not an object.
  if (/^[{["]/.test(trimmed) && !trimmed.startsWith('{{')) {
    try {
      return { value: JSON.parse(trimmed) as unknown };
    } catch (error) {
      return { error: `not valid JSON: ${(error as Error).message}` };
    }
  }
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(trimmed)) return { value: JSON.parse(trimmed) as unknown };
  return { value: text };
}

export function showLooseJson(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function showValue(kind: FieldKind, value: unknown): string {
  if (kind === 'json') return showLooseJson(value);
  return value === undefined ? '' : String(value);
}

function textValue(kind: FieldKind, text: string): unknown {
  if (kind === 'json') {
    const parsed = parseLooseJson(text);
    return 'error' in parsed ? Symbol('invalid') : parsed.value;
  }
  if (kind === 'number') return text === '' ? undefined : Number(text);
  if (kind === 'string') return text === '' ? undefined : text;
  return text;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a !== 'symbol' && JSON.stringify(a) === JSON.stringify(b));
}

export function SchemaForm({ schema, value, onChange, expressionFields, templateFields, variables, problems = {}, readOnly, widgets = {}, problemsUnder = {} }: SchemaFormProps) {
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const set = (name: string, next: unknown) => {
    const copy = { ...value };
    if (next === undefined) delete copy[name];
    else copy[name] = next;
    onChange(copy);
  };
  return (
    <div className="space-y-4">
      {properties.map(([name, property]) => {
        const Widget = widgets[name];
        if (Widget) {
          const label = `${labelOf(name)}${required.has(name) ? ' *' : ''}`;
          const under = problemsUnder[name] ?? (problems[name] ? [{ path: '', message: problems[name] }] : []);
          return <Widget key={name} name={name} label={label} schema={property} value={value[name]} onChange={(next) => set(name, next)} problems={under} variables={variables} readOnly={readOnly} />;
        }
        return (
          <SchemaField
            key={name}
            name={name}
            schema={property}
            required={required.has(name)}
            kind={fieldKind(name, property, expressionFields, templateFields)}
            value={value[name]}
            onChange={(next) => set(name, next)}
            variables={variables}
            problem={problems[name]}
            readOnly={readOnly}
          />
        );
      })}
    </div>
  );
}

export function labelOf(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

function SchemaField({
  name,
  schema,
  required,
  kind,
  value,
  onChange,
  variables,
  problem,
  readOnly,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  kind: FieldKind;
  value: unknown;
  onChange: (value: unknown) => void;
  variables: string[];
  problem?: string;
  readOnly?: boolean;
}) {
  const id = useId();
  const label = `${labelOf(name)}${required ? ' *' : ''}`;
  // Text boxes keep what is typed even while it does not parse; the graph gets the parsed value.
  const [text, setText] = useState(() => showValue(kind, value));
  const [localError, setLocalError] = useState<string | undefined>();
  useEffect(() => {
    // Undo/redo or another node selected: show the graph's value, unless the text already says it
    // (re-showing it would reformat what is being typed and move the cursor).
    setText((current) => (sameValue(textValue(kind, current), value) ? current : showValue(kind, value)));
  }, [kind, value]);

  const typed = kind === 'expression' || kind === 'template' ? liveProblem(kind, text) : undefined;
  const error = localError ?? typed ?? problem;
  const messageId = `${id}-message`;
  const common = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': messageId, disabled: readOnly };

  let control;
  switch (kind) {
    case 'enum':
      control = (
        <select {...common} className={inputClass} value={value === undefined ? String(schema.default ?? '') : String(value)} onChange={(event) => onChange(event.target.value)}>
          {(schema.enum ?? []).map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
      );
      break;
    case 'boolean':
      control = (
        <input {...common} type="checkbox" className="h-4 w-4" checked={value === undefined ? Boolean(schema.default) : Boolean(value)} onChange={(event) => onChange(event.target.checked)} />
      );
      break;
    case 'number':
      control = (
        <input
          {...common}
          type="number"
          className={inputClass}
          value={text}
          min={schema.minimum}
          max={schema.maximum}
          step={schema.type === 'integer' ? 1 : 'any'}
          onChange={(event) => {
            setText(event.target.value);
            onChange(event.target.value === '' ? undefined : Number(event.target.value));
          }}
        />
      );
      break;
    case 'string':
      control = <input {...common} className={inputClass} value={text} placeholder={schema.default === undefined ? undefined : String(schema.default)} onChange={(event) => { setText(event.target.value); onChange(event.target.value === '' ? undefined : event.target.value); }} />;
      break;
    case 'expression':
    case 'template':
      control = (
        <textarea
          {...common}
          rows={kind === 'expression' || name === 'url' ? 2 : 4}
          spellCheck={false}
          className={cx(inputClass, 'font-mono text-xs')}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            onChange(event.target.value);
          }}
        />
      );
      break;
    case 'json':
      control = (
        <textarea
          {...common}
          rows={4}
          spellCheck={false}
          className={cx(inputClass, 'font-mono text-xs')}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            const parsed = parseLooseJson(event.target.value);
            if ('error' in parsed) {
              setLocalError(parsed.error);
              return;
            }
            setLocalError(undefined);
            onChange(parsed.value);
          }}
        />
      );
      break;
    default: {
      const exhaustive: never = kind;
      control = exhaustive;
    }
  }

  return (
    <div className={cx('space-y-1', kind === 'boolean' && 'flex items-center gap-2 space-y-0')}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700 dark:text-slate-300">
        {label}
      </label>
      {control}
      <div id={messageId} className="space-y-1">
        {error && (
          <p className="text-xs text-red-600 dark:text-red-400" role="alert">
            {error}
          </p>
        )}
        {schema.description && <p className="text-xs text-slate-500 dark:text-slate-400">{schema.description}</p>}
        {(kind === 'expression' || kind === 'template') && variables.length > 0 && (
          <p className="text-xs text-slate-500 dark:text-slate-400">
            Variables:{' '}
            {variables.map((variable) => (
              <code key={variable} className="mr-1 rounded bg-slate-100 px-1 dark:bg-slate-800">
                {variable}
              </code>
            ))}
          </p>
        )}
      </div>
    </div>
  );
}
