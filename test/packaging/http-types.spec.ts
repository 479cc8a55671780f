import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { useTestApp } from '../support/test-app';

const TYPES = join(__dirname, '..', '..', 'packages', 'client', 'src', 'openapi.ts');

/**
 * The client's HTTP types (packages/client/src/openapi.ts) are openapi-typescript's reading of
 * the service's OpenAPI document, as the service serves it now. `npm run client:types` writes
 * them again after a change of the API.
 */
describe('the client package’s HTTP types', () => {
  const { http } = useTestApp();

  it('are generated from the OpenAPI document the service serves', async () => {
    const document = await http.get('/docs-json');
    expect(document).toHaveStatus(200);
    // A request field with a default is still optional to send.
    const types = COMMENT_HEADER + astToString(await openapiTS(document.body, { defaultNonNullable: false }));
    if (process.env.UPDATE_CLIENT_TYPES === '1') writeFileSync(TYPES, types);
    expect(readFileSync(TYPES, 'utf8')).toBe(types);
  });
});
