"""Adapters around boto3. Clients are passed in, never created at import time."""
