// One definition per format: the JSON Schemas are TypeScript objects (`as const`), the files in
// kernels/ are written from them (scripts/write-schemas.mjs), and the TypeScript types name the
// same properties — checked here at compile time (npm test typechecks) and at run time.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { KernelManifest } from '../../harness/build/manifest.js';
import { kernelManifestSchema } from '../../harness/build/manifest-schema.js';
import type { CellResult } from '../../harness/matrix/cells.js';
import type { MatrixConfigFile } from '../../harness/matrix/config.js';
import { matrixConfigSchema } from '../../harness/matrix/config-schema.js';
import type { cellFileSchema, runResultSchema, subjectsFileSchema, summaryFileSchema } from '../../harness/matrix/result-schemas.js';
import type { MatrixSummary, SubjectsFile } from '../../harness/matrix/summarize.js';
import type { Variant } from '../../harness/patch/variant.js';
import { variantSchema } from '../../harness/patch/variant-schema.js';
import { KERNELS_DIR } from '../../harness/paths.js';
import type { RunResult } from '../../harness/runners/types.js';

/** The property names a schema object declares (less "$schema", which names the schema file). */
type SchemaKeys<S> = S extends { readonly properties: infer P } ? Exclude<keyof P, '$schema'> : never;
/** true only when A and B are the same set of names; a drift fails typechecking, naming the property. */
type SameKeys<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never]
  ? true
  : { onlyInSchema: Exclude<A, B>; onlyInType: Exclude<B, A> };

// Input formats: every property the schema allows is one the type has, and the other way round.
const kernelManifest: SameKeys<SchemaKeys<typeof kernelManifestSchema>, keyof KernelManifest> = true;
const matrixConfig: SameKeys<SchemaKeys<typeof matrixConfigSchema>, keyof MatrixConfigFile> = true;
const variant: SameKeys<SchemaKeys<typeof variantSchema>, keyof Variant> = true;
// Result files: the schema checks what the type says the store writes (the version is the file's own).
const runResult: SameKeys<SchemaKeys<typeof runResultSchema>, keyof RunResult> = true;
const cellFile: SameKeys<SchemaKeys<typeof cellFileSchema>, keyof CellResult | 'version'> = true;
const subjectsFile: SameKeys<SchemaKeys<typeof subjectsFileSchema>, keyof SubjectsFile> = true;
// summary.json: the schema pins the fields readers rely on; every one of them is in the type.
const summaryFile: SameKeys<Exclude<SchemaKeys<typeof summaryFileSchema>, keyof MatrixSummary>, never> = true;

test('the schema types name the same properties as the TypeScript types (checked when this file compiles)', (t) => {
  t.deepEqual([kernelManifest, matrixConfig, variant, runResult, cellFile, subjectsFile, summaryFile], Array(7).fill(true));
});

for (const [file, schema] of [
  ['kernel.schema.json', kernelManifestSchema],
  ['matrix.schema.json', matrixConfigSchema],
  ['variant.schema.json', variantSchema],
] as const) {
  test(`kernels/${file} is the schema the loader uses, as written by scripts/write-schemas.mjs`, async (t) => {
    const onDisk = JSON.parse(await readFile(join(KERNELS_DIR, file), 'utf8'));
    t.deepEqual(onDisk, JSON.parse(JSON.stringify(schema)), `out of date: npm run build && node scripts/write-schemas.mjs`);
  });
}
