import type { Locator } from '@playwright/test';

const INSTANCE_ID = /\bi-[a-z0-9]+\b/;

/**
 * Reads every row of a virtualized dialog table (rows out of view are not in the DOM) by scrolling it from top to
 * bottom, each step bringing the last rendered row to the top.
 */
export async function readAllRows(scroller: Locator, rows: Locator): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
  for (let step = 0; step < 10_000; step++) {
    // Text per cell, read in one pass so a re-render cannot mix two states of a row.
    const { texts, lastTop } = await rows.evaluateAll((trs) => ({
      texts: trs.map((tr) => Array.from(tr.children, (td) => (td as HTMLElement).innerText.trim())),
      lastTop: trs.length > 0 ? (trs[trs.length - 1]?.getBoundingClientRect().top ?? 0) : 0,
    }));
    for (const cells of texts) {
      const id = INSTANCE_ID.exec(cells[0] ?? '')?.[0];
      if (id !== undefined) seen.set(id, cells);
    }
    const isAtEnd = await scroller.evaluate(async (el, top) => {
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return true;
      // Below the sticky header (~40 px), the last row read stays in view: nothing can be skipped.
      el.scrollBy({ top: Math.max(40, top - el.getBoundingClientRect().top - 80) });
      // Let the virtualizer render the rows of the new position (two frames) before they are read.
      await new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
      return false;
    }, lastTop);
    if (isAtEnd) break;
  }
  return seen;
}
