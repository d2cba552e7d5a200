// Moves every firing along while the engine is open: fire schedules that are due, start the next
// waiting firing of each project, follow its run to the end, test it, propose it on a PASS.
import type { Firing, Trigger } from '../../shared/domain/continuous';
import type { Project } from '../../shared/domain/project';
import { FINAL_STATUSES, type Run } from '../../shared/domain/run';
import type { TestRunSummary } from '../../shared/domain/testing';
import { EngineError } from '../errors';
import { findPinnedCode, type FoundCode } from './code-pin';
import type { DatasetStore } from './datasets';
import { dueWindow, type TriggerStore } from './triggers';

export interface PipelineDeps {
  triggers: TriggerStore;
  datasets: DatasetStore;
  project(id: string): Project;
  run(id: string): Run;
  /** The project's pinned suite (the gate policy's), or null. */
  pinnedSuite(projectId: string): string | null;
  launch(input: { project: string; host: string; recipe: string; params: Record<string, unknown>; dataset?: string; code?: string }): Promise<Run>;
  /** Where a pinned commit of the recipe's code is checked out for a launch (removed after it). */
  scratchDir: string;
  startTest(input: { project: string; candidate: string; baseline: string; suite: string }): Promise<TestRunSummary>;
  test(id: string): TestRunSummary;
  propose(runId: string, reason: string): void;
  onChanged(projectId: string): void;
  /** Looks at datasets that are files on a host; returns the versions found new (their triggers fire). */
  lookAtWatchedDatasets(now: boolean): Promise<{ dataset: { id: string; name: string; projectId: string }; version: { id: string; version: number; sha256: string; lines: number; source: string } }[]>;
  /** A dataset's triggers, for a version found on a host. */
  triggersOf(datasetId: string): Trigger[];
}

