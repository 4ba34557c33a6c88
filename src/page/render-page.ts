import { html, type SafeHtml } from './html';

/**
 * The stylesheet, script and icon, served from assets/ by page-routes.ts. Every URL of the page is
 * relative, so it also works behind a proxy that serves the service under a path.
 */
export const ASSETS = {
  css: 'assets/operator-page.css',
  js: 'assets/operator-page.js',
  icon: 'assets/favicon.svg',
} as const;

/**
 * A whole document. No inline script or style anywhere (the content security policy forbids
 * them): the script comes from `ASSETS.js`, deferred, and the page works without it.
 */
function documentOf(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="${ASSETS.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS.css}">
<script src="${ASSETS.js}" defer></script>
</head>
<body>
${body}
</body>
</html>
`.text;
}

export interface DashboardView {
  /** The number being registered, for the heading. */
  number: string;
  checklist: SafeHtml;
}

/** The operator's page: the checklist, updated live by the script. */
export function renderDashboard(view: DashboardView): string {
  return documentOf(
    `wa-onboard: ${view.number}`,
    html`<header class="top">
<div>
<h1>wa-onboard</h1>
<p class="meta">Onboarding <strong>${view.number}</strong> for WhatsApp</p>
</div>
<p id="live-status" class="live" role="status" data-live="off">Reload to see changes.</p>
<form method="post" action="logout"><button type="submit" class="secondary">Sign out</button></form>
</header>
<main id="checklist">${view.checklist}</main>
<p id="announcer" class="visually-hidden" aria-live="assertive"></p>`,
  );
}

export interface LoginView {
  /** Why the last try was refused, shown as an alert. */
  error?: string;
  /** Local mode: the page says where the generated token is. */
  local?: boolean;
}

/** The sign-in form: the admin token, once; then a session cookie. Works without JavaScript. */
export function renderLogin(view: LoginView = {}): string {
  const error = view.error ? html`<p class="error" id="login-error" role="alert">${view.error}</p>` : null;
  return documentOf(
    'wa-onboard: sign in',
    html`<main class="login">
<h1>wa-onboard</h1>
<p>Sign in with the admin token (<code>ADMIN_TOKEN</code>) to follow the onboarding of your number.</p>
<form method="post" action="login">
<input type="text" name="username" value="wa-onboard admin" autocomplete="username" hidden>
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus${
      error ? html` aria-invalid="true" aria-describedby="login-error"` : null
    }>
${error}
<button type="submit">Sign in</button>
</form>
${view.local ? html`<p class="meta">Local mode: unless ADMIN_TOKEN is set, the token is in <code>DATA_DIR/local-secrets.json</code>.</p>` : null}
</main>`,
  );
}
