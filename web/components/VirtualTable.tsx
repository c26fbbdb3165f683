import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import type { SxProps, Theme } from '@mui/material/styles';
import { measureElement, observeElementRect, useVirtualizer, type Rect, type Virtualizer } from '@tanstack/react-virtual';
import { useCallback, useRef, type ReactNode } from 'react';

export interface VirtualTableProps<T> {
  rows: readonly T[];
  /** The table's accessible name. */
  label: string;
  /** The header row, with aria-rowindex 1. */
  head: ReactNode;
  columnCount: number;
  rowKey: (row: T) => string;
  /** The cells of one row. */
  renderCells: (row: T) => ReactNode;
  /** Per-row props of the <tr> (hover, selected). */
  rowProps?: ((row: T) => { hover?: boolean; selected?: boolean }) | undefined;
  /** The row height; with `isMeasured`, the smallest one, and rows that wrap grow and are measured. */
  rowHeight: number;
  isMeasured?: boolean;
  /** Rows rendered beyond the viewport on each side. */
  overscan?: number;
  /** Size of the scroll container (a maxHeight or a height), and how far focus scrolls below the sticky header. */
  size?: { height?: number | string; maxHeight?: number | string; minHeight?: number | string; scrollPaddingTop?: number };
  tableSx?: SxProps<Theme>;
  /** A <colgroup> for fixed column widths. */
  colgroup?: ReactNode;
  /** Shown in a single row when `rows` is empty. */
  emptyContent?: ReactNode;
  /**
   * Makes the scroll container a named, focusable region, so a keyboard user can scroll a table whose rows hold
   * nothing focusable. Tables of checkboxes leave it off: the checkboxes scroll the table into view.
   */
  isScrollRegion?: boolean;
}

/**
 * jsdom and hidden containers have no layout (every size is 0), so the virtualizer would render no rows; there
 * it falls back to a viewport of plausible dimensions. Real browsers always report real sizes.
 */
const FALLBACK_RECT: Rect = { width: 1200, height: 480 };

function observeWithFallback(instance: Virtualizer<HTMLDivElement, Element>, cb: (rect: Rect) => void) {
  return observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : FALLBACK_RECT));
}

/**
 * The one virtualized table (docs/decisions/virtual-table-over-datagrid.md): a real MUI <table>, so rows and
 * cells keep their roles for screen readers, whose body renders only the rows in view (plus an overscan). An
 * instance list or a selection can be thousands of rows (docs/product.md#step-2-instances). Spacer rows keep the
 * scroll height honest and are hidden from assistive technology; aria-rowcount and aria-rowindex say where each
 * rendered row sits.
 */
export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { rows, label, head, columnCount, rowKey, renderCells, rowProps, rowHeight, isMeasured = false, overscan = 5 } = props;
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    getItemKey: (index) => {
      const row = rows[index];
      return row === undefined ? index : rowKey(row);
    },
    overscan,
    initialRect: FALLBACK_RECT,
    observeElementRect: observeWithFallback,
    measureElement: (element, entry, instance) => Math.max(measureElement(element, entry, instance), rowHeight),
    // React 19 warns about flushSync during render; scrolling stays smooth without it.
    useFlushSync: false,
  });
  const measure = useCallback((node: HTMLTableRowElement | null) => virtualizer.measureElement(node), [virtualizer]);
  const items = virtualizer.getVirtualItems();
  const first = items[0];
  const last = items[items.length - 1];
  const top = first?.start ?? 0;
  const bottom = last ? virtualizer.getTotalSize() - last.end : 0;
  const region = props.isScrollRegion ? { tabIndex: 0, role: 'region', 'aria-label': label } : {};
  return (
    <TableContainer
      ref={scrollRef}
      sx={{ overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1, ...props.size }}
      {...region}
    >
      <Table stickyHeader size="small" aria-label={label} aria-rowcount={rows.length + 1} sx={props.tableSx}>
        {props.colgroup}
        <TableHead>{head}</TableHead>
        <TableBody>
          {rows.length === 0 && props.emptyContent !== undefined && (
            <TableRow>
              <TableCell colSpan={columnCount}>{props.emptyContent}</TableCell>
            </TableRow>
          )}
          {top > 0 && <Spacer height={top} columnCount={columnCount} />}
          {items.map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            return (
              <TableRow
                key={item.key}
                {...rowProps?.(row)}
                ref={isMeasured ? measure : undefined}
                data-index={item.index}
                aria-rowindex={item.index + 2}
                sx={isMeasured ? { verticalAlign: 'top' } : { height: rowHeight }}
              >
                {renderCells(row)}
              </TableRow>
            );
          })}
          {bottom > 0 && <Spacer height={bottom} columnCount={columnCount} />}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function Spacer({ height, columnCount }: { height: number; columnCount: number }) {
  return (
    <TableRow aria-hidden="true" sx={{ height }}>
      <TableCell colSpan={columnCount} sx={{ p: 0, border: 0 }} />
    </TableRow>
  );
}
