// Entry point of the API reference bundle: Swagger UI over this server's own OpenAPI document.
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';
import './docs.css';

SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  // "Try it out" is on from the start: this page exists to be tried.
  tryItOutEnabled: true,
  displayRequestDuration: true,
  showExtensions: true,
  // The public validator badge would call out to another host.
  validatorUrl: null,
  // Requests go to this origin; the token pasted in "Authorize" is sent as a Bearer header.
  withCredentials: false,
  persistAuthorization: false,
});
