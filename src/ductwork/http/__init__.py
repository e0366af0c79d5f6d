"""HTTP: the application factory, vendor host routing, OpenAPI documents and docs pages."""
