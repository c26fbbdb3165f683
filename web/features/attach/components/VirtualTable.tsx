import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import { measureElement, observeElementRect, useVirtualizer, type Rect, type Virtualizer } from '@tanstack/react-virtual';
import { useCallback, useRef, type ReactNode } from 'react';

export interface VirtualTableProps<T> {
  rows: readonly T[];
  /** The table's accessible name. */
  label: string;
  /** The header cells. */
  head: ReactNode;
  columnCount: number;
  rowKey: (row: T) => string;
  /** The cells of one row. */
  renderCells: (row: T) => ReactNode;
  /** Smallest row height; rows that wrap grow and are measured. */
  rowHeight: number;
  maxHeight: number | string;
}

/**
 * jsdom has no layout (every size is 0), so the virtualizer would render no rows; there it falls back to a
 * viewport and row size of plausible dimensions. Real browsers always report real sizes.
 */
const FALLBACK_RECT: Rect = { width: 1024, height: 480 };

/**
 * A real <table> (so rows and cells keep their roles for screen readers) whose body renders only the rows in view:
 * a selection can be thousands of instances (issue 4 §4/§6). Spacer rows keep the scroll height honest and are
 * hidden from assistive technology.
 */
export function VirtualTable<T>({ rows, label, head, columnCount, rowKey, renderCells, rowHeight, maxHeight }: VirtualTableProps<T>) {
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    getItemKey: (index) => {
      const row = rows[index];
      return row === undefined ? index : rowKey(row);
    },
    overscan: 5,
    initialRect: FALLBACK_RECT,
    observeElementRect: (instance: Virtualizer<HTMLDivElement, Element>, cb: (rect: Rect) => void) =>
      observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : FALLBACK_RECT)),
    measureElement: (element, entry, instance) => Math.max(measureElement(element, entry, instance), rowHeight),
  });
  const measure = useCallback((node: HTMLTableRowElement | null) => virtualizer.measureElement(node), [virtualizer]);
  const items = virtualizer.getVirtualItems();
  const first = items[0];
  const last = items[items.length - 1];
  const top = first?.start ?? 0;
  const bottom = last ? virtualizer.getTotalSize() - last.end : 0;
  return (
    <TableContainer ref={scrollRef} sx={{ maxHeight, overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1 }} tabIndex={0} role="region" aria-label={label}>
      <Table stickyHeader size="small" aria-label={label} aria-rowcount={rows.length + 1}>
        <TableHead>{head}</TableHead>
        <TableBody>
          {top > 0 && (
            <TableRow aria-hidden="true" sx={{ height: top }}>
              <TableCell colSpan={columnCount} sx={{ p: 0, border: 0 }} />
            </TableRow>
          )}
          {items.map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            return (
              <TableRow key={item.key} ref={measure} data-index={item.index} aria-rowindex={item.index + 2} sx={{ verticalAlign: 'top' }}>
                {renderCells(row)}
              </TableRow>
            );
          })}
          {bottom > 0 && (
            <TableRow aria-hidden="true" sx={{ height: bottom }}>
              <TableCell colSpan={columnCount} sx={{ p: 0, border: 0 }} />
            </TableRow>
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
