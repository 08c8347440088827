/** open_clip ViT checkpoints → ONNX image and text encoders. */
export {
  convertOpenClipCheckpoint,
  encoderFileName,
  type ConvertOpenClipOptions,
  type ConvertOpenClipResult,
  type ConvertProgress,
  type ConvertedEncoder,
} from './convert-checkpoint.ts';
export { parseOpenClipConfig, VIT_B_16_CONFIG, type OpenClipConfig, type TextConfig, type VisionConfig } from './openclip-config.ts';
export { openClipWeights, findPrefix, expectedTensors, type OpenClipWeights } from './openclip-weights.ts';
export { memoryWeightSource, type WeightSource } from './weight-source.ts';
export { checkpointWeightSource, openCheckpointWeightSource } from './checkpoint-weight-source.ts';
export { buildImageEncoder, IMAGE_INPUT, EMBEDDING_OUTPUT, FEATURES_OUTPUT, type BuiltGraph } from './build-image-encoder.ts';
export { buildTextEncoder, TEXT_INPUT } from './build-text-encoder.ts';
export { writeOnnxModel, type WrittenFile, type WrittenModel } from './write-onnx.ts';
export type { EncoderGraphOptions, Int8Activations, Int8Options, Precision } from './transformer-graph.ts';
export { quantizeLinearWeight, type QuantizedLinear } from './quantize-int8.ts';
export {
  checkImageVariant, compareImageEmbeddings, embedTiles, tilesInMemory, IMAGE_VARIANT_THRESHOLDS, type CheckImageVariantOptions, type EmbedTilesOptions, type ImageVariantCheck, type TileAgreement, type TileStream,
} from './check-variant.ts';
