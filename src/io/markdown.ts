// Markdown for reports (compare, benchmark anomaly) that people read on a terminal as well as rendered.

/** Rows of cells as a Markdown table, columns padded (as Biome formats Markdown) so it also reads on a terminal. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, j) => cell.padEnd(widths[j])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
