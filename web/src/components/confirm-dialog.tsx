import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef } from 'react';
import { FormError } from './form-error.js';

/** An action waiting for the user's confirmation. */
export interface PendingAction {
  readonly title: string;
  readonly message: ReactNode;
  /** The button's words: "Roll back", "Delete version 3". */
  readonly confirmLabel: string;
  /** Red button: the action removes something or changes what serves traffic. */
  readonly danger?: boolean;
  readonly run: () => Promise<void>;
}

/** Props of {@link ConfirmDialog}. */
export interface ConfirmDialogProps {
  /** The action to confirm; null closes the dialog. */
  readonly action: PendingAction | null;
  /** Called with true after the action succeeded, false when the user cancelled. */
  readonly onClose: (done: boolean) => void;
}

/**
 * A modal confirmation for actions that change what serves traffic or remove something. The
 * native dialog element gives focus trapping and Escape for free; Cancel has the focus first, so
 * a stray Enter never confirms. A failed action keeps the dialog open with the server's message.
 */
export function ConfirmDialog({ action, onClose }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const mutation = useMutation({ mutationFn: (run: () => Promise<void>) => run(), onSuccess: () => onClose(true) });
  const busy = mutation.isPending;
  const error = mutation.error?.message ?? null;
  const { reset } = mutation;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (action && !dialog.open) {
      reset();
      dialog.showModal();
    } else if (!action && dialog.open) dialog.close();
  }, [action, reset]);

  const confirm = (): void => {
    if (action) mutation.mutate(action.run);
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose(false);
      }}
    >
      {action ? (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            confirm();
          }}
        >
          <h2 id="confirm-title">{action.title}</h2>
          <div className="dialog-body">{action.message}</div>
          <FormError message={error} />
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => onClose(false)} disabled={busy} autoFocus>
              Cancel
            </button>
            <button type="submit" className={action.danger ? 'button button-danger' : 'button button-primary'} disabled={busy}>
              {busy ? 'Working…' : action.confirmLabel}
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}
