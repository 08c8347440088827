/** The scene openers for JPEG 2000 inputs: SAFE products (folder or zip) and plain folders of JP2 band files. */
import type { SceneOpener } from '../open-scene.ts';
import { isJp2BandFolder, openJp2BandFolder } from './jp2-band-folder.ts';
import { maybeSafeProduct, openSafeProduct } from './safe-product.ts';

export const safeOpener: SceneOpener = {
  kind: 'safe',
  canOpen: (path) => maybeSafeProduct(path),
  open: (path, signal) => openSafeProduct(path, { signal }),
};

export const jp2BandFolderOpener: SceneOpener = {
  kind: 'band-files',
  canOpen: (path) => isJp2BandFolder(path),
  open: (path, signal) => openJp2BandFolder(path, { signal }),
};
