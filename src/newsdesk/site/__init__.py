"""The static site: gather pages from the store, render them with Jinja2, write them atomically."""
