"""newswatch: summarize news articles and tag them with conflict and crisis topics."""

__version__ = "0.1.0"
