"""newsdesk: news feeds and news APIs in, a fast, safe static news site out."""

__version__ = "0.1.0"
