"""The Jekyll export and import: the original mirror's post format, both ways."""

from newsdesk.jekyll.export import export_jekyll
from newsdesk.jekyll.importer import ImportReport, import_jekyll
from newsdesk.jekyll.post import ImportedPost, parse_post, render_post, yaml_quote

__all__ = ["ImportReport", "ImportedPost", "export_jekyll", "import_jekyll", "parse_post", "render_post",
           "yaml_quote"]
