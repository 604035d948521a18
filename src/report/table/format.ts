/*
 * A plain text table: columns padded to the widest cell, two spaces apart, a rule of `─` under the
 * header. Widths count code points, never escape sequences: colour is applied to a cell's text after
 * the padding is computed, so coloured and plain output line up the same.
 */

export interface TableOptions {
  /** Colour (or otherwise decorate) a body cell's text; padding stays outside the decoration. */
  style?: (row: number, column: number, text: string) => string;
  /** Cut the cells of this column so each line fits `maxWidth`. */
  shrinkColumn?: number;
  maxWidth?: number;
  /** Narrowest the shrinking column may become. */
  minShrinkWidth?: number;
}

function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function cut(s: string, max: number): string {
  const cps = [...s];
  if (cps.length <= max) return s;
  return max <= 1 ? cps.slice(0, Math.max(0, max)).join('') : `${cps.slice(0, max - 1).join('')}…`;
}

/** Render a table; each line ends with a newline, trailing spaces trimmed. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const cols = headers.length;
  let body = rows.map((r) => Array.from({ length: cols }, (_, i) => r[i] ?? ''));
  const widths = headers.map((h, i) => Math.max(width(h), ...body.map((r) => width(r[i] ?? ''))));
  const { shrinkColumn, maxWidth } = options;
  if (shrinkColumn !== undefined && maxWidth !== undefined && shrinkColumn < cols) {
    const others = widths.reduce((n, w, i) => (i === shrinkColumn ? n : n + w), 0) + 2 * (cols - 1);
    const room = Math.max(options.minShrinkWidth ?? 10, maxWidth - others);
    if ((widths[shrinkColumn] ?? 0) > room) {
      widths[shrinkColumn] = Math.max(room, width(headers[shrinkColumn] ?? ''));
      body = body.map((r) => r.map((c, i) => (i === shrinkColumn ? cut(c, room) : c)));
    }
  }
  const line = (cells: readonly string[], row: number | undefined): string =>
    cells
      .map((c, i) => {
        const pad = i === cells.length - 1 ? '' : ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(c)));
        const text = row !== undefined && options.style && c !== '' ? options.style(row, i, c) : c;
        return text + pad;
      })
      .join('  ')
      .trimEnd();
  return `${[
    line(headers, undefined),
    line(
      widths.map((w) => '─'.repeat(w)),
      undefined,
    ),
    ...body.map((r, i) => line(r, i)),
  ].join('\n')}\n`;
}

/** A plain text table (no colour codes, so it survives pipes). */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return renderTable(headers, rows);
}
