"""shipit: rollout planning from YAML deploy manifests."""

__version__ = "2.1.0"
