// Where an axis of Compare's plot (plot.ts) has its ticks and what their labels say: nice numbers on a
// value axis (as ECharts chose them: 1, 2, 3 or 5 times a power of ten, about five of them, whole
// numbers only on a step axis), powers of ten on a log axis, whole milliseconds to years of the local
// calendar on a wall-time axis. Labels never overlap: the step grows until they fit.

export interface Tick {
  value: number;
  label: string;
}

/** ECharts' nice number near `raw`: 1, 2, 3, 5 or 10 times a power of ten. */
export function niceInterval(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m < 1.5 ? 1 : m < 2.5 ? 2 : m < 4 ? 3 : m < 7 ? 5 : 10) * power;
}

/** The nice number after `interval` (2 after 1, 3 after 2, 5 after 3, 10 after 5). */
function nextInterval(interval: number): number {
  const power = 10 ** Math.floor(Math.log10(interval) + 1e-9);
  const m = Math.round(interval / power);
  return (m < 2 ? 2 : m < 3 ? 3 : m < 5 ? 5 : 10) * power;
}

/** Decimals that show every multiple of `interval` exactly (0.25 -> 2, 300 -> 0). */
function decimalsOf(interval: number): number {
  for (let d = 0; d < 12; d++) if (Math.abs(Math.round(interval * 10 ** d) - interval * 10 ** d) < 1e-6) return d;
  return 12;
}

/** A value axis' label: thousands separated, as ECharts wrote them ("1,200", "0.25"). */
export const valueLabel = (v: number, decimals: number) => v.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });

/** Whether labels `gap` px apart, each `width(label)` wide, stay apart (8 px between them). */
function fits(ticks: Tick[], pxPerUnit: number, width: (label: string) => number): boolean {
  for (let i = 1; i < ticks.length; i++) {
    const gap = (ticks[i]!.value - ticks[i - 1]!.value) * pxPerUnit;
    if (gap < (width(ticks[i]!.label) + width(ticks[i - 1]!.label)) / 2 + 8) return false;
  }
  return true;
}

/**
 * Ticks of a value axis from `from` to `to` drawn `length` px long: multiples of a nice interval inside
 * the range, about five, whole numbers only when `wholeNumbers`; fewer where the labels would touch.
 */
export function valueTicks(from: number, to: number, length: number, width: (label: string) => number, wholeNumbers = false, interval?: number): Tick[] {
  const span = to - from;
  if (!(span > 0) || !Number.isFinite(span) || !(length > 0)) return Number.isFinite(from) ? [{ value: from, label: valueLabel(from, 6) }] : [];
  let step = interval ?? niceInterval(span / 5);
  if (wholeNumbers && step < 1) step = 1;
  for (let tries = 0; tries < 40; tries++, step = nextInterval(step)) {
    const decimals = decimalsOf(step);
    const ticks: Tick[] = [];
    const first = Math.ceil(from / step - 1e-9);
    const last = Math.floor(to / step + 1e-9);
    if (last - first > 1000) continue;
    for (let k = first; k <= last; k++) {
      const value = Number((k * step).toFixed(decimals));
      ticks.push({ value, label: valueLabel(value, decimals) });
    }
    if (fits(ticks, length / span, width)) return ticks;
  }
  return [];
}

/** A log axis' ticks: each power of ten inside the range; with 2 and 5 times them where it spans less than two decades. */
export function logTicks(min: number, max: number, label: (v: number) => string): Tick[] {
  if (!(min > 0 && max > min)) return [];
  const [lo, hi] = [Math.floor(Math.log10(min)), Math.ceil(Math.log10(max))];
  const steps = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: Tick[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of steps) {
      const value = Number((m * 10 ** e).toPrecision(12));
      if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9)) ticks.push({ value, label: label(value) });
    }
  }
  return ticks;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The steps a wall-time axis may take (milliseconds for a deep zoom into points logged close together). */
const TIME_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500].concat(
  [1, 2, 5, 10, 15, 30].map((s) => s * SECOND),
  [1, 2, 5, 10, 15, 30].map((m) => m * MINUTE),
  [1, 2, 3, 6, 12].map((h) => h * HOUR),
  [1, 2, 7, 14, 30, 91, 182, 365, 730, 1826, 3652, 7305, 18262].map((d) => d * DAY),
);

const pad = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A wall-time label: the time of day to the step's precision (to the millisecond), the date at midnight or for steps of days, the month or the year for longer steps. */
export function timeLabel(ms: number, step: number): string {
  const d = new Date(ms);
  if (step >= 365 * DAY) return String(d.getFullYear());
  if (step >= 30 * DAY) return `${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
  const day = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  if (step >= DAY || (d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0)) return day;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (step < SECOND) return `${time}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  return step < MINUTE ? `${time}:${pad(d.getSeconds())}` : time;
}

/** A wall-time axis' ticks (ms since 1970): a whole step of seconds, minutes, hours, days, months or years, on the local clock. */
export function timeTicks(from: number, to: number, length: number, width: (label: string) => number): Tick[] {
  const span = to - from;
  if (!(span > 0) || !(length > 0)) return [];
  // Whole minutes and seconds of the local clock (its offset from UTC is whole minutes).
  const offset = new Date(from).getTimezoneOffset() * MINUTE;
  const first = new Date(from);
  for (const step of TIME_STEPS) {
    if (span / step > 6) continue; // about five ticks, as on a value axis
    const ticks: Tick[] = [];
    const push = (t: number) => t >= from && t <= to && ticks.push({ value: t, label: timeLabel(t, step) });
    if (step >= 30 * DAY) {
      // Steps of months and years start on the first of a month (of January for years).
      const months = step >= 365 * DAY ? Math.round(step / (365 * DAY)) * 12 : Math.round(step / (30 * DAY));
      let m = Math.ceil((first.getFullYear() * 12 + first.getMonth()) / months) * months;
      for (let t = new Date(Math.floor(m / 12), m % 12, 1).getTime(); t <= to; m += months, t = new Date(Math.floor(m / 12), m % 12, 1).getTime()) push(t);
    } else if (step >= HOUR) {
      // Hours and days counted on the local calendar, from the first day's midnight: a change of
      // daylight saving time moves no tick off its whole hour or its midnight.
      const days = step >= DAY;
      const n = Math.round(step / (days ? DAY : HOUR));
      const [y, mo] = [first.getFullYear(), first.getMonth()];
      let d = first.getDate();
      if (days) d += (n - (Math.round(Date.UTC(y, mo, d) / DAY) % n)) % n; // days numbered from 1970: every n-th
      for (let k = 0, t = 0; t <= to; k++) {
        t = days ? new Date(y, mo, d + k * n).getTime() : new Date(y, mo, d, k * n).getTime();
        push(t);
      }
    } else {
      for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) push(t);
    }
    if (fits(ticks, length / span, width)) return ticks;
  }
  return [];
}
