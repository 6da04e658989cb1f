// Loaded by a blocking <script> as the first child of <body>, so these classes are in place
// before the first paint and GOV.UK Frontend's scripted components never flash their
// no-script look. A file rather than an inline script: the Content-Security-Policy allows
// scripts from this site only, never inline.
document.body.className +=
  " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
