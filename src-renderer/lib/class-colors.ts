/**
 * Class colours: land-cover words get their conventional colour (water blue, forest green…),
 * other classes the next free colour, and no two classes of a list share one.
 */
const PALETTE: [number, number, number][] = [
  [59, 143, 217], // 0 water
  [31, 122, 58], // 1 forest
  [154, 205, 76], // 2 crops, grass
  [224, 69, 58], // 3 built-up
  [217, 160, 102], // 4 bare
  [226, 240, 246], // 5 snow, ice
  [150, 158, 170], // 6 cloud
  [106, 61, 154], // 7 burned
  [242, 142, 43], // 8
  [79, 193, 176], // 9 wetland
  [227, 119, 194], // 10
  [242, 212, 61], // 11
  [140, 86, 75], // 12
  [179, 157, 219], // 13
];
export const PALETTE_SIZE = PALETTE.length;

const KEYWORDS: [RegExp, number][] = [
  [/sea|lake|water|river|ocean|reservoir|pond|coast/i, 0],
  [/forest|wood|tree|jungle|conifer|broadleaf/i, 1],
  [/crop|grass|pasture|meadow|herbaceous|field|farm|vegetation|agri/i, 2],
  [/built|urban|city|town|residential|industrial|building|settlement|highway|road/i, 3],
  [/bare|sand|desert|rock|soil|quarry|mine/i, 4],
  [/snow|ice|glacier/i, 5],
  [/cloud|haze/i, 6],
  [/burn|fire|scar/i, 7],
  [/wetland|marsh|swamp|bog|mangrove/i, 9],
];

export function paletteColor(i: number): [number, number, number] {
  return PALETTE[((i % PALETTE_SIZE) + PALETTE_SIZE) % PALETTE_SIZE];
}

/** The label core gives a tile the classes don't separate, and its palette index (none: a faint grey). */
export const UNCERTAIN = 'uncertain';
export const UNCERTAIN_COLOR = -1;

export function cssColor(i: number, alpha = 1): string {
  if (i < 0) return `rgb(128 128 128 / ${0.45 * alpha})`;
  const [r, g, b] = paletteColor(i);
  return alpha === 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`;
}

/** Palette index per class, in list order. */
export function assignClassColors(classes: readonly string[]): number[] {
  const used = new Set<number>();
  const out: (number | null)[] = classes.map((c) => {
    const hit = KEYWORDS.find(([re, i]) => re.test(c) && !used.has(i));
    if (!hit) return null;
    used.add(hit[1]);
    return hit[1];
  });
  return out.map((i) => {
    if (i !== null) return i;
    const free = [8, 10, 11, 12, 13, 9, 7, 6, 4, 2, 1, 0, 3, 5].find((p) => !used.has(p)) ?? 0;
    used.add(free);
    return free;
  });
}
