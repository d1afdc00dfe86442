/**
 * Shared inputs for the codec suites: the household dataset (when present), a seeded synthetic
 * meter series, and a frame of every vector case. One place, so every suite exercises the same
 * data and round-trip failures point at a named case.
 */
import { encodeFrame } from '../../server/codec/index.ts';
import type { Sample } from '../../server/codec/index.ts';
import { householdDatasetAvailable, loadHouseholdSamples, seededRandom, syntheticCases } from '../../scripts/vectors/codec.ts';

export { householdDatasetAvailable, loadHouseholdSamples, seededRandom };

/** A day-in-the-life meter: regular timestamps, drifting voltage, stepped load, an idle sub-meter. */
export function syntheticMeter(rows: number, seed = 7): Sample[] {
  const rnd = seededRandom(seed);
  const out: Sample[] = [];
  let volts = 230;
  let load = 300;
  for (let i = 0; i < rows; i++) {
    volts = Math.round((volts + (rnd() - 0.5) * 0.6) * 10) / 10;
    if (rnd() < 0.02) load = Math.round(rnd() * 4000);
    out.push({ timestamp: 1_700_000_000 + 60 * i, voltage: volts, power_w: load + Math.round(rnd() * 10), sub1: rnd() < 0.9 ? 0 : 1 });
  }
  return out;
}

/** Named frames: every synthetic vector case, a long synthetic series and (if present) the dataset. */
export function namedFrames(): Array<{ name: string; frame: Uint8Array }> {
  const frames: Array<{ name: string; frame: Uint8Array }> = [];
  if (householdDatasetAvailable()) frames.push({ name: 'household_1000', frame: encodeFrame(loadHouseholdSamples()) });
  for (const c of syntheticCases()) frames.push({ name: c.name, frame: encodeFrame(c.samples, c.options) });
  frames.push({ name: 'synthetic_2000', frame: encodeFrame(syntheticMeter(2000)) });
  return frames;
}
