// Generates the built-in model into models/ (run by `npm install` through `prepare`).
import { fileURLToPath } from 'node:url';
import { writeSpectralModel, SPECTRAL_MODEL_ID } from '../src-main/core/models/spectral/build-spectral-model.ts';

const dir = fileURLToPath(new URL(`../models/${SPECTRAL_MODEL_ID}/`, import.meta.url));
const manifest = await writeSpectralModel(dir);
console.log(`mslens: built-in model ${manifest.id} written to models/${SPECTRAL_MODEL_ID}`);
