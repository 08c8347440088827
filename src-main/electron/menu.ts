/** The application menu: Open scene, Open index, Export, Models, Quit (plus the usual Edit/View). */
import { Menu, app, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { chooseFile } from './dialogs.ts';
import { sendEvent } from './ipc.ts';

export function buildMenu(window: () => BrowserWindow | null): Menu {
  const win = (): BrowserWindow | null => window();
  const open = (purpose: 'scene' | 'index') => async (): Promise<void> => {
    const { path } = await chooseFile(win(), { purpose });
    if (path) sendEvent(win(), 'menu', { action: purpose === 'scene' ? 'openScene' : 'openIndex', path });
  };
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Scene…', accelerator: 'CmdOrCtrl+O', click: open('scene') },
        { label: 'Open Index…', accelerator: 'CmdOrCtrl+Shift+O', click: open('index') },
        { type: 'separator' },
        { label: 'Export GeoJSON…', accelerator: 'CmdOrCtrl+E', click: () => sendEvent(win(), 'menu', { action: 'export' }) },
        { type: 'separator' },
        { label: 'Models…', click: () => sendEvent(win(), 'menu', { action: 'models' }) },
        { type: 'separator' },
        { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => app.quit() },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }, ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }])],
    },
  ];
  return Menu.buildFromTemplate(template);
}
