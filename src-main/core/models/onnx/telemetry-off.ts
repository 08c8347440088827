/**
 * ONNX Runtime's Linux build starts a telemetry client with its environment, which leaves an
 * empty `mat-debug-<pid>.log` and a `.ses` file in the temp folder behind every process.
 * ORT_DISABLE_TELEMETRY turns it off; ORT reads it when the first session creates its
 * environment, and onnx/runtime.ts imports this module before ORT so that it is always set first.
 * An analyst's own value is kept. Workers and child processes inherit it.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';
