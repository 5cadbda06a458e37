// The workflow's settings: its description and "Use as a tool" (the tool name, description and
// input schema MCP clients and agents see). Saved on their own through the designer route's action
// (`intent: 'settings'`): a PUT without a graph, so no new version and unsaved graph edits stay.
import { useEffect, useState } from 'react';
import { useFetcher } from 'react-router';
import type { WorkflowToolSettings } from '../../lib/agent-tools.ts';
import type { Problem } from '../../lib/problems.ts';
import { draftFrom, toolFromDraft, toolProblems, type ToolSettingsDraft, type ToolSettingsErrors } from '../../lib/workflow-tool.ts';
import { Alert, Button, cx, Dialog, Field, inputClass, Textarea, useToast } from '../ui.tsx';

/** What the designer route's action answers to `{ intent: 'settings', description, tool }`. */
export type SettingsAnswer = { intent: 'settings'; problem?: Problem };

export interface SettingsWorkflow {
  name: string;
  description: string | null;
  tool: WorkflowToolSettings | null;
}

export function WorkflowSettingsDialog({ open, onClose, workflow, readOnly }: { open: boolean; onClose: () => void; workflow: SettingsWorkflow; readOnly: boolean }) {
  const fetcher = useFetcher<SettingsAnswer>();
  const toast = useToast();
  const [description, setDescription] = useState(workflow.description ?? '');
  const [draft, setDraft] = useState<ToolSettingsDraft>(() => draftFrom(workflow.tool, workflow));
  const [errors, setErrors] = useState<ToolSettingsErrors & { form?: string }>({});

  // Each opening starts from what is saved.
  useEffect(() => {
    if (!open) return;
    setDescription(workflow.description ?? '');
    setDraft(draftFrom(workflow.tool, workflow));
    setErrors({});
  }, [open]);

  useEffect(() => {
    if (fetcher.state !== 'idle' || !fetcher.data) return;
    if (fetcher.data.problem) {
      const problem = fetcher.data.problem;
      const found = toolProblems(problem.problems);
      setErrors(Object.keys(found).length > 0 ? found : { form: problem.detail ?? problem.title ?? 'The settings could not be saved' });
    } else {
      toast('Settings saved');
      onClose();
    }
  }, [fetcher.state, fetcher.data]);

  const save = () => {
    const result = toolFromDraft(draft);
    if ('errors' in result) return setErrors(result.errors);
    setErrors({});
    void fetcher.submit({ intent: 'settings', description, tool: result.tool } as never, { method: 'post', encType: 'application/json' });
  };
  const set = (patch: Partial<ToolSettingsDraft>) => setDraft((current) => ({ ...current, ...patch }));
  const busy = fetcher.state !== 'idle';

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Workflow settings"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            {readOnly ? 'Close' : 'Cancel'}
          </Button>
          {!readOnly && (
            <Button onClick={save} disabled={busy}>
              {busy ? 'Saving…' : 'Save settings'}
            </Button>
          )}
        </>
      }
    >
      <div className="max-h-[65vh] space-y-4 overflow-y-auto pr-1">
        <Field label="Description" id="workflow-description">
          <Textarea id="workflow-description" rows={2} className={cx(inputClass, 'font-sans')} value={description} disabled={readOnly} maxLength={5_000} onChange={(event) => setDescription(event.target.value)} />
        </Field>
        <fieldset className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <legend className="px-1 text-sm font-semibold">Use as a tool</legend>
          <div className="flex items-center gap-2">
            <input id="workflow-tool-enabled" type="checkbox" className="h-4 w-4" checked={draft.enabled} disabled={readOnly} onChange={(event) => set({ enabled: event.target.checked })} />
            <label htmlFor="workflow-tool-enabled" className="text-sm font-medium">
              Offer this workflow as a tool
            </label>
          </div>
          <p className="text-xs text-slate-500 dark:text-slate-400">Agents of this team and MCP clients with an API key (POST /mcp) can then call it; each call is a run with the arguments as its input.</p>
          {draft.enabled && (
            <>
              <Field label="Tool name" value={draft.name} disabled={readOnly} error={errors.name} hint="Letters, digits, _ or -; unique in the team." onChange={(event) => set({ name: event.target.value })} />
              <Field label="Tool description" id="workflow-tool-description" error={errors.description} hint="When a model should call it.">
                <Textarea id="workflow-tool-description" rows={2} className={cx(inputClass, 'font-sans')} value={draft.description} disabled={readOnly} onChange={(event) => set({ description: event.target.value })} />
              </Field>
              <Field label="Input schema" id="workflow-tool-schema" error={errors.inputSchema} hint="JSON Schema of the arguments (an object); the run's input.">
                <Textarea id="workflow-tool-schema" rows={8} spellCheck={false} value={draft.inputSchema} disabled={readOnly} onChange={(event) => set({ inputSchema: event.target.value })} />
              </Field>
            </>
          )}
        </fieldset>
        {errors.form && <Alert>{errors.form}</Alert>}
      </div>
    </Dialog>
  );
}
