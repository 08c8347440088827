/** The one import of ONNX Runtime in mslens: with its telemetry off (see telemetry-off.ts). */
import './telemetry-off.ts';

export { default } from 'onnxruntime-node';
