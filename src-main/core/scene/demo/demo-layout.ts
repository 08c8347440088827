/**
 * The landscape of the synthetic demo scene: which materials cover each pixel, in what
 * proportions, and the hard ground-truth label.
 *
 * The layout lives in normalised scene coordinates (u east, v south, both in [0, 1]), so a
 * 448-pixel and a 10980-pixel scene show the same landscape. Rough plan, by tenths of the scene:
 *
 *   north-west  forest with a clear lake; a river leaves it southwards
 *   north-east  a mountain massif: snow on the summits, a thin belt of scree and rock, then forest
 *   south-west  farmland: irregular parcels of green crop, ripening cereal, grass, a few fallow
 *   south-mid   a town: street grid, dense centre, tiled-roof suburbs, parks
 *   south-east  a large lake, turbid along the shore, with a little beach
 *   corner      a nodata wedge at the south-west corner, like the edge of a Sentinel-2 orbit
 *   scattered   four small clouds with their shadows
 *
 * Boundaries are warped by fBm so they look natural; thin features (streets, field margins,
 * shorelines) are drawn with sub-pixel coverage so small scenes stay smooth. Painting works
 * bottom-up: base land cover, then water, rock, snow, each with a coverage in [0, 1]; the
 * truth label is the topmost layer covering at least half the pixel.
 */
import { DEMO_CLASS, MATERIAL } from './demo-spectra.ts';
import { FieldGrid } from './field-grid.ts';
import type { GroundSample } from './ground-sample.ts';
import { fbm, hash2, hash3, smoothstep, valueNoise } from './noise.ts';

interface Cloud {
  u: number;
  v: number;
  r: number;
}

/**
 * Small clouds, placed over forest, farmland and lake, away from the snow, and one larger cloud
 * over the western forest that covers most of one 224-pixel tile at 2240 px (r001c000), so the
 * demo has a tile that indexing skips as cloudy.
 */
const CLOUDS: readonly Cloud[] = [
  { u: 0.1, v: 0.36, r: 0.03 },
  { u: 0.16, v: 0.76, r: 0.026 },
  { u: 0.42, v: 0.16, r: 0.028 },
  { u: 0.86, v: 0.88, r: 0.032 },
  { u: 0.05, v: 0.15, r: 0.06 },
];
/** Shadows fall north-north-west of their cloud (sun in the south-south-east, late morning). */
const SHADOW_DU = -0.012;
const SHADOW_DV = -0.03;

// Elevation thresholds (elevation is ~0 in the lowlands, ~1 on the summits).
const SNOW_LINE = 0.52;
const ROCK_LINE = 0.48;
const TREE_MIX = 0.04;

const M = MATERIAL;
/** Centre and half-sizes of the town (a rounded rectangle). */
const TOWN = { u: 0.55, v: 0.71, ru: 0.17, rv: 0.29 };

export interface DemoLayout {
  readonly size: number;
  /**
   * Prepares the smooth fields (boundary warp, elevation, forest stands) of a block of
   * pixels on a coarse grid. Call it before sampling any pixel of that block.
   */
  beginBlock(x0: number, y0: number, width: number, height: number): void;
  /** Fills `out` for pixel (x, y), which must lie in the current block. */
  sample(x: number, y: number, out: GroundSample): void;
}

// Indices of the smooth fields.
const F_WARP_U = 0;
const F_WARP_V = 1;
const F_ELEV = 2;
const F_STAND = 3;
const F_RIDGE = 4;
const F_SHADE = 5;

/**
 * Terrain shading: relief of the elevation field in scene widths, and the sun at azimuth
 * 150° and elevation 60° (a June morning overpass at 48° N), as (east, north, up).
 */
const RELIEF = 0.05;
const SUN = [0.25, -0.433, 0.866] as const;

