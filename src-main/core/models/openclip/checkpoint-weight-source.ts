/**
 * A WeightSource over a PyTorch checkpoint file (torch.save zip), via the checkpoint reader.
 */
import { openCheckpoint, type Checkpoint } from '../checkpoint/index.ts';
import type { WeightSource } from './weight-source.ts';

export function checkpointWeightSource(ckpt: Checkpoint, signal?: AbortSignal): WeightSource {
  return {
    keys: () => ckpt.keys(),
    shape: (key) => [...ckpt.info(key).shape],
    read: (key) => ckpt.readFloat32(key, signal),
  };
}

export async function openCheckpointWeightSource(path: string, signal?: AbortSignal): Promise<{ source: WeightSource; close(): Promise<void> }> {
  const ckpt = await openCheckpoint(path, signal);
  return { source: checkpointWeightSource(ckpt, signal), close: () => ckpt.close() };
}
