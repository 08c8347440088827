/**
 * The built-in model's text encoder: a lexicon that maps words and phrases to its concepts.
 * A query becomes the normalised sum of the concept vectors it names; a query that names
 * none is refused with a pointer to the open-vocabulary model.
 */
import type { SpectralConcept } from './spectral-prototypes.ts';

export const SPECTRAL_LEXICON: Record<SpectralConcept, readonly string[]> = {
  water: ['water', 'lake', 'lakes', 'river', 'rivers', 'pond', 'reservoir', 'sea', 'ocean', 'coast', 'coastline', 'bay', 'estuary', 'lagoon', 'open water', 'water body', 'water bodies', 'sealake', 'harbour', 'harbor', 'canal', 'flooded', 'flood', 'floods', 'inundation'],
  forest: ['forest', 'forests', 'woods', 'woodland', 'trees', 'tree cover', 'tree', 'conifer', 'coniferous', 'broadleaf', 'deciduous', 'evergreen', 'jungle', 'rainforest', 'timber', 'plantation forest'],
  cropland: ['cropland', 'crops', 'crop', 'farmland', 'agriculture', 'agricultural', 'fields', 'field', 'annual crop', 'annualcrop', 'permanent crop', 'permanentcrop', 'pasture', 'grass', 'grassland', 'meadow', 'herbaceous vegetation', 'herbaceousvegetation', 'arable land', 'farm', 'farms', 'vegetation', 'green vegetation'],
  'built-up': ['built-up', 'built up', 'builtup', 'urban', 'town', 'towns', 'city', 'cities', 'settlement', 'village', 'buildings', 'building', 'residential', 'industrial', 'houses', 'streets', 'roads', 'highway', 'artificial surfaces', 'impervious'],
  bare: ['bare', 'bare soil', 'bare ground', 'bare land', 'soil', 'sand', 'desert', 'dunes', 'rock', 'rocks', 'scree', 'quarry', 'open-pit mine', 'mine', 'barren', 'fallow'],
  snow: ['snow', 'ice', 'snow and ice', 'glacier', 'glaciers', 'snowfield', 'permanent snow', 'frozen'],
  cloud: ['cloud', 'clouds', 'cloudy', 'cloud cover', 'overcast', 'haze'],
  burned: ['burned', 'burnt', 'burn scar', 'burned area', 'burnt area', 'fire scar', 'wildfire', 'fire', 'charred'],
};

const FILLER = new Set(['a', 'an', 'the', 'of', 'with', 'and', 'or', 'in', 'on', 'some', 'area', 'areas', 'land', 'cover', 'image', 'satellite', 'showing', 'tiles', 'tile', 'patch', 'patches', 'region', 'regions', 'lots', 'many', 'full', 'covered', 'by']);

function normalise(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s-]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Finds the concepts a text names, longest phrase first. Returns null when any content word is
 * left unexplained, so "solar farm" is refused rather than read as "farm".
 */
export function conceptsOf(text: string, lexicon: Readonly<Record<string, readonly string[]>> = SPECTRAL_LEXICON): string[] | null {
  const concepts = Object.keys(lexicon);
  const phrases: { phrase: string; concept: string }[] = [];
  for (const c of concepts) {
    phrases.push({ phrase: normalise(c), concept: c });
    for (const p of lexicon[c]) phrases.push({ phrase: normalise(p), concept: c });
  }
  phrases.sort((a, b) => b.phrase.length - a.phrase.length);
  let rest = ` ${normalise(text)} `;
  const found = new Set<string>();
  for (const { phrase, concept } of phrases) {
    const needle = ` ${phrase} `;
    while (rest.includes(needle)) {
      found.add(concept);
      rest = rest.replace(needle, ' ');
    }
  }
  const leftover = rest.split(' ').filter((w) => w && !FILLER.has(w));
  if (found.size === 0 || leftover.length > 0) return null;
  return concepts.filter((c) => found.has(c));
}
