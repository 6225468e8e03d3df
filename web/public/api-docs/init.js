// Starts Swagger UI on /api/docs over the gateway's OpenAPI document.
// (A file, not an inline script, so a strict Content-Security-Policy holds.)
if (window.SwaggerUIBundle) {
  document.getElementById('docs').textContent = '';
  window.SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true });
}
