import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';

/**
 * The files of the dashboard, served as they are. `npm run build` copies static/ beside the compiled
 * router, so `dist/` serves the same files as the sources do.
 */
export const DASHBOARD_ASSETS = {
  '/dashboard': { file: 'page.html', type: 'html' },
  '/dashboard/app.js': { file: 'app.js', type: 'js' },
  '/dashboard/style.css': { file: 'style.css', type: 'css' },
} as const;

/**
 * Nothing but these files, the API of this origin, and SVG drawn by the page itself: no inline script,
 * no CDN, no frames.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /dashboard`: the page and its two files. They are public and hold no data; the page asks for an
 * API key and sends it to the `/v1` API, which checks it as it checks every caller.
 */
export function dashboardRouter(dir = path.join(__dirname, 'static')): Router {
  const router = Router();
  for (const [route, asset] of Object.entries(DASHBOARD_ASSETS)) {
    const body = readFileSync(path.join(dir, asset.file), 'utf8');
    router.get(route, (_req, res) => {
      res.set('content-security-policy', CONTENT_SECURITY_POLICY);
      res.set('cache-control', 'no-cache');
      res.set('x-content-type-options', 'nosniff');
      res.set('referrer-policy', 'no-referrer');
      res.type(asset.type).send(body);
    });
  }
  return router;
}
