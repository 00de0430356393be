// Writes kernels/*.schema.json from the schema objects the loaders use (one definition; the
// schema test fails when a file is out of date). Run after `npm run build`.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dist = new URL('../dist/harness/', import.meta.url);
const { kernelManifestSchema } = await import(new URL('build/manifest-schema.js', dist).href);
const { matrixConfigSchema } = await import(new URL('matrix/config-schema.js', dist).href);
const { variantSchema } = await import(new URL('patch/variant-schema.js', dist).href);
const kernels = new URL('../kernels/', import.meta.url).pathname;
for (const [file, schema] of [
  ['kernel.schema.json', kernelManifestSchema],
  ['matrix.schema.json', matrixConfigSchema],
  ['variant.schema.json', variantSchema],
]) {
  await writeFile(join(kernels, file), `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote kernels/${file}\n`);
}
