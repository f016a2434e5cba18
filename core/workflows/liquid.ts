import { Liquid } from 'liquidjs';
import type { FS } from 'liquidjs';

/** A file system that has nothing: templates never read files, whatever the process's cwd. */
const noFiles: FS = {
  exists: () => Promise.resolve(false),
  existsSync: () => false,
  readFile: () => Promise.reject(new Error('templates cannot read files')),
  readFileSync: () => {
    throw new Error('templates cannot read files');
  },
  resolve: () => '',
  contains: () => Promise.resolve(false),
  containsSync: () => false,
};

const fileTags = ['include', 'render', 'layout'] as const;

/**
 * The one way workflow templates are parsed and rendered: strict variables and filters, own
 * properties only (no `constructor`, no prototype), no file access of any kind (`include`,
 * `render` and `layout` fail to parse), and bounded parse size, render time and memory, so a
 * template can neither read the disk nor stall the core for every account.
 */
export function safeLiquid(): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables: true,
    ownPropertyOnly: true,
    fs: noFiles,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    cache: 256,
    parseLimit: 100_000,
    renderLimit: 2_000,
    memoryLimit: 20_000_000,
  });
  for (const tag of fileTags) {
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`{% ${tag} %} is not allowed: templates render data and read no files`);
      },
      render() {
        throw new Error(`{% ${tag} %} is not allowed`);
      },
    });
  }
  return liquid;
}
