import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { Glob } from 'bun';

const root = join(import.meta.dir, '../..');
/** Every module a file imports, type-only imports included. */
const importsOf = async (file: string): Promise<string[]> =>
  [...(await Bun.file(join(root, file)).text()).matchAll(/\bfrom\s+'([^']+)'/g)].map((match) => match[1]!);

test('controllers and plugins see services only: no container, repository or store import', async () => {
  const files = [
    ...new Glob('src/modules/*/*.controller.ts').scanSync(root),
    ...new Glob('src/modules/*/*.plugin.ts').scanSync(root),
    'src/app.ts',
  ];
  expect(files.length).toBeGreaterThan(8);
  for (const file of files) {
    const forbidden = (await importsOf(file)).filter(
      (path) => path.endsWith('container.ts') || path.endsWith('.repository.ts') || path.includes('/db/'),
    );
    expect({ file, forbidden }).toEqual({ file, forbidden: [] });
  }
});

test('only container.ts calls the wiring functions', async () => {
  for (const file of new Glob('{src,scripts,bench}/**/*.ts').scanSync(root)) {
    if (file === 'src/container.ts') continue;
    const wiring = (await importsOf(file)).filter((path) => path.endsWith('.wiring.ts'));
    expect({ file, wiring }).toEqual({ file, wiring: [] });
  }
});
