/**
 * The next step an error carries (core's ErrorAction), in the app's terms: its panels and
 * buttons. The CLI words the same actions as commands and flags (src-main/cli/cli-actions.ts).
 */
import type { ErrorAction, WireError } from '$api';

const OPTION_WORDS: Record<Extract<ErrorAction, { kind: 'option' }>['name'], string> = {
  tile: 'tile size',
  stride: 'stride',
  'max-cloud': 'cloud limit',
  model: 'model',
  out: 'output file',
};

export function actionInAppTerms(action: ErrorAction): string {
  switch (action.kind) {
    case 'make-demo': return 'Choose “Demo scene” at the top to try mslens.';
    case 'build-index': return 'Choose “Index scene” in the Index card.';
    case 'install-model': return `Install ${action.model} in the Models panel.`;
    case 'accept-licence': return `Accept the licence in the Models panel to install ${action.model}.`;
    case 'install-from-file': return `Or download ${action.url ?? 'the file'} yourself and choose “Use a downloaded file…” in the Models panel.`;
    case 'import-model': return 'A checkpoint of your own goes in with “Import a local open_clip checkpoint” in the Models panel.';
    case 'option': {
      const what = OPTION_WORDS[action.name];
      if (action.change === 'up-to-1') return `Allow a higher ${what} (up to 1).`;
      return action.change ? `Choose a ${action.change} ${what}.` : `Choose a ${what}.`;
    }
  }
}

/** The error's message and, when it carries one, its action in the app's terms. */
export function errorInAppTerms(error: WireError): string {
  return error.action ? `${error.message} ${actionInAppTerms(error.action)}` : error.message;
}
