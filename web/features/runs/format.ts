import { useEffect, useState } from 'react';

/** Times and durations in the operator's language; Intl does the wording, so no unit lives in a catalogue. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function formatLocalTime(language: string, at: number): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' }).format(at);
}

/** Wave times: the run is watched while it moves, so the clock time is what matters. */
export function formatClock(language: string, at: number): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'medium' }).format(at);
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

/** A policy's duration: "45 seconds", "10 minutes", "1.5 hours" (policies are whole seconds at least). */
export function formatDuration(language: string, ms: number): string {
  const [value, unit] = ms < MINUTE ? [ms / 1000, 'second'] : ms < HOUR ? [ms / MINUTE, 'minute'] : [ms / HOUR, 'hour'];
  return new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 }).format(value);
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
