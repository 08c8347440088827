/** Native file dialogs: the desktop's `chooseFile` handler, and the menu's Open items. */
import { dialog, type BrowserWindow, type FileFilter } from 'electron';
import type { Arg, FileChoice } from '../core/api.ts';

const FILTERS: Record<Arg<'chooseFile'>['purpose'], FileFilter[]> = {
  scene: [{ name: 'Sentinel-2 GeoTIFF / COG', extensions: ['tif', 'tiff'] }, { name: 'All files', extensions: ['*'] }],
  index: [{ name: 'mslens index (GeoParquet)', extensions: ['parquet'] }, { name: 'All files', extensions: ['*'] }],
  export: [{ name: 'GeoJSON', extensions: ['geojson', 'json'] }],
  checkpoint: [{ name: 'PyTorch checkpoint', extensions: ['pt', 'pth', 'bin'] }, { name: 'All files', extensions: ['*'] }],
  config: [{ name: 'open_clip config', extensions: ['json'] }, { name: 'All files', extensions: ['*'] }],
};

const TITLES: Record<Arg<'chooseFile'>['purpose'], string> = {
  scene: 'Open a Sentinel-2 scene', index: 'Open an mslens index', export: 'Export GeoJSON',
  checkpoint: 'Choose an open_clip checkpoint', config: 'Choose its open_clip config',
};

export async function chooseFile(win: BrowserWindow | null, arg: Arg<'chooseFile'>): Promise<FileChoice> {
  if (!win) return { supported: true, path: null };
  if (arg.purpose === 'export') {
    const r = await dialog.showSaveDialog(win, { title: 'Export GeoJSON', defaultPath: arg.defaultName ?? 'mslens-results.geojson', filters: FILTERS.export });
    return { supported: true, path: r.canceled || !r.filePath ? null : r.filePath };
  }
  const r = await dialog.showOpenDialog(win, {
    title: TITLES[arg.purpose],
    properties: ['openFile'],
    filters: FILTERS[arg.purpose],
  });
  return { supported: true, path: r.canceled ? null : (r.filePaths[0] ?? null) };
}
