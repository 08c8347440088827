/** Reading PyTorch `torch.save` state_dicts safely (no Python, nothing executed). */
export { openCheckpoint, type Checkpoint, type TensorInfo } from './open-checkpoint.ts';
export type { TensorDtype } from './tensor-data.ts';
