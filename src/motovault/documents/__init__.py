"""Documents: the thumbnail worker (Pillow). Uploads, downloads and every rule are SQL (deploy/documents.sql)."""
