"""embexplorer: explore embedding spaces natively and offline."""

__version__ = "0.1.0"
