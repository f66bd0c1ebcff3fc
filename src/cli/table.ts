/** Prints rows as aligned columns: readable by people, and by `awk` and `cut`. */
export function printTable(header: string[], rows: string[][], write: (s: string) => void = (s) => process.stdout.write(s)): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}
