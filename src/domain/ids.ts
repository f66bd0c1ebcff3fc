import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/**
 * Readable, time-ordered ids with a type prefix (`rs_...`, `ord_...`), lowercase so they are
 * safe in URLs and file names. UUIDs are used only where the protocol shows UUIDs.
 */
export function newId(prefix: 'rs' | 'ord' | 'job' | 'le' | 'evt' | 'att' | 'rt' | 'pr' | 'sync'): string {
  return `${prefix}_${next().toLowerCase()}`;
}
