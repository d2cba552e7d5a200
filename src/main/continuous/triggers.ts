// Triggers and their firings. A firing waits its turn (one at a time per project), trains the project's
// saved recipe on the newest data on the trigger's host, tests the run against production with the
// project's pinned suite, and on a PASS proposes it as the candidate, with the trigger as its reason.
// A trigger that fires while another firing of the project still waits collapses into it (which then
// trains on the newest version). Approving and pushing stay with a person.
import type Database from 'better-sqlite3';
import { Cron } from 'croner';
import type { Firing, FiringStatus, Trigger, TriggerKind } from '../../shared/domain/continuous';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';

interface TriggerRow {
  id: string;
  project_id: string;
  kind: TriggerKind;
  dataset_id: string | null;
  dataset_name: string | null;
  schedule: string | null;
  host_id: string;
  host_name: string;
  enabled: number;
  last_window_at: number | null;
  created_at: number;
}

interface FiringRow {
  id: string;
  trigger_id: string;
  project_id: string;
  status: FiringStatus;
  reason: string;
  dataset_version_id: string | null;
  run_id: string | null;
  test_id: string | null;
  detail: string | null;
  fired_at: number;
  updated_at: number;
}

const SELECT_TRIGGER = `SELECT t.*, d.name AS dataset_name, h.name AS host_name FROM triggers t
  LEFT JOIN datasets d ON d.id = t.dataset_id JOIN hosts h ON h.id = t.host_id`;

const toTrigger = (r: TriggerRow): Trigger => ({
  id: r.id,
  projectId: r.project_id,
  kind: r.kind,
  datasetId: r.dataset_id,
  datasetName: r.dataset_name,
  schedule: r.schedule,
  hostId: r.host_id,
  hostName: r.host_name,
  enabled: r.enabled === 1,
  lastWindowAt: r.last_window_at,
  createdAt: r.created_at,
});

const toFiring = (r: FiringRow): Firing => ({
  id: r.id,
  triggerId: r.trigger_id,
  projectId: r.project_id,
  status: r.status,
  reason: r.reason,
  datasetVersionId: r.dataset_version_id,
  runId: r.run_id,
  testId: r.test_id,
  detail: r.detail,
  firedAt: r.fired_at,
  updatedAt: r.updated_at,
});

/** A cron expression checked now, with what is wrong in words. */
export function parseSchedule(expression: string): Cron {
  try {
    return new Cron(expression, { paused: true });
  } catch (err) {
    throw new EngineError(
      'VALIDATION_FAILED',
      // croner's words without its class name and the pattern it repeats ("CronPattern: invalid configuration format ('nightly'), ...").
      `"${expression}" is not a schedule: ${(err as Error).message
        .replace(/^CronPattern:\s*/, '')
        .replace(/\s*\('[^']*'\)/, '')
        .replace(/\.+$/, '')}. Write it as cron does: minute hour day month weekday, e.g. "0 3 * * *" for 03:00 every day.`,
    );
  }
}

/**
 * The latest window of the schedule after `after` and at or before `now`, and how many windows that
 * skips: a schedule missed while the app was closed runs once on wake, not once per window.
 */
export function dueWindow(expression: string, after: number, now: number): { at: number; missed: number } | undefined {
  const cron = parseSchedule(expression);
  let at: number | undefined;
  let missed = 0;
  for (let next = cron.nextRun(new Date(after)); next && next.getTime() <= now; next = cron.nextRun(next)) {
    if (at !== undefined) missed++;
    at = next.getTime();
    if (missed > 100_000) break; // a schedule every minute, missed for months: one firing is enough to know
  }
  return at === undefined ? undefined : { at, missed };
}

export class TriggerStore {
  constructor(private readonly db: Database.Database) {}

