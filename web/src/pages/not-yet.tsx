import { t } from '../lib/i18n';
import { Alert, Page } from '../lib/ui';
import type { MessageKey } from '../lib/i18n';

/** Stands in for a menu entry whose page is not built yet; replace it in the realm's route table. */
export function notYet(title: MessageKey) {
  return function NotYet() {
    return (
      <Page title={t(title)}>
        <Alert>{t('app.notYet')}</Alert>
      </Page>
    );
  };
}
