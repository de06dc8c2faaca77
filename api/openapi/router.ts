import { Router } from 'express';
import { buildOpenApiDocument } from './document';
import { renderDocsPage } from './docs-page';

/** `GET /openapi.json` and `GET /docs`: public, built once from the catalogue and the request schemas. */
export function openApiRouter(): Router {
  const document = buildOpenApiDocument();
  const page = renderDocsPage(document);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    // Self-contained: nothing to load from anywhere, no scripts at all.
    res.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.type('html').send(page);
  });
  return router;
}
