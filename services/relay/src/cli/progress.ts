import { Presets, SingleBar } from 'cli-progress';

/** A progress bar on stderr (stdout stays clean for output), silent when stderr is not a terminal. */
export function progressBar(label: string, total: number): SingleBar {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: false,
      notTTYSchedule: 5_000,
      etaBuffer: 1_000,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}
