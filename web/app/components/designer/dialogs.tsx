// The designer's dialogs: version history and "Test run".
import { useState } from 'react';
import { Link } from 'react-router';
import type { Problem } from '../../lib/problems.ts';
import { teamPath, type WorkflowVersionInfo } from '../../lib/types.ts';
import { Alert, Button, Dialog, Field, formatTime, Textarea } from '../ui.tsx';

export function VersionsDialog({ open, onClose, versions, teamId, workflowId, current, latest }: { open: boolean; onClose: () => void; versions: WorkflowVersionInfo[]; teamId: string; workflowId: string; current: number; latest: number }) {
  return (
    <Dialog open={open} onClose={onClose} title="Version history" footer={<Button variant="secondary" onClick={onClose}>Close</Button>}>
      <ul className="max-h-80 space-y-1 overflow-y-auto text-sm">
        {versions.map((v) => (
          <li key={v.version} className="flex items-center justify-between rounded px-2 py-1 hover:bg-slate-50 dark:hover:bg-slate-800">
            <Link to={teamPath(teamId, `/workflows/${workflowId}${v.version === latest ? '' : `?version=${v.version}`}`)} onClick={onClose}>
              Version {v.version}
              {v.version === latest ? ' (latest)' : ''}
            </Link>
            <span className="text-xs text-slate-500">
              {formatTime(v.createdAt)}
              {v.version === current ? ' · viewing' : ''}
            </span>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}

export function TestRunDialog({ open, onClose, onRun, dirty, busy, problem }: { open: boolean; onClose: () => void; onRun: (input: unknown) => void; dirty: boolean; busy: boolean; problem?: Problem }) {
  const [text, setText] = useState('{\n  \n}');
  const [error, setError] = useState<string | undefined>();
  const run = () => {
    try {
      const input = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
      setError(undefined);
      onRun(input);
    } catch (parseError) {
      setError(`The input is not valid JSON: ${(parseError as Error).message}`);
    }
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Test run"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={run} disabled={busy}>
            {dirty ? 'Save and run' : 'Run'}
          </Button>
        </>
      }
    >
      <Field label="Input (JSON)" id="test-run-input" error={error}>
        <Textarea id="test-run-input" rows={8} value={text} onChange={(event) => setText(event.target.value)} />
      </Field>
      <p className="mt-2 text-xs text-slate-500">Expressions read it as input. {dirty ? 'Your changes are saved as a new version first.' : 'Runs the latest saved version.'}</p>
      {problem && (
        <div className="mt-3">
          <Alert>{problem.detail ?? problem.title}</Alert>
        </div>
      )}
    </Dialog>
  );
}
