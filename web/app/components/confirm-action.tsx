// A confirmation dialog whose button posts hidden `fields` to the page's own action (deletes,
// removals): it shows the action's error, toasts its success, and closes once it worked. The
// action answers `{ ok: true, toast? }` or `{ ok: false, errors: { form? } }`.
import { useEffect, useEffectEvent, type ReactNode } from 'react';
import { useFetcher } from 'react-router';
import { Alert, Button, Dialog, useActionToast } from './ui.tsx';

export type ConfirmResult = { ok: true; toast?: string } | { ok: false; errors: Record<string, string | undefined> };

export function ConfirmAction({ open, title, confirmLabel, fields, onClose, children }: { open: boolean; title: string; confirmLabel: string; fields: Record<string, string>; onClose: () => void; children: ReactNode }) {
  const fetcher = useFetcher<ConfirmResult>();
  const result = fetcher.data;
  useActionToast(result && result.ok ? result : undefined);
  // onClose is a new function on every render of the page; only a new result should close.
  const close = useEffectEvent(onClose);
  useEffect(() => {
    if (result?.ok) close();
  }, [result]);
  const error = result && !result.ok && fetcher.state === 'idle' ? result.errors.form : undefined;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <fetcher.Form method="post">
            {Object.entries(fields).map(([name, value]) => (
              <input key={name} type="hidden" name={name} value={value} />
            ))}
            <Button type="submit" variant="danger" disabled={fetcher.state !== 'idle'}>
              {confirmLabel}
            </Button>
          </fetcher.Form>
        </>
      }
    >
      <p className="text-sm text-slate-700 dark:text-slate-300">{children}</p>
      {error && (
        <div className="mt-3">
          <Alert>{error}</Alert>
        </div>
      )}
    </Dialog>
  );
}
