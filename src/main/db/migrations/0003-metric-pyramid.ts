// The min/max pyramid: for each series, level L bucket b summarizes points idx in [b*16^L, (b+1)*16^L).
// Kept up to date at ingest, so a chart query reads what the screen shows, not what the run logged.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 3,
  name: 'metric-pyramid',
  up: `
    CREATE TABLE metric_buckets (
      series_id  INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
      level      INTEGER NOT NULL,
      bucket     INTEGER NOT NULL,
      count      INTEGER NOT NULL,  -- points, including those without a finite value
      n          INTEGER NOT NULL,  -- points with a finite value (min, max, sum cover these)
      min        REAL,
      max        REAL,
      sum        REAL,
      first      REAL,
      last       REAL,
      first_step REAL,
      last_step  REAL,
      first_ts   REAL NOT NULL,
      last_ts    REAL NOT NULL,
      PRIMARY KEY (series_id, level, bucket)
    ) STRICT, WITHOUT ROWID;
  `,
};
