import type { Events } from '../core/api.ts';

/** Progress on stderr: one rewritten line on a terminal, a line per 10 % otherwise. */
export function makeProgressPrinter(stream: NodeJS.WriteStream = process.stderr): { emit: (name: 'progress', p: Events['progress']) => void; end: () => void } {
  const tty = stream.isTTY === true;
  let lastDecile = -1;
  let lastMessage = '';
  let open = false;
  return {
    emit(_name, p) {
      const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
      const rate = p.tilesPerSecond ? `, ${p.tilesPerSecond.toFixed(1)} tiles/s` : '';
      const eta = p.etaSeconds != null && p.done < p.total ? `, ETA ${Math.ceil(p.etaSeconds)} s` : '';
      const provider = p.provider ? ` [${p.provider}]` : '';
      const skipped = p.skippedCloudy || p.skippedNodata ? `, skipped ${p.skippedCloudy ?? 0} cloudy + ${p.skippedNodata ?? 0} nodata` : '';
      const line = `${p.message}${provider}: ${p.done}/${p.total} (${pct} %${rate}${eta}${skipped})`;
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        open = true;
      } else if (Math.floor(pct / 10) !== lastDecile || p.message !== lastMessage) {
        lastDecile = Math.floor(pct / 10);
        lastMessage = p.message;
        stream.write(`${line}\n`);
      }
    },
    end() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
