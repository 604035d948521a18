/**
 * Readers for dpkg's per-package file lists: `info/<pkg>.list` (one absolute path per line, as
 * `dpkg-query -L` prints them, directories included) and distroless `status.d/<pkg>.md5sums`
 * (`<md5>  <relative path>`, regular files only). Paths come back relative to the root, without a
 * leading `/`; the `/.` entry that stands for the root itself is dropped.
 */
export interface ParsedFileList {
  files: string[];
  /** Lines that could not be read (NULs, over-long paths, lines without a path). */
  invalid: number;
}

export function parseDpkgList(text: string, maxPathBytes: number): ParsedFileList {
  const out: ParsedFileList = { files: [], invalid: 0 };
  for (const raw of lines(text)) {
    if (raw === '') continue;
    const path = normalise(raw);
    if (path === undefined) out.invalid++;
    else if (path !== '') {
      if (Buffer.byteLength(path) > maxPathBytes) out.invalid++;
      else out.files.push(path);
    }
  }
  return out;
}

const MD5_LINE = /^[0-9a-fA-F]{32}[ \t]+(.+)$/;

export function parseDpkgMd5sums(text: string, maxPathBytes: number): ParsedFileList {
  const out: ParsedFileList = { files: [], invalid: 0 };
  for (const raw of lines(text)) {
    if (raw === '') continue;
    const m = MD5_LINE.exec(raw);
    const path = m ? normalise(m[1]!) : undefined;
    if (path === undefined || path === '' || Buffer.byteLength(path) > maxPathBytes) out.invalid++;
    else out.files.push(path);
  }
  return out;
}

function* lines(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    yield line;
    start = end + 1;
  }
}

/** Strip the leading `/` (and a `./`); `''` for the root itself; undefined for what is not a path. */
function normalise(p: string): string | undefined {
  if (p.includes('\0')) return undefined;
  let s = p.replace(/^\/+/, '');
  if (s.startsWith('./')) s = s.slice(2);
  if (s === '.' || s === '') return '';
  return s;
}
