// Reading records of run data (parameters, metric summaries) by a name that came from data.
/**
 * A value of a record from run data (parameters, metric summaries) by name, own properties only: a
 * parameter or metric named `constructor` or `toString` is data, never Object's members.
 */
export function own<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
