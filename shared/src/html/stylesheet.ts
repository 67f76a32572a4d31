import { createHash } from 'node:crypto';

/**
 * The one stylesheet of the people's pages (requester form and status, admin links). Light, no
 * web fonts, no images, no script: readable at 390 px and on a desktop, visible focus, errors in
 * red with a bar beside their field. Colours keep WCAG AA contrast on white (axe checks them).
 *
 * It is written into each page (see `htmlPage`) rather than served as a file: about 3 KB, a person
 * sees two or three of these pages, and an inline sheet needs no second request and no route of
 * its own in each service (the relay's admin links may sit behind a proxy prefix). The pages'
 * Content-Security-Policy allows exactly this text by its hash (`SITE_STYLE_CSP_SOURCE`).
 */
export const SITE_CSS = `
:root{color-scheme:light;--ink:#1b1f24;--muted:#4b5563;--line:#9ca3af;--accent:#1d4ed8;--accent-dark:#1e3a8a;--error:#b42318;--ok:#166534;--tint:#f3f4f6}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#fff;color:var(--ink);font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;overflow-wrap:break-word}
.site{border-bottom:4px solid var(--accent);padding:.75rem 1rem}
.site p{margin:0 auto;max-width:40rem;font-weight:700}
.site a{color:var(--ink);text-decoration:none}
main{display:block;margin:0 auto;max-width:42rem;padding:1rem 1rem 3rem}
h1{font-size:1.75rem;line-height:1.25;margin:.75rem 0 1rem}
h2{font-size:1.25rem;line-height:1.3;margin:1.75rem 0 .5rem}
h3{font-size:1.05rem;margin:1.25rem 0 .4rem}
a{color:var(--accent);text-underline-offset:.15em}
a:hover{color:var(--accent-dark)}
:focus-visible{outline:3px solid var(--accent-dark);outline-offset:2px}
input,select,textarea,button{font:inherit;color:inherit;max-width:100%}
label,legend{font-weight:600}
.field{margin:0 0 1.25rem}
.field label{display:block;margin-bottom:.25rem}
.hint{display:block;color:var(--muted);font-weight:400;font-size:.95rem}
input[type=text],input[type=email],select,textarea{display:block;width:100%;padding:.5rem .6rem;border:2px solid var(--line);border-radius:4px;background:#fff}
textarea{min-height:8rem;resize:vertical}
input:focus-visible,select:focus-visible,textarea:focus-visible{border-color:var(--ink);box-shadow:inset 0 0 0 1px var(--ink)}
fieldset{margin:0 0 1.25rem;padding:.5rem 1rem 0;border:2px solid var(--line);border-radius:4px;min-width:0}
legend{padding:0 .25rem}
.choice{display:flex;gap:.6rem;align-items:flex-start;margin:0 0 .6rem}
.choice input{flex:none;width:1.25rem;height:1.25rem;margin:.15rem 0 0}
.choice label{font-weight:400}
button,a.button{display:inline-block;cursor:pointer;padding:.65rem 1.4rem;border:2px solid var(--accent);border-radius:4px;background:var(--accent);color:#fff;font-weight:600;text-decoration:none}
button:hover,a.button:hover{background:var(--accent-dark);border-color:var(--accent-dark);color:#fff}
.field-error{border-left:4px solid var(--error);padding-left:.75rem}
fieldset.field-error{border:2px solid var(--error);border-left-width:4px}
input[aria-invalid=true],select[aria-invalid=true],textarea[aria-invalid=true]{border-color:var(--error)}
.error{color:var(--error);font-weight:600;margin:.15rem 0 .35rem}
.error-summary{border:3px solid var(--error);border-radius:4px;padding:.25rem 1rem .5rem;margin:0 0 1.5rem}
.error-summary h2{margin-top:.5rem}
.error-summary a{color:var(--error);font-weight:600}
.notice{border-left:6px solid var(--accent);background:var(--tint);padding:.5rem 1rem;margin:0 0 1.5rem}
.notice.ok{border-color:var(--ok)}
dl{margin:0 0 1.5rem}
dt{font-weight:600;margin-top:.75rem}
dd{margin:0}
dd ul{margin:.25rem 0;padding-left:1.25rem}
pre{overflow-x:auto;background:var(--tint);padding:.75rem;font-size:.875rem}
.actions{margin:1.5rem 0}
button.secondary{background:#fff;color:var(--accent)}button.secondary:hover{background:var(--tint);color:var(--accent-dark)}
.muted{color:var(--muted)}
table{border-collapse:collapse;margin:0 0 1.5rem}th,td{text-align:left;padding:.3rem .9rem .3rem 0;border-bottom:1px solid var(--line);vertical-align:top}td.num,th.num{text-align:right}
svg.chart{display:block;width:100%;max-width:40rem;height:auto;margin:0 0 .75rem}
@media (min-width:40rem){h1{font-size:2rem}}
`.trim();

/** The CSP source that allows `SITE_CSS` written inline and nothing else inline. */
export const SITE_STYLE_CSP_SOURCE = `'sha256-${createHash('sha256').update(SITE_CSS).digest('base64')}'`;
