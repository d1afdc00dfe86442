/** OpenAPI description of GET /openapi.json itself (routes.ts beside this file). */
import type { RouteDocs } from './describe.ts';

export const openApiDocs: RouteDocs = {
  'GET /openapi.json': {
    summary: 'This OpenAPI 3.1 document',
    description: "Every route this gateway serves, generated from the schemas the routes validate with, with this gateway's limits. Open: it holds nothing about the fleet.",
    auth: 'open',
    responses: { 200: { description: 'The document.', schema: { type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { type: 'string', pattern: '^3\\.1\\.' }, info: { type: 'object' }, paths: { type: 'object' } } } } },
  },
};
