import type { Clock } from '../../domain/clock.js';
import type { CatalogSync, SyncProgress, SyncReport } from './sync.js';

export interface SyncRun {
  supplier: string;
  state: 'running' | 'done' | 'failed';
  startedAt: number;
  finishedAt: number | null;
  progress: SyncProgress | null;
  report: SyncReport | null;
  error: string | null;
}

/**
 * Catalog syncs started from the dashboard: `CatalogSync.run` in the background, its progress
 * callback kept per supplier so a page can poll it. The state lives in this process only (a
 * second api process answers "no run" for a sync it did not start); what stops two syncs of one
 * supplier at once is the sync's own database lease, not this map.
 */
export class SyncRuns {
  readonly #runs = new Map<string, SyncRun>();

  constructor(private readonly d: { sync: CatalogSync; clock: Clock }) {}

  /** Starts a sync unless this process is running one for the supplier; returns its state at once. */
  start(supplier: string, opts: { dryRun?: boolean } = {}): SyncRun {
    const current = this.#runs.get(supplier);
    if (current?.state === 'running') return current;
    const run: SyncRun = { supplier, state: 'running', startedAt: this.d.clock(), finishedAt: null, progress: null, report: null, error: null };
    this.#runs.set(supplier, run);
    this.d.sync.run(supplier, { dryRun: opts.dryRun, onProgress: (p) => (run.progress = p) }).then(
      (report) => Object.assign(run, { state: 'done', report, finishedAt: this.d.clock() }),
      (err: unknown) => Object.assign(run, { state: 'failed', error: err instanceof Error ? err.message : String(err), finishedAt: this.d.clock() }),
    );
    return run;
  }

  get(supplier: string): SyncRun | null {
    return this.#runs.get(supplier) ?? null;
  }

  /** Resolves when no run of this process is in flight (tests, shutdown). */
  async settled(): Promise<void> {
    while ([...this.#runs.values()].some((r) => r.state === 'running')) await new Promise((r) => setTimeout(r, 20));
  }
}