/** A firing taken for training that has no run after this long was cut short (a launch uploads for minutes at most). */
const LAUNCH_STALE_MS = 15 * 60_000;
/** A firing taken for testing that has no test after this long was cut short (a test starts in seconds). */
const TEST_START_STALE_MS = 5 * 60_000;

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export class ContinuousTraining {
  private busy = false;

  constructor(private readonly deps: PipelineDeps) {}

  /** A trigger fired now: by hand, or by a new version of its dataset. */
  fire(trigger: Trigger, reason: string, datasetVersionId?: string): Firing {
    const versionId = datasetVersionId ?? (trigger.datasetId ? (this.deps.datasets.latest(trigger.datasetId)?.id ?? null) : null);
    const firing = this.deps.triggers.fire(trigger, reason, versionId);
    this.deps.onChanged(trigger.projectId);
    return firing;
  }

  /** One pass; passes never overlap (a launch takes a while). */
  /** `lookNow`: look at datasets on hosts now, not only once they are due (every 30 s). */
  async tick(now = Date.now(), lookNow = false): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.fireSchedules(now);
      for (const { dataset, version } of await this.deps.lookAtWatchedDatasets(lookNow)) {
        for (const trigger of this.deps.triggersOf(dataset.id)) {
          this.fire(trigger, `new version ${version.version} of ${dataset.name} on ${version.source} (sha256 ${version.sha256.slice(0, 12)}…, ${version.lines} lines)`, version.id);
        }
        this.deps.onChanged(dataset.projectId);
      }
      for (const firing of this.deps.triggers.active()) this.follow(firing);
      for (const firing of this.deps.triggers.nextWaiting()) await this.start(firing);
      // A run that finished while the test started: follow it in the same pass.
      for (const firing of this.deps.triggers.active()) this.follow(firing);
    } finally {
      this.busy = false;
    }
  }

  private fireSchedules(now: number): void {
    for (const trigger of this.deps.triggers.list()) {
      if (trigger.kind !== 'schedule' || !trigger.enabled || !trigger.schedule) continue;
      const due = dueWindow(trigger.schedule, trigger.lastWindowAt ?? trigger.createdAt, now);
      if (!due) continue;
      this.deps.triggers.setWindow(trigger.id, due.at);
      const missed = due.missed ? ` (${due.missed} earlier window${due.missed > 1 ? 's' : ''} missed while the app was closed run as this one)` : '';
      this.fire(trigger, `schedule "${trigger.schedule}": the ${when(due.at)} window${missed}`);
    }
  }

  private async start(waiting: Firing): Promise<void> {
    const firing = this.deps.triggers.claim(waiting.id);
    if (!firing) return; // another engine on the same data took it
    this.deps.onChanged(firing.projectId);
    await this.launch(firing);
  }

  private async launch(firing: Firing): Promise<void> {
    const trigger = this.deps.triggers.get(firing.triggerId);
    const project = this.deps.project(firing.projectId);
    const fail = (detail: string) => {
      this.deps.triggers.updateIf(firing.id, ['TRAINING'], 'FAILED', { detail });
      this.deps.onChanged(project.id);
    };
    if (!project.recipe) return fail(`${project.name} has no saved recipe to train again: save one from a finished run (tunebench project set-recipe ${project.name} --from-run RUN).`);
    let dataset: string | undefined;
    if (firing.datasetVersionId) {
      const version = this.deps.datasets.version(firing.datasetVersionId);
      dataset = this.deps.datasets.fileOf(version);
    }
    // The code the saved recipe trained with (pinned when it was saved), not whatever its folder holds now.
    let code: FoundCode | undefined;
    try {
      code = project.recipe.code ? findPinnedCode(project.recipe.code, project.recipe.fromRunId, this.deps.scratchDir) : undefined;
      const run = await this.deps.launch({
        project: project.id,
        host: trigger.hostId,
        recipe: project.recipe.name,
        params: project.recipe.params,
        ...(dataset ? { dataset } : {}),
        ...(code ? { code: code.dir } : {}),
      });
      // Not over a firing given up meanwhile (another engine saw it launching for too long): it stays as that engine said.
      this.deps.triggers.updateIf(firing.id, ['TRAINING'], 'TRAINING', { runId: run.id, ...(code ? { detail: `Trains the ${code.how}.` } : {}) });
      this.deps.onChanged(project.id);
    } catch (err) {
      fail(err instanceof EngineError && err.code === 'CODE_PIN_LOST' ? err.message : `Launching the training failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      code?.cleanup();
    }
  }

  private follow(firing: Firing): void {
    if (firing.status === 'TRAINING' && !firing.runId) {
      // Being launched by another engine on the same data (this one's passes wait for its own launches); one
      // left so for long was cut short by the app quitting mid-launch.
      this.giveUpIfStale(firing, LAUNCH_STALE_MS, 'The app stopped while launching the training; fire the trigger again.');
      return;
    }
    if (firing.status === 'TRAINING') void this.afterTraining(firing);
    else if (firing.status === 'TESTING') this.afterTesting(firing);
  }

  /** Fails a firing left in its status for longer than `ms` with no run or test yet (the app quit mid-start), unless another pass moved it on. */
  private giveUpIfStale(firing: Firing, ms: number, detail: string): void {
    if (Date.now() - firing.updatedAt > ms && this.deps.triggers.updateIf(firing.id, [firing.status], 'FAILED', { detail })) this.deps.onChanged(firing.projectId);
  }

  private async afterTraining(firing: Firing): Promise<void> {
    const run = this.deps.run(firing.runId!);
    if (!FINAL_STATUSES.includes(run.status)) return;
    // Each step is taken from TRAINING: a pass of another engine on the same data may have taken it first.
    if (run.status !== 'SUCCEEDED') {
      if (this.deps.triggers.updateIf(firing.id, ['TRAINING'], 'FAILED', { detail: `The training run ${run.id} ended ${run.status}${run.lastError ? `: ${run.lastError}` : ''}.` }))
        this.deps.onChanged(firing.projectId);
      return;
    }
    const suite = this.deps.pinnedSuite(firing.projectId);
    if (!suite) {
      const detail = `Trained (${run.id}), not tested: the project has no pinned suite to test against production. Pin one in its gate policy.`;
      if (this.deps.triggers.updateIf(firing.id, ['TRAINING'], 'NOT_PROPOSED', { detail })) this.deps.onChanged(firing.projectId);
      return;
    }
    // Taken first: neither the next pass nor another engine starts a second test of the same run.
    if (!this.deps.triggers.updateIf(firing.id, ['TRAINING'], 'TESTING')) return;
    try {
      const test = await this.deps.startTest({ project: firing.projectId, candidate: run.id, baseline: 'production', suite });
      // Unless it was failed meanwhile as cut short (a start that took minutes): the test runs, the firing says why it stopped following it.
      this.deps.triggers.updateIf(firing.id, ['TESTING'], 'TESTING', { testId: test.id });
    } catch (err) {
      this.deps.triggers.updateIf(firing.id, ['TESTING'], 'FAILED', { detail: `Testing ${run.id} could not start: ${err instanceof Error ? err.message : String(err)}` });
    }
    this.deps.onChanged(firing.projectId);
  }

  private afterTesting(firing: Firing): void {
    if (!firing.testId) {
      // Being started now; one left so for minutes was cut short by the app quitting mid-start.
      this.giveUpIfStale(firing, TEST_START_STALE_MS, 'The app stopped while starting the test; fire the trigger again.');
      return;
    }
    const test = this.deps.test(firing.testId);
    if (!['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'].includes(test.status)) return;
    if (test.status !== 'SUCCEEDED') {
      this.deps.triggers.update(firing.id, 'FAILED', { detail: `The test run ${test.id} ended ${test.status}${test.lastError ? `: ${test.lastError}` : ''}.` });
    } else if (test.verdict === 'PASS') {
      try {
        this.deps.propose(firing.runId!, `continuous training: ${firing.reason}; PASS against ${test.baseline.label} on ${test.suite.name}@${test.suite.version} (test ${test.id})`);
        this.deps.triggers.update(firing.id, 'PROPOSED', { detail: `PASS against ${test.baseline.label}: proposed ${firing.runId} as the candidate. Approving it is a person's decision.` });
      } catch (err) {
        this.deps.triggers.update(firing.id, 'FAILED', { detail: `PASS, but proposing it failed: ${err instanceof Error ? err.message : String(err)}` });
      }
    } else {
      this.deps.triggers.update(firing.id, 'NOT_PROPOSED', {
        detail: `${test.verdict ?? 'no verdict'} against ${test.baseline.label} on ${test.suite.name}@${test.suite.version} (test ${test.id}): not proposed.`,
      });
    }
    this.deps.onChanged(firing.projectId);
  }
}
