import type { TFunction } from 'i18next';
import { useEffect, useState } from 'react';

/**
 * Times and durations in the operator's language. Intl does the wording of dates and "3 minutes ago"; unit
 * labels that Intl does not cover come from the catalogue.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function formatLocalTime(language: string, at: number): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' }).format(at);
}

/** The unambiguous form for a support ticket: full date, seconds and the time zone. */
export function formatAbsoluteTime(language: string, at: number): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'full', timeStyle: 'long' }).format(at);
}

export function formatRelativeTime(language: string, at: number, now: number): string {
  const rtf = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  const diff = at - now;
  const abs = Math.abs(diff);
  if (abs < MINUTE) return rtf.format(Math.round(diff / 1000), 'second');
  if (abs < HOUR) return rtf.format(Math.round(diff / MINUTE), 'minute');
  if (abs < DAY) return rtf.format(Math.round(diff / HOUR), 'hour');
  return rtf.format(Math.round(diff / DAY), 'day');
}

export function formatDuration(t: TFunction<'activity'>, language: string, ms: number | undefined): string {
  if (ms === undefined) return t('empty');
  if (ms < 1000) return t('duration.ms', { value: Math.round(ms) });
  return t('duration.s', { value: new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(ms / 1000) });
}

/** The current time, ticking so that "2 minutes ago" does not stay "just now" on an open page. */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
