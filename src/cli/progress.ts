import cliProgress from 'cli-progress';
import type { SyncProgress } from '../catalog/sync/sync.js';

/**
 * Progress on stderr: a bar on a terminal, a plain line per phase step otherwise (logs and CI
 * read lines, not redraws). stdout stays for the result.
 */
export function progressBar(): { update(p: SyncProgress): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let last = '';
    return {
      update(p) {
        const line = p.total === null ? `${p.phase}: ${p.done}` : `${p.phase}: ${p.done}/${p.total}`;
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({ format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(p) {
      const total = p.total ?? Math.max(p.done, 1);
      if (!started) bar.start(total, p.done, { phase: p.phase.padEnd(5) });
      started = true;
      bar.setTotal(total);
      bar.update(p.done, { phase: p.phase.padEnd(5) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
