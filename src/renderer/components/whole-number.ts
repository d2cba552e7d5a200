// Number fields are typed as text (so a half-typed value is not lost); this reads one, with a plain
// sentence instead of zod's "expected number" when it is not a whole number in range.
export function wholeNumber(text: string, label: string, min: number, max: number, unit = ''): { value?: number; error?: string } {
  const t = text.trim();
  if (t === '') return {};
  const u = unit ? ` ${unit}` : '';
  if (!/^\d+$/.test(t)) return { error: `${label} must be a whole number${unit ? ` of ${unit}` : ''}, e.g. ${Math.max(min, 1)}.` };
  const value = Number(t);
  if (value < min || value > max) return { error: `${label} is from ${min} to ${max}${u}.` };
  return { value };
}
