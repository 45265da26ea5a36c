"""Static HTML site over the archive: index, category, year and document pages (jinja2)."""
