import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';

/**
 * A seeded generator of numbers in [0, 1) (pure-rand's xoroshiro128+), so that a run's requests,
 * due times and fault moments can be replayed from its seed.
 */
export function seededRandom(seed: number): () => number {
  const generator = xoroshiro128plus(seed);
  return () => unsafeUniformIntDistribution(0, 0xffff_ffff, generator) / 0x1_0000_0000;
}

/** Made-up words for the runs' company names (no real company, nothing a matcher has seen). */
export const COMPANY_WORDS = [
  'Quillfeather',
  'Bramblecourt',
  'Marrowgate',
  'Thistlewick',
  'Ravensholm',
  'Copperlane',
  'Wyndhollow',
  'Saltmarrow',
  'Eldergrove',
  'Kestrelmoor',
  'Ashcombe',
  'Fennimore',
  'Glimmerdale',
  'Hollowbrook',
  'Ironvale',
  'Juniperfield',
  'Larkspur',
  'Mossbank',
  'Nettlecombe',
  'Oakhurst',
] as const;

/** Trades that, with a word, make a company's legal name ("Quillfeather Analytics Ltd"). */
export const COMPANY_TRADES = ['Analytics', 'Logistics', 'Bakeries', 'Outfitters', 'Studios'] as const;
