"""The offline demo: a loopback newswire of made-up outlets and a config that reads it."""

from newsdesk.demo.newswire import Newswire, demo_config_text, write_demo_config
from newsdesk.demo.outlets import DemoOutlet
from newsdesk.demo.stories import Story

__all__ = ["DemoOutlet", "Newswire", "Story", "demo_config_text", "write_demo_config"]
