"""pipekit: describe small ETL pipelines in YAML and run them."""

__version__ = "0.9.0"
