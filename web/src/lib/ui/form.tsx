import { createContext, type ComponentChildren, type JSX } from 'preact';
import { useContext, useRef, useState } from 'preact/hooks';
import { ApiError, type Issue } from '../api';
import type { MessageKey } from '../i18n';
import { ErrorAlert } from './feedback';

/**
 * Forms: every state-changing action is a <Form> whose onSubmit gets the fields' values and may
 * throw. While it runs, its submit <Button> is disabled and a second submit is ignored (safe to
 * click twice); a thrown ApiError is shown above the fields, and VALIDATION issues next to the
 * <Field> whose name matches the issue's path.
 */

interface FormState {
  busy: boolean;
  issues: Issue[];
}

const FormContext = createContext<FormState>({ busy: false, issues: [] });

/** A check done in the browser, shown like the API's VALIDATION answer. */
export function invalid(path: string, message: string): ApiError {
  return new ApiError(400, 'VALIDATION', message, [{ path, message }]);
}

export function Form({
  onSubmit,
  byCode,
  children,
  class: className,
  'aria-label': label,
}: {
  onSubmit: (values: Record<string, string>) => Promise<unknown> | void;
  /** Page-specific messages for error codes, as for errorText. */
  byCode?: Partial<Record<string, MessageKey>>;
  children: ComponentChildren;
  class?: string;
  'aria-label'?: string;
}) {
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function submit(e: JSX.TargetedSubmitEvent<HTMLFormElement>) {
    e.preventDefault();
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      const values: Record<string, string> = {};
      new FormData(e.currentTarget).forEach((v, k) => {
        if (typeof v === 'string') values[k] = v;
      });
      await onSubmit(values);
    } catch (err) {
      setError(err);
    } finally {
      running.current = false;
      setBusy(false);
    }
  }
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <form class={className ?? 'form'} onSubmit={submit} noValidate aria-label={label} aria-busy={busy}>
      <ErrorAlert error={error} byCode={byCode} />
      <FormContext.Provider value={{ busy, issues }}>{children}</FormContext.Provider>
    </form>
  );
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'name' | 'label' | 'id'>;

/**
 * Label + input (or select, with `options`) + hint + the error for `name`. Prefill an input with
 * `defaultValue`: `value` binds it, and every re-render of the page (a list arriving, a reload
 * after another action) would put it back over what the operator typed.
 */
export function Field({
  name,
  label,
  hint,
  error,
  options,
  ...input
}: InputProps & {
  name: string;
  label: string;
  hint?: string;
  /** An error of the page's own; the form's VALIDATION issue for `name` otherwise. */
  error?: string;
  options?: { value: string; label: string }[];
}) {
  const { issues } = useContext(FormContext);
  const message = error ?? issues.find((i) => i.path === name)?.message;
  const id = `f-${name}`;
  const described = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, name, 'aria-invalid': message ? true : undefined, 'aria-describedby': described };
  return (
    <div class={message ? 'field field-invalid' : 'field'}>
      <label for={id}>{label}</label>
      {options ? (
        <select {...common} value={input.value as string | undefined} onChange={input.onChange as JSX.GenericEventHandler<HTMLSelectElement> | undefined} disabled={input.disabled}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      ) : (
        <input {...input} {...common} />
      )}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {message && (
        <p class="error" id={`${id}-error`}>
          {message}
        </p>
      )}
    </div>
  );
}

/**
 * A real <button>. type="submit" inside a <Form> is disabled while the form runs; with an async
 * onClick it disables itself until the promise settles and shows a failure right after itself.
 */
export function Button({
  type = 'button',
  kind = 'primary',
  onClick,
  disabled,
  children,
}: {
  type?: 'button' | 'submit';
  kind?: 'primary' | 'secondary' | 'danger' | 'link';
  onClick?: () => Promise<unknown> | void;
  disabled?: boolean;
  children: ComponentChildren;
}) {
  const form = useContext(FormContext);
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function click() {
    if (!onClick || running.current) return;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      await onClick();
    } catch (err) {
      setError(err);
    } finally {
      running.current = false;
      setBusy(false);
    }
  }
  const off = disabled || busy || (type === 'submit' && form.busy);
  return (
    <>
      <button type={type} class={`btn btn-${kind}`} disabled={off} aria-disabled={off} onClick={onClick ? click : undefined}>
        {children}
      </button>
      <ErrorAlert error={error} />
    </>
  );
}
