/**
 * What search and find-similar share: a ranked result over the index with every tile's score
 * (the heat layer), the top-k, the score threshold that picks the hits, and the layer opacity.
 */
import type { SearchResult } from '$api';
import { AnalysisOutcome } from './analysis-outcome.svelte';
import type { Session } from './session.svelte';

export interface ScoreRange {
  min: number;
  max: number;
}

function scoreRange(scores: readonly { score: number }[] | undefined): ScoreRange {
  if (!scores?.length) return { min: 0, max: 1 };
  let min = Infinity;
  let max = -Infinity;
  for (const { score } of scores) { if (score < min) min = score; if (score > max) max = score; }
  return max > min ? { min, max } : { min: min - 0.5, max: max + 0.5 };
}

/** A first threshold that lights up the better part of the range, not every tile. */
export function defaultThreshold(r: ScoreRange): number {
  return r.min + 0.35 * (r.max - r.min);
}

/** The message for a search or similar asked before there is an index. */
export function noIndexMessage(s: Session): string {
  return s.scene ? 'Index the scene first: click “Index scene” above.' : 'Open a scene first.';
}

export class RankedTiles extends AnalysisOutcome<SearchResult> {
  topK = $state(20);
  threshold = $state(0);
  opacity = $state(1);
  range = $derived(scoreRange(this.result?.allScores));
  /** The top-k at or above the threshold: outlined on the map and listed. */
  hits = $derived((this.result?.results ?? []).filter((h) => h.score >= this.threshold));
}
