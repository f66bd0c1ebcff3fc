import { messages as en } from '../i18n/en';
import { messages as id } from '../i18n/id';
import { ApiError } from './api';
import { store, useStore } from './store';

/**
 * Indonesian by default, English on request; the choice is kept in localStorage and mirrored in
 * `<html lang>`. Add a key to id.ts first, then en.ts (the type makes you).
 */
export type MessageKey = keyof typeof id;
export type Messages = Record<MessageKey, string>;
export type Lang = 'id' | 'en';

const dictionaries: Record<Lang, Messages> = { id, en };
const STORAGE_KEY = 'kios.lang';

function initialLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'id';
  } catch {
    return 'id';
  }
}

export const lang = store<Lang>(initialLang());
document.documentElement.lang = lang.get();

export function setLang(l: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  document.documentElement.lang = l;
  lang.set(l);
}

/** Re-renders the caller when the language changes; the app shell calls it once for the tree. */
export function useLang(): Lang {
  return useStore(lang);
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = dictionaries[lang.get()][key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/**
 * What to tell the user about a failed request. The API's messages are English, so known codes are
 * translated; a page that can say more passes its own key for a code:
 * `errorText(e, { CONFLICT: 'deposit.alreadyConfirmed' })`. Unknown codes show the server's text.
 */
export function errorText(e: unknown, byCode: Partial<Record<string, MessageKey>> = {}): string {
  if (!(e instanceof ApiError)) return t('error.SERVER_ERROR');
  const own = byCode[e.code];
  if (own) return t(own);
  const key = `error.${e.code}`;
  return key in id ? t(key as MessageKey) : e.message;
}