/** The layout of a `size` × `size` demo scene; the seed changes the noise, not the plan. */
export function createDemoLayout(size: number, seed: number, maxBlock = 256): DemoLayout {
  const s = (k: number): number => hash2(seed, k, 0x6d736c6e) | 0;
  const seedWarpU = s(1);
  const seedWarpV = s(2);
  const seedElev = s(3);
  const seedStand = s(4);
  const seedParcel = s(5);
  const seedTown = s(6);
  const seedCloud = s(7);
  const seedShore = s(8);
  const px = 1 / size; // one pixel in normalised units
  // The smooth fields' finest detail is 1/64 of the scene (35 px at 2240), so sampling them
  // every size/560 pixels (at least 2) and interpolating is invisible and much cheaper.
  const grid = new FieldGrid(Math.max(2, Math.floor(size / 560)), maxBlock, 6);

  /** Coverage of a feature from a signed distance in normalised units (< 0 inside). */
  const cover = (signedDist: number): number => {
    const t = 0.5 - signedDist * size;
    return t <= 0 ? 0 : t >= 1 ? 1 : t;
  };

  function smoothFields(x: number, y: number, out: Float64Array): void {
    const u = (x + 0.5) * px;
    const v = (y + 0.5) * px;
    const wu = u + 0.035 * fbm(u * 5, v * 5, seedWarpU, 4);
    const wv = v + 0.035 * fbm(u * 5 + 7.7, v * 5 - 3.1, seedWarpV, 4);
    out[F_WARP_U] = wu;
    out[F_WARP_V] = wv;
    out[F_ELEV] = elevation(wu, wv);
    out[F_STAND] = fbm(wu * 9, wv * 9, seedStand, 3);
    out[F_RIDGE] = out[F_ELEV] > ROCK_LINE - 0.1 ? fbm(wu * 24, wv * 24, seedElev + 5, 2) : 0;
    out[F_SHADE] = out[F_ELEV] > 0.2 ? hillshade(wu, wv, out[F_ELEV]) : 1;
  }

  function elevation(u: number, v: number): number {
    const du = (u - 0.88) / 0.42;
    const dv = (v - 0.08) / 0.36;
    return Math.exp(-(du * du + dv * dv)) + 0.2 * fbm(u * 4, v * 4, seedElev, 5);
  }

  /** Illumination of the terrain relative to flat ground, faded in with elevation. */
  function hillshade(u: number, v: number, e: number): number {
    const h = 0.002;
    const dx = (RELIEF * (elevation(u + h, v) - elevation(u - h, v))) / (2 * h); // dz/d(east)
    const dy = (-RELIEF * (elevation(u, v + h) - elevation(u, v - h))) / (2 * h); // dz/d(north)
    const cosI = (-dx * SUN[0] - dy * SUN[1] + SUN[2]) / Math.sqrt(dx * dx + dy * dy + 1);
    const shade = Math.max(0.25, cosI) / SUN[2];
    return 1 + (shade - 1) * smoothstep(0.2, 0.45, e);
  }

  /** Signed distance (normalised units, approximate) to an axis-aligned ellipse. */
  function ellipseDist(u: number, v: number, cu: number, cv: number, ru: number, rv: number): number {
    const a = (u - cu) / ru;
    const b = (v - cv) / rv;
    return (Math.sqrt(a * a + b * b) - 1) * Math.min(ru, rv);
  }

  /** Meandering river: centreline u(v) from the forest lake to the southern edge. */
  let riverV = NaN;
  let riverU = 0;
  let riverNorm = 1;
  let riverHalf = 0;
  function riverDist(u: number, v: number): number {
    if (v < 0.26) return 1;
    if (v !== riverV) {
      // The centreline depends on v only: compute it once per row.
      const w = 2 * Math.PI;
      riverV = v;
      riverU = 0.27 + 0.045 * Math.sin(w * 1.8 * v + 0.6) + 0.016 * Math.sin(w * 4.7 * v + 2);
      const slope = 0.045 * w * 1.8 * Math.cos(w * 1.8 * v + 0.6) + 0.016 * w * 4.7 * Math.cos(w * 4.7 * v + 2);
      riverNorm = 1 / Math.sqrt(1 + slope * slope);
      riverHalf = 0.0042 + 0.0012 * v;
    }
    return Math.abs(u - riverU) * riverNorm - riverHalf;
  }

  function forest(out: GroundSample, standNoise: number, e: number): void {
    const stand = standNoise + (e - 0.2) * 1.5;
    const conifer = smoothstep(-0.06, 0.06, stand);
    out.paint2(M['forest-broadleaf'], M['forest-conifer'], conifer, 1);
    out.truth = DEMO_CLASS.forest;
  }

  /** Left edge of parcel k in parcel row r, in parcel widths: k ± 0.3. */
  function parcelEdge(r: number, k: number): number {
    return k + 0.6 * ((hash3(r, k, 2, seedParcel) & 1023) / 1023 - 0.5);
  }

  function farmland(out: GroundSample, u: number, v: number): void {
    // Parcels: rows of jittered height, split at jittered positions, on a slightly rotated grid.
    const pu = u * 0.9925 + v * 0.1219;
    const pv = -u * 0.1219 + v * 0.9925;
    const rowH = 0.03;
    const r = Math.floor(pv / rowH);
    const parcelW = 0.036 + 0.014 * ((hash2(r, 0, seedParcel) & 1023) / 1023);
    const shift = ((hash2(r, 1, seedParcel) & 1023) / 1023) * parcelW;
    const q = (pu - shift) / parcelW;
    let k = Math.floor(q);
    if (q < parcelEdge(r, k)) k--;
    else if (q >= parcelEdge(r, k + 1)) k++;
    const h = hash3(r, k, 3, seedParcel);
    const kind = (h & 1023) / 1024;
    const gain = 0.9 + 0.2 * (((h >>> 10) & 1023) / 1023);
    const soil = 0.25 * (((h >>> 20) & 1023) / 1023);
    if (kind < 0.44) {
      out.paint(M['crop-green'], 1, gain);
      out.paint(M['bare-soil'], soil * 0.6);
      out.truth = DEMO_CLASS.cropland;
    } else if (kind < 0.7) {
      out.paint(M['crop-ripening'], 1, gain);
      out.truth = DEMO_CLASS.cropland;
    } else if (kind < 0.92) {
      out.paint(M.grass, 1, gain);
      out.truth = DEMO_CLASS.cropland;
    } else {
      out.paint(M['bare-soil'], 1, gain);
      out.truth = DEMO_CLASS.bare;
    }
    // Grass margins and tracks between parcels, about 12 m wide.
    const dRow = Math.min(pv - r * rowH, (r + 1) * rowH - pv);
    const dCol = Math.min(q - parcelEdge(r, k), parcelEdge(r, k + 1) - q) * parcelW;
    const margin = cover(Math.min(dRow, dCol) - 0.0006);
    if (margin > 0) {
      out.paint(M.grass, margin * 0.7);
      if (margin >= 0.5 && out.truth === DEMO_CLASS.bare) out.truth = DEMO_CLASS.cropland;
    }
  }

  function town(out: GroundSample, x: number, y: number, tu: number, tv: number, rho: number): void {
    // Street grid, rotated 12° in the town's frame; blocks of ~0.012 (270 m at 2240 px).
    const gu = tu * 0.978 + tv * 0.2079;
    const gv = -tu * 0.2079 + tv * 0.978;
    const block = 0.0125;
    const bu = Math.floor(gu / block);
    const bv = Math.floor(gv / block);
    const h = hash2(bu, bv, seedTown);
    const kind = (h & 1023) / 1024;
    const central = rho < 0.35;
    let green = false;
    if (kind < (central ? 0.06 : 0.1)) {
      out.paint(M.grass, 1, 0.95 + 0.1 * (((h >>> 10) & 255) / 255));
      out.paint(M['forest-broadleaf'], 0.35);
      out.truth = DEMO_CLASS.cropland;
      green = true;
    } else if (kind < (central ? 0.09 : 0.15)) {
      out.paint(M['forest-broadleaf'], 1);
      out.truth = DEMO_CLASS.forest;
      green = true;
    } else {
      const dense = central ? kind < 0.8 : kind < 0.3;
      const gain = 0.9 + 0.2 * (((h >>> 10) & 1023) / 1023);
      out.paint(dense ? M['builtup-concrete'] : M['builtup-tile-roof'], 1, gain);
      // Gardens and street trees: a little vegetation, more in the suburbs.
      const garden = valueNoise(x / 2.5, y / 2.5, seedTown + 1);
      out.paint(M.grass, (central ? 0.08 : 0.18) * (1 + garden));
      out.truth = DEMO_CLASS.builtUp;
    }
    // Streets on the block edges, with an avenue on every fifth line.
    const iu = Math.round(gu / block);
    const iv = Math.round(gv / block);
    const dU = Math.abs(gu - iu * block) - (iu % 5 === 0 ? 0.0024 : 0.0011);
    const dV = Math.abs(gv - iv * block) - (iv % 5 === 0 ? 0.0024 : 0.0011);
    const street = cover(Math.min(dU, dV));
    if (street > 0) {
      out.paint(M['builtup-asphalt'], street);
      if (green && street >= 0.5) out.truth = DEMO_CLASS.builtUp;
    }
  }

  function sample(x: number, y: number, out: GroundSample): void {
    const u = (x + 0.5) * px;
    const v = (y + 0.5) * px;
    out.n = 0;
    out.cloud = 0;
    out.shadow = 1;
    out.cloudShadow = 0;
    // Orbit edge: a straight cut across the south-west corner.
    if (u + (1 - v) < 0.16) {
      out.truth = DEMO_CLASS.nodata;
      return;
    }
    grid.interpolate(x, y);
    const wu = grid.at[F_WARP_U];
    const wv = grid.at[F_WARP_V];
    const e = grid.at[F_ELEV];
    const rock = smoothstep(ROCK_LINE - 0.012, ROCK_LINE + 0.012, e);
    // Rock ribs (zero lines of the ridge noise) and broader outcrops (its highs) break up the
    // snow cover a little below the summits.
    const ridge = grid.at[F_RIDGE];
    const eSnow = e - 0.1 * (1 - smoothstep(0.02, 0.07, Math.abs(ridge))) - 0.3 * Math.max(0, ridge - 0.25);
    const snow = smoothstep(SNOW_LINE - 0.012, SNOW_LINE + 0.012, eSnow);

    const lake1 = cover(ellipseDist(wu, wv, 0.25, 0.22, 0.14, 0.09));
    const lake2D = ellipseDist(wu, wv, 0.98, 0.74, 0.28, 0.34);
    const lake2 = cover(lake2D);
    const river = cover(riverDist(u + 0.4 * (wu - u), v));
    const water = Math.max(lake1, lake2, river);

    // Base land cover, unless water or rock hides it completely.
    if (water < 1 && rock < 1) {
      const tu = (wu - TOWN.u) / TOWN.ru;
      const tv = (wv - TOWN.v) / TOWN.rv;
      const rho = Math.sqrt(Math.sqrt(tu * tu * tu * tu + tv * tv * tv * tv));
      if (rho < 1) town(out, x, y, wu - TOWN.u, wv - TOWN.v, rho);
      else if (wu < 0.4 && wv > 0.42) farmland(out, u, v);
      else forest(out, grid.at[F_STAND], e);
      // Sparse trees above the tree line, on rock.
      if (e > ROCK_LINE - TREE_MIX) out.paint(M['bare-rock'], 0.5 * smoothstep(ROCK_LINE - TREE_MIX, ROCK_LINE, e));
      // A sand beach along part of the big lake's western shore.
      if (lake2D > 0 && lake2D < 0.006 && fbm(u * 30, v * 30, seedShore, 2) > 0.1) {
        const beach = cover(lake2D - 0.004);
        out.paint(M['bare-sand'], beach);
        if (beach >= 0.5) out.truth = DEMO_CLASS.bare;
      }
    }
    if (water > 0) {
      const turbid = lake1 > 0 && lake1 >= lake2 ? 0 : river >= lake2 ? 0.5 : smoothstep(-0.04, -0.004, lake2D);
      out.paint2(M['water-clear'], M['water-turbid'], turbid, water);
      if (water >= 0.5) out.truth = DEMO_CLASS.water;
    }
    if (rock > 0) {
      out.paint(M['bare-rock'], rock, 0.9 + 0.2 * smoothstep(-0.5, 0.5, fbm(u * 40, v * 40, seedElev + 9, 2)));
      if (rock >= 0.5) out.truth = DEMO_CLASS.bare;
    }
    if (snow > 0) {
      const fresh = smoothstep(SNOW_LINE + 0.08, SNOW_LINE + 0.2, e);
      out.paint2(M['snow-old'], M['snow-fresh'], fresh, snow);
      if (snow >= 0.5) out.truth = DEMO_CLASS.snow;
    }

    // Clouds and their shadows.
    let cloudShadow = 1;
    for (const c of CLOUDS) {
      const reach = c.r * 1.6;
      const du = u - c.u;
      const dv = v - c.v;
      const sdu = du - SHADOW_DU;
      const sdv = dv - SHADOW_DV;
      if (du * du + dv * dv < reach * reach) {
        const a = cloudOpacity(Math.sqrt(du * du + dv * dv) / c.r, u, v);
        out.cloud = Math.max(out.cloud, a);
      }
      if (sdu * sdu + sdv * sdv < reach * reach) {
        const a = cloudOpacity(Math.sqrt(sdu * sdu + sdv * sdv) / c.r, u - SHADOW_DU, v - SHADOW_DV);
        cloudShadow = Math.min(cloudShadow, 1 - 0.6 * a);
        out.cloudShadow = Math.max(out.cloudShadow, a);
      }
    }
    out.shadow = cloudShadow * grid.at[F_SHADE];
    if (out.cloud >= 0.5) out.truth = DEMO_CLASS.cloud;
  }

  /** Opacity of a cloud at relative radius `rr`, with a billowy edge from fBm. */
  function cloudOpacity(rr: number, u: number, v: number): number {
    const edge = rr + 0.32 * fbm(u * 70, v * 70, seedCloud, 3);
    return 1 - smoothstep(0.55, 1.05, edge);
  }

  function beginBlock(x0: number, y0: number, width: number, height: number): void {
    grid.fill(x0, y0, width, height, smoothFields);
  }

  return { size, beginBlock, sample };
}
