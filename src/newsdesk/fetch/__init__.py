"""The fetch stage: HTTP with limits, deadlines, retries, conditional GET and charset decoding."""

from newsdesk.fetch.charset import decode_body
from newsdesk.fetch.client import Fetcher

__all__ = ["Fetcher", "decode_body"]
