/**
 * The baseline the native dpkg parser is measured against: a straightforward
 * pure-TypeScript deb822 parser producing the same package objects (decode
 * the buffer, walk the lines, fold continuations, pick the fields). Written
 * the way one would without the addon, not made slow on purpose; its output
 * is checked against the native one before it is timed.
 */
export interface BaselinePackage {
  name: string;
  version: string;
  architecture: string;
  multiArch: string;
  source?: string;
  depends?: string;
  status?: { want: string; flag: string; state: string };
}

export function parseDpkgStatusBaseline(buf: Uint8Array): BaselinePackage[] {
  const text = new TextDecoder().decode(buf);
  const out: BaselinePackage[] = [];
  let fields = new Map<string, string>();
  let last: string | undefined;
  const flush = () => {
    if (fields.size === 0) return;
    const p: BaselinePackage = {
      name: fields.get('package') ?? '',
      version: fields.get('version') ?? '',
      architecture: fields.get('architecture') ?? '',
      multiArch: fields.get('multi-arch') ?? 'no',
    };
    const source = fields.get('source');
    if (source !== undefined) p.source = source;
    const depends = fields.get('depends');
    if (depends !== undefined) p.depends = depends;
    const status = fields.get('status');
    if (status !== undefined) {
      const [want = '', flag = '', state = ''] = status.split(/\s+/);
      p.status = { want, flag, state };
    }
    out.push(p);
    fields = new Map();
    last = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') {
      flush();
    } else if (line[0] === ' ' || line[0] === '\t') {
      if (last !== undefined) fields.set(last, `${fields.get(last)}\n${line.trim() === '.' ? '' : line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon < 0) throw new Error(`no colon in field line: ${line}`);
      last = line.slice(0, colon).toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
  }
  flush();
  return out;
}
