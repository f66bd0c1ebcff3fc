import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { Button } from './form';

/** "Copy" for a secret shown once (an API key, a set-up link), saying so when it is copied. */
export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <>
      <Button
        kind="secondary"
        onClick={async () => {
          await navigator.clipboard?.writeText(text);
          setCopied(text);
        }}
      >
        {t('app.copy')}
      </Button>
      {copied === text && (
        <span class="hint" role="status">
          {t('app.copied')}
        </span>
      )}
    </>
  );
}
