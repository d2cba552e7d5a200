// Full-text search over logs (FTS5, kept by triggers) and markers found in logs and metrics.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 6,
  name: 'log-search-markers',
  up: `
    CREATE VIRTUAL TABLE log_fts USING fts5(text, content = 'log_lines', content_rowid = 'rowid');
    CREATE TRIGGER log_lines_fts_insert AFTER INSERT ON log_lines BEGIN
      INSERT INTO log_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER log_lines_fts_delete AFTER DELETE ON log_lines BEGIN
      INSERT INTO log_fts (log_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;

    -- kind: nan_loss | loss_spike | cuda_oom | traceback | nccl_error | restart
    CREATE TABLE run_markers (
      id     INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      kind   TEXT NOT NULL,
      line   INTEGER,  -- log line number, for log markers
      step   REAL,     -- training step, for metric markers
      detail TEXT NOT NULL
    ) STRICT;
    CREATE INDEX run_markers_run ON run_markers (run_id, kind);
  `,
};
