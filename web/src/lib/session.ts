import { api, ApiError, setCsrfToken } from './api';
import { store, useStore } from './store';

/** Shapes from the contract (`GET /api/<realm>/auth/session`). */
export interface MemberSession {
  csrfToken: string;
  timeZone: string;
  reseller: { id: string; name: string; email: string; tier: { code: string; name: string }; balance: number };
}

export interface AdminSession {
  csrfToken: string;
  timeZone: string;
  operator: { id: string; name: string; email: string; role: 'owner' | 'staff'; totpEnabled: boolean };
}

export type Session = MemberSession | AdminSession;

const current = store<Session | null>(null);

export function setSession(s: Session | null): void {
  setCsrfToken(s?.csrfToken ?? null);
  current.set(s);
}

export function getSession(): Session | null {
  return current.get();
}

/** The realm's session; pages of one realm cast to its type: `useSession<MemberSession>()`. */
export function useSession<S extends Session = Session>(): S | null {
  return useStore(current) as S | null;
}

/** Asks the server who is logged in (null when nobody); also refreshes e.g. the member's balance. */
export async function loadSession(): Promise<Session | null> {
  try {
    const { session } = await api.get<{ session: Session }>('/auth/session');
    setSession(session);
    return session;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setSession(null);
      return null;
    }
    throw e;
  }
}

/** Times are shown in the operator's time zone; before log-in, the browser's. */
export function sessionTimeZone(): string | undefined {
  return current.get()?.timeZone;
}
