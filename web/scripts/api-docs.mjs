// Copies Swagger UI from swagger-ui-dist into dist/api-docs/, where the
// gateway's /api/docs page loads it from: the API reference works with no
// internet (no CDN).
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const from = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const to = path.join(import.meta.dirname, '..', 'dist', 'api-docs');
await mkdir(to, { recursive: true });
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
  await copyFile(path.join(from, file), path.join(to, file));
}
