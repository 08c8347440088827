/** The next step an error carries (core's ErrorAction), in the CLI's terms: commands and flags. */
import type { ErrorAction, WireError } from '../core/errors.ts';

export function actionInCliTerms(action: ErrorAction): string {
  switch (action.kind) {
    case 'make-demo': return 'Run `mslens demo` to make a demo scene.';
    case 'build-index': return `Build it with \`mslens index ${action.scene ?? 'SCENE'}${action.model ? ` --model ${action.model}` : ''}\`.`;
    case 'install-model': return `Install it with \`mslens models install ${action.model}\`.`;
    case 'accept-licence': return `To accept it and install, run \`mslens models install ${action.model} --accept-licence\`.`;
    case 'install-from-file': return `Or download ${action.url ?? 'the file'} yourself and install it with \`mslens models install ${action.model ?? 'ID'} --file FILE\`.`;
    case 'import-model': return 'A checkpoint of your own goes in with `mslens models import`.';
    case 'option':
      if (action.change === 'up-to-1') return `Allow more with --${action.name} (up to 1).`;
      return action.change ? `Use a ${action.change} --${action.name}.` : `Give it with --${action.name}.`;
  }
}

/** The error's message and, when it carries one, its action in CLI terms. */
export function errorInCliTerms(error: WireError): string {
  return error.action ? `${error.message} ${actionInCliTerms(error.action)}` : error.message;
}
