// `npm run bench`: our figures beside baselines measured in the same run, so ratios hold on a noisy machine.
import { figures as compare } from './compare.mjs';
import { figures as metrics } from './metrics.mjs';
import { figures as remote } from './remote.mjs';
import { figures as startup } from './startup.mjs';
import { figures as testing } from './testing.mjs';
import { figures as review } from './review.mjs';
import { figures as registry } from './registry.mjs';
import { figures as slurm } from './slurm.mjs';
import { withDeadline } from './util.mjs';

/** The longest a figure may take (one may say `timeoutMs`): a step that hangs fails the run, naming it. */
const FIGURE_TIMEOUT_MS = 20 * 60_000;

const rows = [];
const only = process.argv[2];
for (const figure of [...startup, ...remote, ...metrics, ...compare, ...testing, ...review, ...registry, ...slurm].filter((f) => !only || f.name.includes(only))) {
  process.stderr.write(`measuring: ${figure.name}…\n`);
  const limit = figure.timeoutMs ?? FIGURE_TIMEOUT_MS;
  let result;
  try {
    result = await withDeadline(`the figure "${figure.name}"`, figure.run(), limit);
  } catch (err) {
    process.stderr.write(`bench: ${figure.name} failed: ${err instanceof Error ? err.message : err}\n`);
    printTable(); // what was measured before it
    process.exit(1); // its servers and children may still be running: stop here rather than measure beside them
  }
  rows.push(...(Array.isArray(result) ? result : [result]));
}

// The ratio is always of times (ours / baseline), also where a row shows rates: below 1x we are faster.
function printTable() {
  const header = ['figure', 'ours', 'baseline', 'baseline is', 'time ratio'];
  const table = rows.map((r) => [r.name, r.ours, r.baseline, r.baselineName, r.ratio]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
}
printTable();
