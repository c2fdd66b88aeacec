// The interactive API documentation: Swagger UI from the server's own files (no CDN), reading
// this server's /openapi.json. No inline script, so the page keeps the strict CSP.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
