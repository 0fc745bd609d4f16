// Reads back the QR code in the SVG the server makes with the `qrcode`
// package: rasterises its one stroke path (only `M x y`, `m dx dy`, `h n`,
// `v n`, drawn with the default 1-unit stroke) into RGBA pixels, dark on a
// white page, and decodes them with jsQR. Anything else in the path throws,
// so a change of SVG shape fails the test instead of decoding nonsense.
// jsqr is CommonJS: Node's default import is module.exports, which carries the function as `.default`.
import jsqr from 'jsqr';

const SCALE = 8;

/** The modules the SVG paints dark, as a size × size grid (size from the viewBox). */
export function svgModules(svg: string): { size: number; dark: boolean[][] } {
  const box = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  if (!box || box[1] !== box[2]) throw new Error('no square viewBox in the QR SVG');
  const size = Number(box[1]);
  const paths = [...svg.matchAll(/<path\b([^>]*)\/>/g)].map((m) => m[1]!);
  const stroked = paths.filter((attrs) => /\sstroke="/.test(attrs));
  if (stroked.length !== 1) throw new Error(`expected one stroked path, found ${stroked.length}`);
  const d = /\sd="([^"]*)"/.exec(stroked[0]!)?.[1];
  if (d === undefined) throw new Error('the stroked path has no d');

  const dark = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const paint = (x0: number, y0: number, x1: number, y1: number) => {
    // A 1-unit stroke centred on the segment: rows y-0.5..y+0.5, or columns x-0.5..x+0.5.
    const [left, right] = y0 === y1 ? [Math.min(x0, x1), Math.max(x0, x1)] : [x0 - 0.5, x0 + 0.5];
    const [top, bottom] = y0 === y1 ? [y0 - 0.5, y0 + 0.5] : [Math.min(y0, y1), Math.max(y0, y1)];
    for (let row = Math.round(top); row < Math.round(bottom); row++) {
      for (let col = Math.round(left); col < Math.round(right); col++) {
        if (row < 0 || col < 0 || row >= size || col >= size) throw new Error(`stroke outside the viewBox at ${col},${row}`);
        dark[row]![col] = true;
      }
    }
  };

  let x = 0;
  let y = 0;
  const tokens = d.match(/[A-Za-z]|-?\d+(?:\.\d+)?/g) ?? [];
  if (tokens.join('').length !== d.replace(/[\s,]/g, '').length) throw new Error(`unreadable path data: ${d.slice(0, 40)}`);
  for (let i = 0; i < tokens.length; ) {
    const cmd = tokens[i++]!;
    const num = () => {
      const v = Number(tokens[i++]);
      if (Number.isNaN(v)) throw new Error(`missing number after ${cmd}`);
      return v;
    };
    switch (cmd) {
      case 'M': x = num(); y = num(); break;
      case 'm': x += num(); y += num(); break;
      case 'h': { const n = num(); paint(x, y, x + n, y); x += n; break; }
      case 'v': { const n = num(); paint(x, y, x, y + n); y += n; break; }
      default: throw new Error(`unsupported path command ${cmd}`);
    }
  }
  return { size, dark };
}

/** The text the QR code in `svg` holds, or null when jsQR finds none. */
export function decodeQrSvg(svg: string): string | null {
  const { size, dark } = svgModules(svg);
  const width = size * SCALE;
  const pixels = new Uint8ClampedArray(width * width * 4);
  for (let py = 0; py < width; py++) {
    for (let px = 0; px < width; px++) {
      const v = dark[Math.floor(py / SCALE)]![Math.floor(px / SCALE)] ? 0 : 255;
      pixels.set([v, v, v, 255], (py * width + px) * 4);
    }
  }
  return jsqr.default(pixels, width, width, { inversionAttempts: 'dontInvert' })?.data ?? null;
}
