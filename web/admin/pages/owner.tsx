import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../../src/lib/i18n';
import { useSession, type AdminSession } from '../../src/lib/session';
import { Button } from '../../src/lib/ui';

/** Whether the operator may change prices, suppliers and balances (the API checks it again). */
export function useIsOwner(): boolean {
  return useSession<AdminSession>()?.operator.role === 'owner';
}

/**
 * A two-step action: the first button asks, the second (with what exactly will happen) does it.
 * Both are real buttons, so it works by keyboard; the second is disabled while the request runs.
 */
export function Confirm({ label, question, kind = 'primary', onConfirm }: { label: string; question: ComponentChildren; kind?: 'primary' | 'danger' | 'secondary'; onConfirm: () => Promise<unknown> }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <Button kind={kind === 'danger' ? 'danger' : 'secondary'} onClick={() => setAsking(true)}>
        {label}
      </Button>
    );
  }
  return (
    <span class="confirm-inline" role="group" aria-label={label}>
      <span class="confirm-question">{question}</span>
      <Button kind={kind} onClick={async () => { await onConfirm(); setAsking(false); }}>
        {t('admin.confirm.yes')}
      </Button>
      <Button kind="link" onClick={() => setAsking(false)}>
        {t('admin.confirm.no')}
      </Button>
    </span>
  );
}
