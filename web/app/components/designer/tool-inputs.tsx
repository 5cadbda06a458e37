// Small labelled inputs for the agent's tool editors: text, select, checkbox, a JSON object box
// and a "{{ }}" template box checked as you type. Each keeps its own id so labels stay unique
// when several tools are open.
import { useEffect, useId, useState, type ReactNode } from 'react';
import { parseJsonObject, type CredentialOption } from '../../lib/agent-tools.ts';
import { cx, inputClass } from '../ui.tsx';
import { liveProblem, parseLooseJson, showLooseJson } from './schema-form.tsx';

const labelClass = 'block text-sm font-medium text-slate-700 dark:text-slate-300';
const hintClass = 'text-xs text-slate-500 dark:text-slate-400';

function Labeled({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string; children: (id: string, describedBy: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      {children(id, `${id}-message`)}
      <div id={`${id}-message`}>
        {error && (
          <p className="text-xs text-red-600 dark:text-red-400" role="alert">
            {error}
          </p>
        )}
        {hint && <p className={hintClass}>{hint}</p>}
      </div>
    </div>
  );
}

export function TextInput({ label, value, onChange, readOnly, hint, placeholder }: { label: string; value: unknown; onChange: (value: string) => void; readOnly?: boolean; hint?: ReactNode; placeholder?: string }) {
  return (
    <Labeled label={label} hint={hint}>
      {(id, describedBy) => (
        <input id={id} aria-describedby={describedBy} className={inputClass} value={typeof value === 'string' ? value : ''} placeholder={placeholder} disabled={readOnly} onChange={(event) => onChange(event.target.value)} />
      )}
    </Labeled>
  );
}

export function SelectInput({ label, value, options, onChange, readOnly, hint }: { label: string; value: string; options: { value: string; label: string }[]; onChange: (value: string) => void; readOnly?: boolean; hint?: ReactNode }) {
  return (
    <Labeled label={label} hint={hint}>
      {(id, describedBy) => (
        <select id={id} aria-describedby={describedBy} className={inputClass} value={value} disabled={readOnly} onChange={(event) => onChange(event.target.value)}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Labeled>
  );
}

export function CheckboxInput({ label, checked, onChange, readOnly, hint }: { label: string; checked: boolean; onChange: (checked: boolean) => void; readOnly?: boolean; hint?: string }) {
  const id = useId();
  return (
    <div>
      <div className="flex items-center gap-2">
        <input id={id} type="checkbox" className="h-4 w-4" checked={checked} disabled={readOnly} onChange={(event) => onChange(event.target.checked)} />
        <label htmlFor={id} className={labelClass}>
          {label}
        </label>
      </div>
      {hint && <p className={hintClass}>{hint}</p>}
    </div>
  );
}

/** A credential select: "none" plus the team's credentials of the kinds this tool can send. */
export function CredentialInput({ value, credentials, onChange, readOnly }: { value: unknown; credentials: CredentialOption[]; onChange: (id: string | undefined) => void; readOnly?: boolean }) {
  const current = typeof value === 'string' ? value : '';
  const options = [{ value: '', label: 'None' }, ...credentials.map((c) => ({ value: c.id, label: `${c.name} (${c.type})` }))];
  // A credential this person cannot list (or one since deleted) still shows as chosen.
  if (current && !credentials.some((c) => c.id === current)) options.push({ value: current, label: `Credential ${current}` });
  return <SelectInput label="Credential" value={current} options={options} readOnly={readOnly} onChange={(id) => onChange(id || undefined)} />;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * JSON typed into a box: `object` only takes a JSON object (headers, an input schema); `loose`
 * takes any JSON or plain text (a body). The box keeps what is typed while it does not parse.
 */
export function JsonInput({ label, value, onChange, mode, readOnly, hint, rows = 4 }: { label: string; value: unknown; onChange: (value: unknown) => void; mode: 'object' | 'loose'; readOnly?: boolean; hint?: ReactNode; rows?: number }) {
  const show = (v: unknown) => (mode === 'loose' ? showLooseJson(v) : v === undefined ? '' : JSON.stringify(v, null, 2));
  const parse = (text: string) => (mode === 'loose' ? parseLooseJson(text) : parseJsonObject(text));
  const [text, setText] = useState(() => show(value));
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    // Undo/redo: show the graph's value unless the text already says it (keeps the cursor).
    setText((current) => {
      const parsed = parse(current);
      return 'value' in parsed && same(parsed.value, value) ? current : show(value);
    });
  }, [value]);
  return (
    <Labeled label={label} hint={hint} error={error}>
      {(id, describedBy) => (
        <textarea
          id={id}
          aria-describedby={describedBy}
          aria-invalid={error ? true : undefined}
          rows={rows}
          spellCheck={false}
          disabled={readOnly}
          className={cx(inputClass, 'font-mono text-xs')}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            const parsed = parse(event.target.value);
            if ('error' in parsed) return setError(parsed.error);
            setError(undefined);
            onChange(parsed.value);
          }}
        />
      )}
    </Labeled>
  );
}

/** A string that may hold "{{ }}" templates, checked as you type. */
export function TemplateInput({ label, value, onChange, readOnly, hint }: { label: string; value: unknown; onChange: (value: string) => void; readOnly?: boolean; hint?: ReactNode }) {
  const text = typeof value === 'string' ? value : '';
  return (
    <Labeled label={label} hint={hint} error={liveProblem('template', text)}>
      {(id, describedBy) => (
        <textarea id={id} aria-describedby={describedBy} rows={2} spellCheck={false} disabled={readOnly} className={cx(inputClass, 'font-mono text-xs')} value={text} onChange={(event) => onChange(event.target.value)} />
      )}
    </Labeled>
  );
}
