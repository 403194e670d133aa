// Which documents are policy configs: glob patterns (kt.policyFiles) matched against the document's path.
import { fileURLToPath } from 'node:url';
import { DEFAULT_POLICY_GLOBS } from './protocol';

/** Translates a glob (`**`, `*`, `?`, `{a,b}`, `[...]`) into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole directories; a bare `**` anything at all.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close === -1) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else out += c.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The path a glob is matched against: the file path for file: URIs, else the URI's path. */
export function documentPath(uri: string): string {
  try {
    if (uri.startsWith('file:')) return fileURLToPath(uri).replace(/\\/g, '/');
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

export class PolicyFileFilter {
  private readonly patterns: RegExp[];

  constructor(readonly globs: readonly string[] = DEFAULT_POLICY_GLOBS) {
    this.patterns = (globs.length ? globs : DEFAULT_POLICY_GLOBS).map((g) => globToRegExp(g.replace(/\\/g, '/')));
  }

  /** Relative globs match at any directory boundary, as workspace-relative patterns would. */
  matches(uri: string): boolean {
    const path = documentPath(uri);
    const suffixes = [path];
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) suffixes.push(path.slice(i + 1));
    return this.patterns.some((re) => suffixes.some((s) => re.test(s)));
  }
}

/** Accepts only a non-empty array of strings; anything else from a client means "use the defaults". */
export function globsFrom(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every((g) => typeof g === 'string' && g.length > 0) ? value : undefined;
}
