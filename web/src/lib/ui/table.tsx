import type { ComponentChildren } from 'preact';
import { EmptyState } from './feedback';

export interface Column<T> {
  label: string;
  /** What the cell shows; a plain value of the row when omitted (`key`). */
  render?: (row: T) => ComponentChildren;
  key?: keyof T & string;
  /** Numbers and money line up on the right. */
  align?: 'left' | 'right';
}

/**
 * A real <table> on wide screens; below 640 px each row becomes a card whose cells carry their
 * column's name (data-label, see styles.css), so nothing scrolls sideways on a phone.
 */
export function Table<T>({ columns, rows, rowKey, caption, empty }: { columns: Column<T>[]; rows: T[]; rowKey: (row: T) => string; caption?: string; empty?: ComponentChildren }) {
  if (rows.length === 0) return <EmptyState>{empty}</EmptyState>;
  return (
    <table class="table">
      {caption && <caption>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.label} scope="col" class={c.align === 'right' ? 'right' : undefined}>
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)}>
            {columns.map((c) => (
              <td key={c.label} data-label={c.label} class={c.align === 'right' ? 'right' : undefined}>
                {c.render ? c.render(row) : c.key ? String(row[c.key] ?? '') : null}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