  add(input: { projectId: string; kind: TriggerKind; datasetId: string | null; schedule: string | null; hostId: string }): Trigger {
    if (input.schedule) parseSchedule(input.schedule);
    const id = newUlid();
    this.db
      .prepare('INSERT INTO triggers (id, project_id, kind, dataset_id, schedule, host_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, input.projectId, input.kind, input.datasetId, input.schedule, input.hostId, Date.now());
    return this.get(id);
  }

  get(id: string): Trigger {
    const row = this.db.prepare<[string], TriggerRow>(`${SELECT_TRIGGER} WHERE t.id = ?`).get(id.trim());
    if (!row) throw new EngineError('VALIDATION_FAILED', `No trigger ${id}. List them with \`tunebench trigger list --project P\`.`);
    return toTrigger(row);
  }

  list(projectId?: string): Trigger[] {
    const rows = projectId
      ? this.db.prepare<[string], TriggerRow>(`${SELECT_TRIGGER} WHERE t.project_id = ? ORDER BY t.created_at`).all(projectId)
      : this.db.prepare<[], TriggerRow>(`${SELECT_TRIGGER} ORDER BY t.created_at`).all();
    return rows.map(toTrigger);
  }

  setEnabled(id: string, enabled: boolean): Trigger {
    this.db.prepare('UPDATE triggers SET enabled = ? WHERE id = ?').run(enabled ? 1 : 0, this.get(id).id);
    return this.get(id);
  }

  setWindow(id: string, at: number): void {
    this.db.prepare('UPDATE triggers SET last_window_at = ? WHERE id = ?').run(at, id);
  }

  /** Dataset triggers a new version of this dataset fires. */
  forDataset(datasetId: string): Trigger[] {
    return this.db.prepare<[string], TriggerRow>(`${SELECT_TRIGGER} WHERE t.kind = 'dataset' AND t.dataset_id = ? AND t.enabled = 1`).all(datasetId).map(toTrigger);
  }

  /**
   * Records a firing. While another firing of the project waits its turn, this one collapses into it:
   * the waiting one trains on this firing's (newer) data, and this one says where it went.
   */
  fire(trigger: Trigger, reason: string, datasetVersionId: string | null): Firing {
    const id = newUlid();
    const now = Date.now();
    this.db.transaction(() => {
      const waiting = this.db.prepare<[string], FiringRow>("SELECT * FROM trigger_firings WHERE project_id = ? AND status = 'QUEUED' ORDER BY fired_at LIMIT 1").get(trigger.projectId);
      if (waiting) {
        this.db
          .prepare("INSERT INTO trigger_firings (id, trigger_id, project_id, status, reason, dataset_version_id, detail, fired_at, updated_at) VALUES (?, ?, ?, 'COLLAPSED', ?, ?, ?, ?, ?)")
          .run(id, trigger.id, trigger.projectId, reason, datasetVersionId, `collapsed into firing ${waiting.id}, which was still waiting its turn`, now, now);
        if (datasetVersionId) this.db.prepare('UPDATE trigger_firings SET dataset_version_id = ?, updated_at = ? WHERE id = ?').run(datasetVersionId, now, waiting.id);
        const note = `${waiting.detail ? `${waiting.detail}; ` : ''}also fired: ${reason}`;
        this.db.prepare('UPDATE trigger_firings SET detail = ? WHERE id = ?').run(note.slice(0, 2000), waiting.id);
      } else {
        this.db
          .prepare("INSERT INTO trigger_firings (id, trigger_id, project_id, status, reason, dataset_version_id, fired_at, updated_at) VALUES (?, ?, ?, 'QUEUED', ?, ?, ?, ?)")
          .run(id, trigger.id, trigger.projectId, reason, datasetVersionId, now, now);
      }
    })();
    return this.firing(id);
  }

  firing(id: string): Firing {
    const row = this.db.prepare<[string], FiringRow>('SELECT * FROM trigger_firings WHERE id = ?').get(id);
    if (!row) throw new EngineError('VALIDATION_FAILED', `No firing ${id}.`);
    return toFiring(row);
  }

  history(projectId?: string): Firing[] {
    const rows = projectId
      ? this.db.prepare<[string], FiringRow>('SELECT * FROM trigger_firings WHERE project_id = ? ORDER BY fired_at DESC, id DESC').all(projectId)
      : this.db.prepare<[], FiringRow>('SELECT * FROM trigger_firings ORDER BY fired_at DESC, id DESC').all();
    return rows.map(toFiring);
  }

  /** Firings being worked on (training or testing), and each project's next one waiting its turn. */
  active(): Firing[] {
    return this.db.prepare<[], FiringRow>("SELECT * FROM trigger_firings WHERE status IN ('TRAINING', 'TESTING') ORDER BY fired_at").all().map(toFiring);
  }

  nextWaiting(): Firing[] {
    return this.db
      .prepare<[], FiringRow>(
        `SELECT f.* FROM trigger_firings f WHERE f.status = 'QUEUED'
           AND NOT EXISTS (SELECT 1 FROM trigger_firings g WHERE g.project_id = f.project_id AND g.status IN ('TRAINING', 'TESTING'))
           AND f.fired_at = (SELECT min(fired_at) FROM trigger_firings h WHERE h.project_id = f.project_id AND h.status = 'QUEUED')`,
      )
      .all()
      .map(toFiring);
  }

  update(id: string, status: FiringStatus, fields: { runId?: string; testId?: string; detail?: string } = {}): Firing {
    this.updateIf(id, null, status, fields);
    return this.firing(id);
  }

  /**
   * Updates a firing only while its status is one of `from` (null: whatever it is); says whether it did.
   * A step that awaited something (a launch, a test starting) must not overwrite what happened meanwhile.
   */
  updateIf(id: string, from: readonly FiringStatus[] | null, status: FiringStatus, fields: { runId?: string; testId?: string; detail?: string } = {}): boolean {
    const guard = from ? ` AND status IN (${from.map(() => '?').join(', ')})` : '';
    const r = this.db
      .prepare(`UPDATE trigger_firings SET status = ?, run_id = coalesce(?, run_id), test_id = coalesce(?, test_id), detail = coalesce(?, detail), updated_at = ? WHERE id = ?${guard}`)
      .run(status, fields.runId ?? null, fields.testId ?? null, fields.detail ?? null, Date.now(), id, ...(from ?? []));
    return r.changes === 1;
  }

  /**
   * Takes a waiting firing to train it: TRAINING with no run yet, so that a firing coming meanwhile waits
   * its own turn (it folded into this one and changed its data while the launch uploaded the old data),
   * and a second engine cannot take it too. Null when it was no longer waiting. Read again: its data is
   * what the claim saw.
   */
  claim(id: string): Firing | null {
    return this.updateIf(id, ['QUEUED'], 'TRAINING') ? this.firing(id) : null;
  }
}
